// SPDX-License-Identifier: MIT
#include "watcher.h"

#include "scrapedpools.h"

#include <cmath>
#include <ctime>
#include <string_view>
#include <utility>

namespace {

/// This thread's CPU time in nanoseconds.
qint64 threadCpuNs() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<qint64>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

QString kib(qint64 bytes) { return QString::number(static_cast<double>(bytes) / 1024, 'f', 1) + " KiB"; }

} // namespace

Watcher::Watcher(const QUrl& url, int intervalMs, QObject* parent)
    : PoolMonitor(parent), url_(url), interval_(qMax(50, intervalMs)),
      empty_(std::make_unique<PoolView>(QString(), QStringLiteral("buckets per interval"))) {
  clock_.start();
  next_.setSingleShot(true);
  connect(&next_, &QTimer::timeout, this, &Watcher::scrape);
  connect(&scraper_, &MetricsScraper::fetched, this, &Watcher::onFetched);
  connect(&scraper_, &MetricsScraper::failed, this, &Watcher::onFailed);
  // A scrape never outlasts the interval by much: at most 5 s, at least 1 s.
  scraper_.setTimeout(qBound(1000, 2 * interval_, 5000));
  statusText_ = QStringLiteral("connecting to ") + url_.toString();
  QTimer::singleShot(0, this, &Watcher::scrape);
}

Watcher::~Watcher() { scraper_.cancel(); }

QUrl Watcher::parseUrl(const QString& text) {
  QString t = text.trimmed();
  if (!t.contains(QLatin1String("://"))) t.prepend(QLatin1String("http://"));
  QUrl url(t, QUrl::StrictMode);
  if (!url.isValid() || url.host().isEmpty() ||
      (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")))
    return {};
  if (url.path().isEmpty()) url.setPath(QStringLiteral("/metrics"));
  return url;
}

bool Watcher::setUrl(const QString& text) {
  const QUrl url = parseUrl(text);
  if (!url.isValid()) {
    log(QStringLiteral("error"), QStringLiteral("not an http:// URL with a host: ") + text);
    return false;
  }
  scraper_.cancel();
  next_.stop();
  url_ = url;
  failures_ = 0;
  selected_ = 0;
  buckets_.clear();
  // The QML lets go of the old views (viewChanged) before they are deleted.
  const std::vector<std::unique_ptr<PoolView>> old = std::exchange(pools_, {});
  emit urlChanged();
  emit poolsChanged();
  emit viewChanged();
  setStatus(QStringLiteral("connecting"), QStringLiteral("connecting to ") + url_.toString());
  log(QStringLiteral("info"), QStringLiteral("watching ") + url_.toString());
  scrape();
  return true;
}

QString Watcher::url() const { return url_.toString(); }
int Watcher::interval() const { return interval_; }
QString Watcher::status() const { return status_; }
QString Watcher::statusText() const { return statusText_; }
int Watcher::selected() const { return selected_; }
int Watcher::scrapes() const { return scrapes_; }
qreal Watcher::uptime() const { return static_cast<qreal>(clock_.elapsed()) / 1000.0; }
bool Watcher::isWatching() const { return true; }
MetricsScraper* Watcher::scraper() { return &scraper_; }
void Watcher::setPreferredPool(const QString& name) { preferred_ = name; }

QStringList Watcher::poolNames() const {
  QStringList names;
  for (const auto& p : pools_)
    names.append(p->name());
  return names;
}

QVariantList Watcher::summaries() const {
  QVariantList list;
  for (const auto& p : pools_)
    list.append(QVariantMap{
        {QStringLiteral("name"), p->name()},
        {QStringLiteral("stale"), p->isStale()},
        {QStringLiteral("gets"), p->figure(QStringLiteral("gets"))},
        {QStringLiteral("getsRate"), p->rates().value(QStringLiteral("gets"), 0.0)},
        {QStringLiteral("open"), p->figure(QStringLiteral("openCount"))},
        {QStringLiteral("maxSize"), p->figure(QStringLiteral("currentMaxSize"))},
        {QStringLiteral("waiting"), p->figure(QStringLiteral("waitingCount"))},
        {QStringLiteral("waitP99Ms"), p->figure(QStringLiteral("waitP99Usecs")) / 1000.0},
    });
  return list;
}

void Watcher::select(int index) {
  if (index < 0 || index >= static_cast<int>(pools_.size()) || index == selected_) return;
  selected_ = index;
  emit viewChanged();
}

PoolView* Watcher::view() const {
  return pools_.empty() ? empty_.get() : pools_[static_cast<std::size_t>(selected_)].get();
}

PoolView* Watcher::pool(const QString& name) const {
  for (const auto& p : pools_)
    if (p->name() == name) return p.get();
  return nullptr;
}

void Watcher::scrape() {
  if (!scraper_.fetch(url_)) scheduleNext();
}

void Watcher::scheduleNext() { next_.start(watchmath::retryDelay(interval_, failures_)); }

void Watcher::setStatus(const QString& status, const QString& text) {
  status_ = status;
  statusText_ = text;
  emit statusChanged();
}

PoolView* Watcher::viewFor(const QString& name, bool& added) {
  added = false;
  if (PoolView* v = pool(name)) return v;
  pools_.push_back(std::make_unique<PoolView>(name, QStringLiteral("buckets per interval")));
  PoolView* v = pools_.back().get();
  connect(v, &PoolView::countersReset, this, [this, name](const QStringList& counters) {
    log(QStringLiteral("warning"), QStringLiteral("pool %1: counters went down (%2): the program restarted, shown as a "
                                                  "reset")
                                       .arg(name, counters.mid(0, 4).join(QStringLiteral(", ")) +
                                                      (counters.size() > 4 ? QStringLiteral(", …") : QString())));
  });
  added = true;
  return v;
}

void Watcher::onFetched(const QByteArray& body, qint64 msecs) {
  const qint64 cpuStart = threadCpuNs();
  const Scrape s = readScrape(std::string_view(body.constData(), static_cast<std::size_t>(body.size())));
  const qint64 readNs = threadCpuNs() - cpuStart;
  if (!s.error.isEmpty()) {
    onFailed(s.error);
    return;
  }
  const qreal now = uptime();
  bool anyAdded = false;
  for (const ScrapedPool& p : s.pools) {
    bool added = false;
    PoolView* v = viewFor(p.name, added);
    anyAdded = anyAdded || added;
    QVariantMap stats = p.stats;
    // The latency tiles: this interval's observations (the difference of
    // the cumulative buckets), as histogram_quantile over a rate; with none
    // this interval, the last values stay.
    qreal p50 = -1, p99 = -1;
    auto& previous = buckets_[p.name];
    for (const auto& [key, buckets] : p.histograms) {
      const std::vector<watchmath::Bucket> interval = watchmath::bucketIncrease(previous[key], buckets);
      previous[key] = buckets;
      const auto q50 = watchmath::histogramQuantile(0.50, interval);
      const auto q99 = watchmath::histogramQuantile(0.99, interval);
      const auto max = watchmath::histogramMaxBound(interval);
      const QString k50 = key + QStringLiteral("P50Usecs"), k99 = key + QStringLiteral("P99Usecs"),
                    kMax = key + QStringLiteral("MaxBoundUsecs");
      if (q50 && q99) {
        stats[k50] = std::round(*q50 * 1e6);
        stats[k99] = std::round(*q99 * 1e6);
        if (max && std::isfinite(*max)) stats[kMax] = std::round(*max * 1e6);
        if (key == QLatin1String("wait")) p50 = *q50 * 1e3, p99 = *q99 * 1e3;
      } else {
        for (const QString& k : {k50, k99, kMax})
          if (v->stats().contains(k)) stats[k] = v->stats().value(k);
      }
    }
    v->setStats(stats);
    v->setStale(false);
    v->sample(now, p50, p99);
  }
  // Pools that are gone from the text keep their last figures, greyed.
  for (const auto& p : pools_)
    if (std::none_of(s.pools.begin(), s.pools.end(), [&](const ScrapedPool& sp) { return sp.name == p->name(); }))
      p->setStale(true);
  if (anyAdded) {
    const qsizetype preferred = poolNames().indexOf(preferred_);
    if (preferred >= 0) selected_ = static_cast<int>(preferred);
    log(QStringLiteral("info"), QStringLiteral("pools at %1: %2").arg(url_.toString(), poolNames().join(", ")));
    emit poolsChanged();
    emit viewChanged();
  }
  ++scrapes_;
  bytes_ += body.size();
  readNs_ += readNs;
  cpuNs_ += threadCpuNs() - cpuStart;
  if (status_ != QLatin1String("up"))
    log(QStringLiteral("info"),
        QStringLiteral("metrics %1 at %2 (%3)")
            .arg(failures_ > 0 ? QStringLiteral("back") : QStringLiteral("read"), url_.toString(), s.format));
  failures_ = 0;
  setStatus(QStringLiteral("up"), QStringLiteral("%1 pool%2 · %3 · %4 in %5 ms")
                                      .arg(s.pools.size())
                                      .arg(s.pools.size() == 1 ? QString() : QStringLiteral("s"))
                                      .arg(s.format, kib(body.size()))
                                      .arg(msecs));
  emit scraped();
  scheduleNext();
}

void Watcher::onFailed(const QString& why) {
  ++failures_;
  for (const auto& p : pools_)
    p->setStale(true);
  // One log line per distinct failure; the event log counts repeats (×n).
  log(QStringLiteral("error"), QStringLiteral("scrape of %1 failed: %2").arg(url_.toString(), why));
  const int delay = watchmath::retryDelay(interval_, failures_);
  setStatus(QStringLiteral("down"), why + QStringLiteral(" · retry in %1 s").arg(delay / 1000.0, 0, 'f', 1));
  scheduleNext();
}

QStringList Watcher::watchLines() const {
  QStringList lines;
  for (const auto& p : pools_) {
    auto n = [&](const char* key) { return QString::number(p->figure(QLatin1String(key)), 'f', 0); };
    lines.append(QStringLiteral("watch: pool=%1 gets=%2 hits=%3 waits=%4 timeouts=%5 open=%6 idle=%7 wait_p99_us=%8")
                     .arg(p->name(), n("gets"), n("hits"), n("waits"), n("timeouts"), n("openCount"), n("idleCount"),
                          n("waitP99Usecs")));
  }
  return lines;
}

QString Watcher::costLine() const {
  const qint64 n = qMax(1, scrapes_);
  const auto us = [n](qint64 ns) {
    return QString::number(static_cast<double>(ns) / 1000.0 / static_cast<double>(n), 'f', 1);
  };
  return QStringLiteral("watch: scrapes=%1 bytes_per_scrape=%2 parse_cpu_us_per_scrape=%3 update_cpu_us_per_scrape=%4")
      .arg(scrapes_)
      .arg(bytes_ / n)
      .arg(us(readNs_), us(cpuNs_ - readNs_));
}
