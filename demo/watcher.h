// SPDX-License-Identifier: MIT
// Watcher: the dashboard's watch mode. Scrapes another program's /metrics
// (MetricsEndpoint, to_openmetrics, any Prometheus exporter of connpool
// pools) every interval, one PoolView per pool_name it finds. When the
// endpoint is down, slow, huge or not metrics, it says so (status, event
// log), keeps the last good figures marked stale and retries with backoff.
#pragma once

#include "metricsscraper.h"
#include "poolmonitor.h"
#include "watchmath.h"

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qstringlist.h>
#include <QtCore/qtimer.h>
#include <QtCore/qurl.h>
#include <QtCore/qvariantlist.h>

#include <map>
#include <memory>
#include <vector>

class Watcher : public PoolMonitor {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("created by the application")

  Q_PROPERTY(QString url READ url NOTIFY urlChanged)
  Q_PROPERTY(int interval READ interval CONSTANT)
  /// "connecting" (no answer yet), "up" or "down".
  Q_PROPERTY(QString status READ status NOTIFY statusChanged)
  /// The status in words: what was read, or what is wrong and when the next try is.
  Q_PROPERTY(QString statusText READ statusText NOTIFY statusChanged)
  Q_PROPERTY(QStringList poolNames READ poolNames NOTIFY poolsChanged)
  /// Index in poolNames of the pool the cards show.
  Q_PROPERTY(int selected READ selected WRITE select NOTIFY viewChanged)
  /// Every pool at a glance (the watch card lists them side by side): per
  /// pool a map of name, stale, gets, getsRate, open, maxSize, waiting, waitP99Ms.
  Q_PROPERTY(QVariantList summaries READ summaries NOTIFY statusChanged)
  Q_PROPERTY(int scrapes READ scrapes NOTIFY statusChanged)
  Q_PROPERTY(qreal uptime READ uptime NOTIFY statusChanged)

public:
  /// Starts scraping `url` at once, then every `intervalMs`.
  Watcher(const QUrl& url, int intervalMs, QObject* parent = nullptr);
  ~Watcher() override;

  /// "http://host:port/metrics" or "host:port/metrics" (http assumed). A
  /// new URL forgets the pools seen and scrapes at once. False (and an
  /// error in the event log) for anything but an http(s) URL with a host.
  Q_INVOKABLE bool setUrl(const QString& url);
  /// The URL setUrl would use for `text`; invalid when it would refuse it.
  static QUrl parseUrl(const QString& text);

  QString url() const;
  int interval() const;
  QString status() const;
  QString statusText() const;
  QStringList poolNames() const;
  int selected() const;
  void select(int index);
  QVariantList summaries() const;
  int scrapes() const;
  qreal uptime() const;

  PoolView* view() const override;
  bool isWatching() const override;
  /// The view of the pool named `name`; null when not seen.
  PoolView* pool(const QString& name) const;

  /// One line per pool seen: "watch: pool=<name> gets=... hits=... waits=...
  /// timeouts=... open=... idle=... wait_p99_us=..." (what the cards show).
  QStringList watchLines() const;
  /// Bytes and CPU time of this thread per good scrape, averaged: parsing
  /// the text, then updating the views (and the QML bindings that follow
  /// them at once): "watch: scrapes=N bytes_per_scrape=B
  /// parse_cpu_us_per_scrape=P update_cpu_us_per_scrape=U".
  QString costLine() const;

  MetricsScraper* scraper();
  /// The pool to show once it is seen (by default the first found).
  void setPreferredPool(const QString& name);

Q_SIGNALS:
  void urlChanged();
  void statusChanged();
  void poolsChanged();
  /// After each good scrape, once the views are updated.
  void scraped();

private:
  void scrape();
  void onFetched(const QByteArray& body, qint64 msecs);
  void onFailed(const QString& why);
  void scheduleNext();
  void setStatus(const QString& status, const QString& text);
  PoolView* viewFor(const QString& name, bool& added);

  QUrl url_;
  int interval_ = 1000;
  int failures_ = 0;
  QString status_ = QStringLiteral("connecting"), statusText_;
  MetricsScraper scraper_;
  QTimer next_;
  QElapsedTimer clock_;
  std::vector<std::unique_ptr<PoolView>> pools_;
  int selected_ = 0;
  // The previous scrape's buckets, per pool and histogram ("wait", ...).
  std::map<QString, std::map<QString, std::vector<watchmath::Bucket>>> buckets_;
  QString preferred_;
  int scrapes_ = 0;
  qint64 bytes_ = 0, cpuNs_ = 0, readNs_ = 0;
  // Shown when no pool was seen yet (the cards need a view).
  std::unique_ptr<PoolView> empty_;
};
