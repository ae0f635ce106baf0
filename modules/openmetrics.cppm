// SPDX-License-Identifier: MIT
// connpool:openmetrics — a pool's metrics as OpenMetrics 1.0.0 text, what
// Prometheus scrapes (Content-Type: application/openmetrics-text;
// version=1.0.0; charset=utf-8), or in the classic text format 0.0.4 (below).
//
// Names follow OpenTelemetry's database connection-pool semantic conventions
// mapped to Prometheus: db.client.connection.count -> db_client_connection_count
// (dots become underscores, counters end in _total, durations are histograms
// in seconds ending in _seconds). Every sample carries pool_name="<name>".
// What the conventions lack is exported as connpool_*: every counter of
// `metrics` as connpool_<field>_total, closes by reason, a few gauges and the
// ping histogram. docs/metrics.md lists every family.
//
// Histogram buckets: le = 2^k - 1 ns (k = 10..35, ~1 us .. ~34 s). 2^k is a
// bucket bound of the log-linear histogram, so each bucket counts exactly the
// values <= le (integer nanoseconds); le is printed as an exact decimal.
//
// Several pools: render each with eof = false, then either pass the texts to
// merge_openmetrics (each family once, as OpenMetrics requires) or just
// concatenate them and append "# EOF\n" (Prometheus accepts that, but the
// families' metadata lines repeat).
//
// The same metrics in the classic Prometheus text format 0.0.4
// (Content-Type: text/plain; version=0.0.4; charset=utf-8), what scrapers
// that do not ask for OpenMetrics and `promtool check metrics` read:
// to_prometheus_text. Same samples; the metadata differs: a counter family
// is named with its _total (# HELP connpool_gets_total ...), # HELP comes
// before # TYPE, and there is no # UNIT and no # EOF. Several pools:
// merge_prometheus_text.
module;
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
export module connpool:openmetrics;
import :events;
import :histogram;
import :metrics;

export namespace connpool {

/// One pool's metrics in the OpenMetrics text format, ending in "# EOF\n"
/// when `eof`.
std::string to_openmetrics(const metrics& m, std::string_view pool_name, bool eof = true);

/// Several texts of to_openmetrics(..., eof = false) as one exposition: each
/// family's metadata once (from its first text), then its samples from every
/// text in order.
std::string merge_openmetrics(std::span<const std::string_view> texts, bool eof = true);

/// One pool's metrics in the classic Prometheus text format 0.0.4: the
/// samples of to_openmetrics, with counters' # HELP / # TYPE named with their
/// _total, no # UNIT and no # EOF.
std::string to_prometheus_text(const metrics& m, std::string_view pool_name);

/// Several texts of to_prometheus_text as one exposition: each family's
/// # HELP / # TYPE once (from its first text), then its samples from every
/// text in order. (The classic parser rejects a family declared twice.)
std::string merge_prometheus_text(std::span<const std::string_view> texts);

} // namespace connpool
