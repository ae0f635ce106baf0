// SPDX-License-Identifier: MIT
// PoolView: one pool as the dashboard's cards show it, whichever mode feeds
// it: its latest figures (keyed as SocketPoolStats' properties), the rate of
// each counter over the last interval, counter resets, and 60 s of history
// for the charts. The embedded Dashboard feeds it from its SocketPool, the
// Watcher from scraped /metrics.
#pragma once

#include <QtCore/qlist.h>
#include <QtCore/qobject.h>
#include <QtCore/qstringlist.h>
#include <QtCore/qvariantmap.h>
#include <QtQmlIntegration/qqmlintegration.h>

class PoolView : public QObject {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("fed by the dashboard")

  Q_PROPERTY(QString name READ name CONSTANT)
  /// Gauges, counters, closes by reason, circuit breaker, latency tiles:
  /// openCount, gets, closedIdleTime, circuitOpen, waitP50Usecs, ... A key
  /// the source does not have (a watched program's waitMaxUsecs) is absent.
  Q_PROPERTY(QVariantMap stats READ stats NOTIFY statsChanged)
  /// Per second over the last interval, for every counter in counterNames().
  Q_PROPERTY(QVariantMap rates READ rates NOTIFY historyChanged)
  /// True while the source cannot be read: the figures are the last good ones.
  Q_PROPERTY(bool stale READ isStale NOTIFY staleChanged)
  /// Times a counter went down (the program restarted, the pool was replaced).
  Q_PROPERTY(int resets READ resets NOTIFY resetsChanged)
  /// Where the tiles' latencies come from ("pool histograms", "histogram buckets per interval").
  Q_PROPERTY(QString latencySource READ latencySource CONSTANT)

  Q_PROPERTY(qreal historySeconds READ historySeconds CONSTANT)
  Q_PROPERTY(QList<qreal> timeHistory READ timeHistory NOTIFY historyChanged)
  Q_PROPERTY(QList<qreal> activeHistory READ activeHistory NOTIFY historyChanged)
  Q_PROPERTY(QList<qreal> idleHistory READ idleHistory NOTIFY historyChanged)
  Q_PROPERTY(QList<qreal> waitingHistory READ waitingHistory NOTIFY historyChanged)
  Q_PROPERTY(QList<qreal> p50History READ p50History NOTIFY historyChanged)
  Q_PROPERTY(QList<qreal> p99History READ p99History NOTIFY historyChanged)
  Q_PROPERTY(QList<qreal> hitRateHistory READ hitRateHistory NOTIFY historyChanged)
  Q_PROPERTY(qreal latencyP50 READ latencyP50 NOTIFY historyChanged)
  Q_PROPERTY(qreal latencyP99 READ latencyP99 NOTIFY historyChanged)
  Q_PROPERTY(qreal hitRate READ hitRate NOTIFY historyChanged)

public:
  PoolView(const QString& name, const QString& latencySource, QObject* parent = nullptr);

  /// The counters (monotonic, so rates and resets apply).
  static const QStringList& counterNames();

  QString name() const;
  QVariantMap stats() const;
  QVariantMap rates() const;
  bool isStale() const;
  int resets() const;
  QString latencySource() const;
  /// A figure of stats() as a number (0 when absent).
  double figure(const QString& key) const;

  /// The latest figures; a counter lower than before counts as a reset.
  void setStats(const QVariantMap& stats);
  void setStale(bool stale);
  /// Appends a history sample at `at` seconds with the current figures and
  /// this interval's acquire latency (ms; negative: carry the last value).
  void sample(qreal at, qreal p50Ms, qreal p99Ms);

  qreal historySeconds() const;
  QList<qreal> timeHistory() const;
  QList<qreal> activeHistory() const;
  QList<qreal> idleHistory() const;
  QList<qreal> waitingHistory() const;
  QList<qreal> p50History() const;
  QList<qreal> p99History() const;
  QList<qreal> hitRateHistory() const;
  qreal latencyP50() const;
  qreal latencyP99() const;
  qreal hitRate() const;

Q_SIGNALS:
  void statsChanged();
  void historyChanged();
  void staleChanged();
  void resetsChanged();
  /// A counter went down: `counters` names those that did.
  void countersReset(const QStringList& counters);

private:
  void trimHistory();

  QString name_, latencySource_;
  QVariantMap stats_, sampled_, rates_;
  qreal sampledAt_ = -1;
  bool stale_ = false;
  int resets_ = 0;
  QList<qreal> time_, active_, idle_, waiting_, p50_, p99_, hitRate_;
};
