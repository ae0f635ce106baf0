// SPDX-License-Identifier: MIT
#include "scrapedpools.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
import connpool;

namespace {

/// "ping_failures" -> "pingFailures".
QString camel(std::string_view snake) {
  QString out;
  bool upper = false;
  for (const char c : snake) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? QChar(c).toUpper() : QChar(c);
    upper = false;
  }
  return out;
}

struct Mapping {
  std::string_view sample;
  const char* key;
};

// Gauges whose sample has only pool_name (and state where given).
constexpr Mapping gauges[] = {
    {"connpool_open", "openCount"},
    {"db_client_connection_pending_requests", "waitingCount"},
    {"connpool_creating", "creatingCount"},
    {"db_client_connection_max", "currentMaxSize"},
    {"db_client_connection_idle_max", "currentMaxIdle"},
    {"connpool_max_active", "maxActive"},
    {"db_client_connection_timeouts_total", "timeouts"},
};

constexpr Mapping histograms[] = {
    {"db_client_connection_wait_time_seconds", "wait"},
    {"db_client_connection_create_time_seconds", "create"},
    {"db_client_connection_use_time_seconds", "hold"},
    {"connpool_ping_time_seconds", "ping"},
};

bool isPoolSample(std::string_view name) {
  return name.starts_with("connpool_") || name.starts_with("db_client_connection_");
}

} // namespace

Scrape readScrape(std::string_view body) {
  Scrape out;
  std::string error;
  const std::optional<connpool::exposition> e = connpool::parse_metrics_text(body, error);
  if (!e) {
    out.error = QStringLiteral("not metrics text (") + QString::fromStdString(error).left(160) + QLatin1Char(')');
    return out;
  }
  out.format = e->format == connpool::exposition_format::openmetrics ? QStringLiteral("OpenMetrics")
                                                                     : QStringLiteral("Prometheus text");
  std::map<std::string, std::size_t> index; // pool_name -> position in out.pools
  for (const connpool::metric_sample& s : e->samples) {
    if (!isPoolSample(s.name)) continue;
    const auto name = s.labels.find("pool_name");
    if (name == s.labels.end()) continue;
    const auto [it, added] = index.try_emplace(name->second, out.pools.size());
    if (added) out.pools.push_back(ScrapedPool{QString::fromStdString(name->second), {}, {}});
    ScrapedPool& pool = out.pools[it->second];
    const double v = s.number;
    if (s.name == "db_client_connection_count") {
      const auto state = s.labels.find("state");
      if (state != s.labels.end() && state->second == "idle") pool.stats[QStringLiteral("idleCount")] = v;
      if (state != s.labels.end() && state->second == "used") pool.stats[QStringLiteral("activeCount")] = v;
      continue;
    }
    if (s.name == "connpool_circuit_open") {
      pool.stats[QStringLiteral("circuitOpen")] = v != 0;
      continue;
    }
    if (s.name == "connpool_closed_by_reason_total") {
      const auto reason = s.labels.find("reason");
      if (reason != s.labels.end()) pool.stats[camel("closed_" + reason->second)] = v;
      continue;
    }
    const auto gauge =
        std::find_if(std::begin(gauges), std::end(gauges), [&](const Mapping& m) { return m.sample == s.name; });
    if (gauge != std::end(gauges)) {
      pool.stats[QLatin1String(gauge->key)] = v;
      continue;
    }
    if (s.name.starts_with("connpool_") && s.name.ends_with("_total")) {
      const std::string_view field = std::string_view(s.name).substr(9, s.name.size() - 9 - 6);
      pool.stats[camel(field)] = v;
      continue;
    }
    for (const Mapping& h : histograms)
      if (s.name.size() == h.sample.size() + 7 && s.name.starts_with(h.sample) && s.name.ends_with("_bucket")) {
        const auto le = s.labels.find("le");
        if (le == s.labels.end()) break;
        // QString::toDouble reads the C locale's decimal point, whatever the process' locale.
        bool ok = le->second == "+Inf";
        const double bound = ok ? HUGE_VAL : QString::fromStdString(le->second).toDouble(&ok);
        if (ok) pool.histograms[QLatin1String(h.key)].push_back({bound, v});
        break;
      }
  }
  if (out.pools.empty()) {
    out.error = QStringLiteral("no connection pool in the metrics (no db_client_connection_* or connpool_* sample "
                               "with a pool_name label)");
    return out;
  }
  for (ScrapedPool& pool : out.pools)
    for (auto& [key, buckets] : pool.histograms)
      std::stable_sort(buckets.begin(), buckets.end(),
                       [](const watchmath::Bucket& a, const watchmath::Bucket& b) { return a.le < b.le; });
  return out;
}
