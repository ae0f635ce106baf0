// SPDX-License-Identifier: MIT
// connpool:metrics_text — reads metrics text back: the OpenMetrics 1.0.0
// text format and the classic Prometheus text format 0.0.4, what
// to_openmetrics / to_prometheus_text write and what any Prometheus client
// library serves.
//
// In the pure module rather than the Qt layer: it is a pure function of a
// string (no Qt, no threads, no I/O), it sits next to the writer it mirrors,
// and any C++ program (a test, a CLI, a non-Qt exporter) can check or read an
// exposition with it. The Qt dashboard fetches the text and calls it.
//
// Two modes:
//  - strict: what the writer promises, checked line by line (the tests use
//    it): OpenMetrics with each family declared once, metadata before its
//    samples, one # EOF at the end; the classic format with exactly one
//    # HELP and one # TYPE before each family's contiguous samples, counters
//    named with _total, no other comment, no blank line, no timestamp.
//  - lenient: what a scraper meets in the wild: families may repeat (same
//    type), samples may carry a timestamp (and, in OpenMetrics, an
//    exemplar), and in the classic format comments, blank lines and samples
//    of undeclared (untyped) families are allowed.
// Both reject a malformed line (bad name, label, escape or number) with the
// line's number. Nothing is allocated per byte beyond the result; the text is
// read once, so the caller bounds the cost by bounding the text's size.
module;
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
export module connpool:metrics_text;

export namespace connpool {

/// One sample line: its family (the # TYPE name it belongs to; for an
/// undeclared classic sample, its own name), its name with the suffix
/// (_total, _bucket, ...), its labels unescaped, its value as written and as
/// a number (+Inf, -Inf and NaN included).
struct metric_sample {
  std::string family, name;
  std::map<std::string, std::string> labels;
  std::string value;
  double number = 0;
};

/// A family's metadata: type ("counter", "gauge", "histogram", ...;
/// "untyped" or "unknown" when undeclared), unit (OpenMetrics only) and help
/// as written (escapes kept).
struct metric_family {
  std::string type, unit, help;
};

enum class exposition_format { openmetrics, prometheus_text };

/// A parsed text: its families by name and every sample in text order.
struct exposition {
  exposition_format format = exposition_format::openmetrics;
  std::map<std::string, metric_family> families;
  std::vector<metric_sample> samples;

  /// The samples named `name` whose labels include every pair of `subset`.
  std::vector<const metric_sample*> find(std::string_view name,
                                         const std::map<std::string, std::string>& subset = {}) const;
};

enum class parse_mode { strict, lenient };

/// Parses OpenMetrics text; on error returns nothing and sets `error` to
/// "line N: why".
std::optional<exposition> parse_openmetrics(std::string_view text, std::string& error,
                                            parse_mode mode = parse_mode::strict);

/// Parses the classic text format 0.0.4; on error as parse_openmetrics.
std::optional<exposition> parse_prometheus_text(std::string_view text, std::string& error,
                                                parse_mode mode = parse_mode::strict);

/// What a scraper calls: OpenMetrics when the text ends with "# EOF" (and
/// optionally a newline), else the classic format; lenient either way.
std::optional<exposition> parse_metrics_text(std::string_view text, std::string& error);

} // namespace connpool
