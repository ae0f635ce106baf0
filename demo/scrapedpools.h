// SPDX-License-Identifier: MIT
// The pools in a scraped /metrics text: for each pool_name, its gauges and
// counters under the names SocketPoolStats gives them (so the dashboard's
// cards read both modes alike) and its latency histograms' buckets. A pure
// function of the text (tests/demo/tst_watchmath).
#pragma once

#include "watchmath.h"

#include <QtCore/qstring.h>
#include <QtCore/qvariantmap.h>

#include <map>
#include <string_view>
#include <vector>

struct ScrapedPool {
  QString name;
  /// openCount, idleCount, activeCount, waitingCount, creatingCount,
  /// currentMaxSize, currentMaxIdle, circuitOpen, maxActive and every
  /// counter (gets, puts, ..., closedIdleTime, ...), as doubles or a bool.
  QVariantMap stats;
  /// "wait", "create", "hold", "ping": cumulative buckets, le in seconds.
  std::map<QString, std::vector<watchmath::Bucket>> histograms;
};

struct Scrape {
  /// Empty when the text was read; else why it is not usable.
  QString error;
  /// "OpenMetrics" or "Prometheus text".
  QString format;
  /// In the order the text first names them.
  std::vector<ScrapedPool> pools;
};

/// Reads `body` (OpenMetrics or the classic text format, lenient).
Scrape readScrape(std::string_view body);
