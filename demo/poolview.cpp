// SPDX-License-Identifier: MIT
#include "poolview.h"

#include "watchmath.h"

namespace {
constexpr qreal historySpan = 60; // seconds: the charts' width

qreal carry(const QList<qreal>& history) { return history.isEmpty() ? 0 : history.last(); }
} // namespace

PoolView::PoolView(const QString& name, const QString& latencySource, QObject* parent)
    : QObject(parent), name_(name), latencySource_(latencySource) {}

const QStringList& PoolView::counterNames() {
  static const QStringList names = {
      QStringLiteral("gets"),
      QStringLiteral("puts"),
      QStringLiteral("discards"),
      QStringLiteral("hits"),
      QStringLiteral("misses"),
      QStringLiteral("waits"),
      QStringLiteral("timeouts"),
      QStringLiteral("pingFailures"),
      QStringLiteral("idleClosed"),
      QStringLiteral("ageClosed"),
      QStringLiteral("factoryFailures"),
      QStringLiteral("closeTimeouts"),
      QStringLiteral("cancellations"),
      QStringLiteral("created"),
      QStringLiteral("closed"),
      QStringLiteral("closeErrors"),
      QStringLiteral("closedIdleTime"),
      QStringLiteral("closedMaxAge"),
      QStringLiteral("closedPingFailed"),
      QStringLiteral("closedDiscarded"),
      QStringLiteral("closedIdleOverflow"),
      QStringLiteral("closedPoolClosed"),
      QStringLiteral("closedDrained"),
      QStringLiteral("closedResized"),
      QStringLiteral("leaksSuspected"),
      QStringLiteral("circuitOpens"),
      QStringLiteral("circuitRejects"),
      QStringLiteral("observerErrors"),
  };
  return names;
}

QString PoolView::name() const { return name_; }
QVariantMap PoolView::stats() const { return stats_; }
QVariantMap PoolView::rates() const { return rates_; }
bool PoolView::isStale() const { return stale_; }
int PoolView::resets() const { return resets_; }
QString PoolView::latencySource() const { return latencySource_; }
double PoolView::figure(const QString& key) const { return stats_.value(key).toDouble(); }

void PoolView::setStats(const QVariantMap& stats) {
  QStringList reset;
  if (!stats_.isEmpty())
    for (const QString& c : counterNames())
      if (stats.contains(c) && watchmath::wasReset(figure(c), stats.value(c).toDouble())) reset.append(c);
  stats_ = stats;
  if (!reset.isEmpty()) {
    ++resets_;
    // The interval's rates start from the reset: the last sample is void.
    sampled_.clear();
    emit resetsChanged();
    emit countersReset(reset);
  }
  emit statsChanged();
}

void PoolView::setStale(bool stale) {
  if (stale_ == stale) return;
  stale_ = stale;
  emit staleChanged();
}

void PoolView::sample(qreal at, qreal p50Ms, qreal p99Ms) {
  time_.append(at);
  active_.append(figure(QStringLiteral("activeCount")));
  idle_.append(figure(QStringLiteral("idleCount")));
  waiting_.append(figure(QStringLiteral("waitingCount")));
  p50_.append(p50Ms >= 0 ? p50Ms : carry(p50_));
  p99_.append(p99Ms >= 0 ? p99Ms : carry(p99_));

  const qreal dt = at - sampledAt_;
  auto increase = [&](const QString& c) {
    // After a reset (sampled_ cleared) the counter counted from zero.
    return watchmath::counterIncrease(sampled_.value(c).toDouble(), figure(c));
  };
  rates_.clear();
  if (sampledAt_ >= 0 && dt > 0)
    for (const QString& c : counterNames())
      if (stats_.contains(c)) rates_.insert(c, increase(c) / dt);
  // Hit rate of this interval; with no gets, the last value carries on. The
  // counters of one snapshot are not read at one instant (a get in flight
  // may show its hit first), hence the clamp.
  const double gets = increase(QStringLiteral("gets")), hits = increase(QStringLiteral("hits"));
  hitRate_.append(gets > 0 ? qMin(100.0, 100.0 * hits / gets) : carry(hitRate_));
  sampled_ = stats_;
  sampledAt_ = at;
  trimHistory();
  emit historyChanged();
}

void PoolView::trimHistory() {
  // Keep one sample older than the span, so lines reach the charts' left edge.
  qsizetype old = 0;
  while (old + 1 < time_.size() && time_[old + 1] < time_.last() - historySpan)
    ++old;
  if (old == 0) return;
  for (QList<qreal>* h : {&time_, &active_, &idle_, &waiting_, &p50_, &p99_, &hitRate_})
    h->remove(0, old);
}

qreal PoolView::historySeconds() const { return historySpan; }
QList<qreal> PoolView::timeHistory() const { return time_; }
QList<qreal> PoolView::activeHistory() const { return active_; }
QList<qreal> PoolView::idleHistory() const { return idle_; }
QList<qreal> PoolView::waitingHistory() const { return waiting_; }
QList<qreal> PoolView::p50History() const { return p50_; }
QList<qreal> PoolView::p99History() const { return p99_; }
QList<qreal> PoolView::hitRateHistory() const { return hitRate_; }
qreal PoolView::latencyP50() const { return carry(p50_); }
qreal PoolView::latencyP99() const { return carry(p99_); }
qreal PoolView::hitRate() const { return carry(hitRate_); }
