// SPDX-License-Identifier: MIT
// connpool::to_openmetrics / merge_openmetrics and to_prometheus_text /
// merge_prometheus_text, read back by the library's strict OpenMetrics 1.0.0
// and Prometheus text format 0.0.4 parsers (connpool:metrics_text).
#include <QTest>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>
import connpool;
#include "support/internals.h"

using namespace std::chrono_literals;

namespace {

using Labels = std::map<std::string, std::string>;
using Sample = connpool::metric_sample;
using Exposition = connpool::exposition;

/// The library's parsers (tests/tst_metrics_text.cpp tests them on their
/// own); strict unless told: what the writer promises.
std::optional<Exposition> parse(const std::string& text, std::string& error, bool strict = true) {
  return connpool::parse_openmetrics(text, error,
                                     strict ? connpool::parse_mode::strict : connpool::parse_mode::lenient);
}
std::optional<Exposition> parse_prometheus_text(const std::string& text, std::string& error) {
  return connpool::parse_prometheus_text(text, error);
}

/// "1.5" -> 1500000000: an exact decimal of seconds as nanoseconds.
std::optional<std::uint64_t> nanoseconds(const std::string& s) {
  static const std::regex re("([0-9]+)(?:\\.([0-9]{1,9}))?");
  std::smatch m;
  if (!std::regex_match(s, m, re)) return std::nullopt;
  std::string frac = m[2];
  frac.resize(9, '0');
  return std::stoull(m[1]) * 1000000000ull + std::stoull(frac);
}

std::uint64_t u64(const Sample* s) { return std::stoull(s->value); }

const std::string weirdName = "a \"quoted\" \\ name\nline 2";

// A metrics value with every counter distinct, and known histograms.
connpool::metrics sampleMetrics(const std::vector<std::uint64_t>& waitNs) {
  connpool::metrics m;
  std::uint64_t v = 100;
  for (std::uint64_t* f : {&m.gets,
                           &m.puts,
                           &m.discards,
                           &m.hits,
                           &m.misses,
                           &m.waits,
                           &m.timeouts,
                           &m.ping_failures,
                           &m.idle_closed,
                           &m.age_closed,
                           &m.factory_failures,
                           &m.close_timeouts,
                           &m.max_active,
                           &m.cancellations,
                           &m.close_errors,
                           &m.created,
                           &m.leaks_suspected,
                           &m.circuit_opens,
                           &m.circuit_rejects,
                           &m.observer_errors,
                           &m.overtaken})
    *f = v++;
  m.closed = 0;
  for (std::size_t r = 0; r < connpool::close_reason_count; ++r)
    m.closed += m.closed_by[r] = 10 + r;
  m.open = 7, m.idle = 3, m.active = 4, m.waiting = 2, m.creating = 1, m.max_size = 8, m.max_idle = 5, m.min_idle = 2;
  m.circuit_open = true;
  connpool_testing::record_into(m.wait, waitNs);
  const std::uint64_t two_ms = std::chrono::nanoseconds(2ms).count();
  connpool_testing::record_into(m.create, std::span(&two_ms, 1)); // a second shard summed in
  return m;
}

// Every gauge and counter sample with the field it carries: (sample name,
// labels besides pool_name, value).
struct Expected {
  std::string name;
  Labels labels;
  std::uint64_t value;
};
std::vector<Expected> expectedValues(const connpool::metrics& m) {
  std::vector<Expected> v = {
      {"db_client_connection_count", {{"state", "idle"}}, m.idle},
      {"db_client_connection_count", {{"state", "used"}}, m.active},
      {"db_client_connection_idle_max", {}, m.max_idle},
      {"db_client_connection_idle_min", {}, m.min_idle},
      {"db_client_connection_max", {}, m.max_size},
      {"db_client_connection_pending_requests", {}, m.waiting},
      {"db_client_connection_timeouts_total", {}, m.timeouts},
      {"connpool_open", {}, m.open},
      {"connpool_creating", {}, m.creating},
      {"connpool_max_active", {}, m.max_active},
      {"connpool_circuit_open", {}, m.circuit_open ? 1u : 0u},
      {"connpool_gets_total", {}, m.gets},
      {"connpool_puts_total", {}, m.puts},
      {"connpool_discards_total", {}, m.discards},
      {"connpool_hits_total", {}, m.hits},
      {"connpool_misses_total", {}, m.misses},
      {"connpool_waits_total", {}, m.waits},
      {"connpool_ping_failures_total", {}, m.ping_failures},
      {"connpool_idle_closed_total", {}, m.idle_closed},
      {"connpool_age_closed_total", {}, m.age_closed},
      {"connpool_factory_failures_total", {}, m.factory_failures},
      {"connpool_close_timeouts_total", {}, m.close_timeouts},
      {"connpool_cancellations_total", {}, m.cancellations},
      {"connpool_close_errors_total", {}, m.close_errors},
      {"connpool_created_total", {}, m.created},
      {"connpool_closed_total", {}, m.closed},
      {"connpool_leaks_suspected_total", {}, m.leaks_suspected},
      {"connpool_circuit_opens_total", {}, m.circuit_opens},
      {"connpool_circuit_rejects_total", {}, m.circuit_rejects},
      {"connpool_observer_errors_total", {}, m.observer_errors},
      {"connpool_overtaken_total", {}, m.overtaken},
  };
  for (std::size_t r = 0; r < connpool::close_reason_count; ++r) {
    const auto reason = static_cast<connpool::close_reason>(r);
    v.push_back({"connpool_closed_by_reason_total", {{"reason", connpool::to_string(reason)}}, m.closed_for(reason)});
  }
  return v;
}

// Around the bounds (2^k - 1 and 2^k ns), zero, and past the last finite bucket.
const std::vector<std::uint64_t> waitValues = {
    0, 1, 1023, 1024, 1025, 1500, 1000000, (1u << 20) - 1, 1u << 20, 3000000000ull, 40000000000ull, 7200000000000ull};

} // namespace

class tst_OpenMetrics : public QObject {
  Q_OBJECT

private:
  static Exposition parsed(const std::string& text, bool strict = true) {
    std::string error;
    auto e = parse(text, error, strict);
    if (!e) qWarning("%s\n--- text ---\n%s", error.c_str(), text.c_str());
    return e ? *e : Exposition{};
  }

private slots:
  void everyLineIsOpenMetricsAndEndsWithOneEof() {
    const std::string text = connpool::to_openmetrics(sampleMetrics(waitValues), "p");
    std::string error;
    QVERIFY2(parse(text, error).has_value(), error.c_str());
    QVERIFY(text.ends_with("# EOF\n"));
    QCOMPARE(text.find("# EOF"), text.size() - 6);
    QCOMPARE(connpool::to_openmetrics(sampleMetrics(waitValues), "p", false).find("# EOF"), std::string::npos);
  }

  void everySampleCarriesTheEscapedPoolNameAndItUnescapesBack() {
    const std::string text = connpool::to_openmetrics(sampleMetrics(waitValues), weirdName);
    QVERIFY(text.find("pool_name=\"a \\\"quoted\\\" \\\\ name\\nline 2\"") != std::string::npos);
    const Exposition e = parsed(text);
    QVERIFY(e.samples.size() > 100);
    for (const Sample& s : e.samples)
      QCOMPARE(s.labels.at("pool_name"), weirdName);
  }

  void familiesHaveTheRightTypeAndUnitsOnlyWhereTheNameEndsWithIt() {
    const Exposition e = parsed(connpool::to_openmetrics(sampleMetrics(waitValues), "p"));
    const std::map<std::string, std::string> expected = {
        {"db_client_connection_count", "gauge"},
        {"db_client_connection_idle_max", "gauge"},
        {"db_client_connection_idle_min", "gauge"},
        {"db_client_connection_max", "gauge"},
        {"db_client_connection_pending_requests", "gauge"},
        {"db_client_connection_timeouts", "counter"},
        {"db_client_connection_wait_time_seconds", "histogram"},
        {"db_client_connection_create_time_seconds", "histogram"},
        {"db_client_connection_use_time_seconds", "histogram"},
        {"connpool_ping_time_seconds", "histogram"},
        {"connpool_closed_by_reason", "counter"},
        {"connpool_open", "gauge"},
        {"connpool_creating", "gauge"},
        {"connpool_max_active", "gauge"},
        {"connpool_circuit_open", "gauge"},
    };
    for (const auto& [name, type] : expected) {
      QVERIFY2(e.families.contains(name), name.c_str());
      QCOMPARE(e.families.at(name).type, type);
    }
    for (const auto& [name, f] : e.families) {
      QVERIFY2(!f.help.empty(), name.c_str());
      QCOMPARE(f.unit, std::string(name.ends_with("_seconds") ? "seconds" : ""));
    }
  }

  void gaugesAndCountersCarryTheirFieldValues() {
    const connpool::metrics m = sampleMetrics(waitValues);
    const Exposition e = parsed(connpool::to_openmetrics(m, "p"));
    auto one = [&](const std::string& name, const Labels& labels = {}) -> std::uint64_t {
      const auto found = e.find(name, labels);
      return found.size() == 1 ? u64(found[0]) : UINT64_MAX;
    };
    QCOMPARE(one("db_client_connection_count", {{"state", "idle"}}), m.idle);
    QCOMPARE(one("db_client_connection_count", {{"state", "used"}}), m.active);
    QCOMPARE(e.find("db_client_connection_count").size(), std::size_t{2});
    QCOMPARE(one("db_client_connection_idle_max"), m.max_idle);
    QCOMPARE(one("db_client_connection_idle_min"), m.min_idle);
    QCOMPARE(one("db_client_connection_max"), m.max_size);
    QCOMPARE(one("db_client_connection_pending_requests"), m.waiting);
    QCOMPARE(one("db_client_connection_timeouts_total"), m.timeouts);
    QCOMPARE(one("connpool_open"), m.open);
    QCOMPARE(one("connpool_creating"), m.creating);
    QCOMPARE(one("connpool_max_active"), m.max_active);
    QCOMPARE(one("connpool_circuit_open"), std::uint64_t{1});
    const std::map<std::string, std::uint64_t> counters = {
        {"gets", m.gets},
        {"puts", m.puts},
        {"discards", m.discards},
        {"hits", m.hits},
        {"misses", m.misses},
        {"waits", m.waits},
        {"ping_failures", m.ping_failures},
        {"idle_closed", m.idle_closed},
        {"age_closed", m.age_closed},
        {"factory_failures", m.factory_failures},
        {"close_timeouts", m.close_timeouts},
        {"cancellations", m.cancellations},
        {"close_errors", m.close_errors},
        {"created", m.created},
        {"closed", m.closed},
        {"leaks_suspected", m.leaks_suspected},
        {"circuit_opens", m.circuit_opens},
        {"circuit_rejects", m.circuit_rejects},
        {"observer_errors", m.observer_errors},
        {"overtaken", m.overtaken},
    };
    for (const auto& [field, v] : counters) {
      QCOMPARE(e.families.at("connpool_" + field).type, std::string("counter"));
      QCOMPARE(one("connpool_" + field + "_total"), v);
    }
  }

  void perReasonSamplesCoverEveryReasonAndSumToClosed() {
    const connpool::metrics m = sampleMetrics(waitValues);
    const Exposition e = parsed(connpool::to_openmetrics(m, "p"));
    const auto samples = e.find("connpool_closed_by_reason_total");
    QCOMPARE(samples.size(), connpool::close_reason_count);
    std::uint64_t sum = 0;
    for (std::size_t r = 0; r < connpool::close_reason_count; ++r) {
      const auto reason = static_cast<connpool::close_reason>(r);
      const auto found = e.find("connpool_closed_by_reason_total", {{"reason", connpool::to_string(reason)}});
      QCOMPARE(found.size(), std::size_t{1});
      QCOMPARE(u64(found[0]), m.closed_for(reason));
      sum += u64(found[0]);
    }
    QCOMPARE(sum, m.closed);
  }

  void histogramBucketsAreCumulativeAndInfEqualsCount() {
    const Exposition e = parsed(connpool::to_openmetrics(sampleMetrics(waitValues), "p"));
    for (const std::string family :
         {"db_client_connection_wait_time_seconds", "db_client_connection_create_time_seconds",
          "db_client_connection_use_time_seconds", "connpool_ping_time_seconds"}) {
      const auto buckets = e.find(family + "_bucket");
      QVERIFY(buckets.size() > 10);
      QCOMPARE(buckets.back()->labels.at("le"), std::string("+Inf"));
      double lastLe = -1;
      std::uint64_t lastCount = 0;
      for (const Sample* b : buckets) {
        const double le = b->labels.at("le") == "+Inf" ? HUGE_VAL : std::stod(b->labels.at("le"));
        QVERIFY2(le > lastLe, "le values distinct and increasing as doubles");
        QVERIFY(u64(b) >= lastCount);
        lastLe = le, lastCount = u64(b);
      }
      QCOMPARE(e.find(family + "_count").size(), std::size_t{1});
      QCOMPARE(u64(e.find(family + "_count")[0]), lastCount);
      QCOMPARE(e.find(family + "_sum").size(), std::size_t{1});
    }
  }

  void histogramBucketsCountExactlyTheValuesAtMostLe() {
    const Exposition e = parsed(connpool::to_openmetrics(sampleMetrics(waitValues), "p"));
    const std::string family = "db_client_connection_wait_time_seconds";
    const auto buckets = e.find(family + "_bucket");
    for (const Sample* b : buckets) {
      const std::string le = b->labels.at("le");
      const auto bound = le == "+Inf" ? std::optional<std::uint64_t>(UINT64_MAX) : nanoseconds(le);
      QVERIFY2(bound.has_value(), le.c_str());
      const auto expected = std::count_if(waitValues.begin(), waitValues.end(), [&](auto v) { return v <= *bound; });
      QCOMPARE(u64(b), static_cast<std::uint64_t>(expected));
    }
    // Bounds on both sides of 1024 ns: 1023 is in the first bucket, 1024 not.
    QCOMPARE(buckets.front()->labels.at("le"), std::string("0.000001023"));
    QCOMPARE(u64(buckets.front()), std::uint64_t{3}); // 0, 1, 1023
    QCOMPARE(u64(e.find(family + "_count")[0]), static_cast<std::uint64_t>(waitValues.size()));
    std::uint64_t sum = 0;
    for (auto v : waitValues)
      sum += v;
    const std::string sumText = e.find(family + "_sum")[0]->value;
    QCOMPARE(nanoseconds(sumText), std::optional<std::uint64_t>(sum));
    QCOMPARE(std::stod(sumText), static_cast<double>(sum) / 1e9);
    // The other histograms: create has the one 2 ms value, hold and ping none.
    QCOMPARE(e.find("db_client_connection_create_time_seconds_sum")[0]->value, std::string("0.002"));
    QCOMPARE(e.find("db_client_connection_create_time_seconds_count")[0]->value, std::string("1"));
    QCOMPARE(e.find("connpool_ping_time_seconds_count")[0]->value, std::string("0"));
    QCOMPARE(e.find("connpool_ping_time_seconds_sum")[0]->value, std::string("0"));
  }

  void concatenatedPoolsParseWithNoDuplicateSeries() {
    const connpool::metrics a = sampleMetrics(waitValues), b = sampleMetrics({5, 6});
    const std::string text =
        connpool::to_openmetrics(a, "a", false) + connpool::to_openmetrics(b, "b", false) + "# EOF\n";
    std::string error;
    QVERIFY(!parse(text, error, true)); // repeated families: not strict OpenMetrics
    const Exposition e = parsed(text, false);
    QCOMPARE(e.samples.size(), 2 * parsed(connpool::to_openmetrics(a, "a")).samples.size());
    QCOMPARE(u64(e.find("db_client_connection_wait_time_seconds_count", {{"pool_name", "b"}})[0]), std::uint64_t{2});
  }

  void mergedPoolsDeclareEachFamilyOnceWithEverySample() {
    const connpool::metrics a = sampleMetrics(waitValues), b = sampleMetrics({5, 6});
    const std::string ta = connpool::to_openmetrics(a, "a", false), tb = connpool::to_openmetrics(b, weirdName, false);
    const std::array<std::string_view, 2> texts = {ta, tb};
    const std::string merged = connpool::merge_openmetrics(texts);
    const Exposition e = parsed(merged); // strict
    const Exposition ea = parsed(connpool::to_openmetrics(a, "a"));
    QCOMPARE(e.families.size(), ea.families.size());
    QCOMPARE(e.samples.size(), 2 * ea.samples.size());
    QCOMPARE(u64(e.find("db_client_connection_count", {{"pool_name", weirdName}, {"state", "used"}})[0]), b.active);
    QCOMPARE(u64(e.find("db_client_connection_wait_time_seconds_count", {{"pool_name", "a"}})[0]),
             static_cast<std::uint64_t>(waitValues.size()));
    // Merging the whole texts (EOF included) gives the same.
    const std::string fa = connpool::to_openmetrics(a, "a"), fb = connpool::to_openmetrics(b, weirdName);
    const std::array<std::string_view, 2> full = {fa, fb};
    QCOMPARE(connpool::merge_openmetrics(full), merged);
    QCOMPARE(connpool::merge_openmetrics(texts, false).find("# EOF"), std::string::npos);
  }

  void parserRejectsWhatOpenMetricsForbids() {
    const std::vector<std::string> bad = {
        "# TYPE a gauge\na 1\n",                             // no EOF
        "a 1\n# EOF\n",                                      // no TYPE
        "# TYPE a gauge\na{l=\"\\t\"} 1\n# EOF\n",           // bad escape
        "# TYPE a counter\na 1\n# EOF\n",                    // counter sample without _total
        "# TYPE a gauge\na 1\na 2\n# EOF\n",                 // duplicate series
        "# TYPE a gauge\na 1\n# EOF\n# EOF\n",               // two EOFs
        "# TYPE a gauge\n# UNIT a seconds\na 1\n# EOF\n",    // unit not in the name
        "# TYPE a gauge\na 1\n\n# EOF\n",                    // blank line
        "# TYPE a gauge\na 1\n# TYPE b gauge\na 2\n# EOF\n", // interleaved
        "# TYPE a gauge\na 1\n# TYPE a gauge\n# EOF\n",      // declared twice
    };
    for (const std::string& text : bad) {
      std::string error;
      QVERIFY2(!parse(text, error), text.c_str());
    }
    std::string error;
    QVERIFY2(parse("# TYPE a_seconds histogram\n# UNIT a_seconds seconds\n# HELP a_seconds x \\\\ y\n"
                   "a_seconds_bucket{le=\"+Inf\",b=\"\\\"\"} 1\na_seconds_count 1\n# EOF\n",
                   error),
             error.c_str());
  }

  // The classic text format 0.0.4 (to_prometheus_text).

  void classicEveryLineParsesWithNoOpenMetricsOnlyLine() {
    const std::string text = connpool::to_prometheus_text(sampleMetrics(waitValues), "p");
    std::string error;
    QVERIFY2(parse_prometheus_text(text, error).has_value(), (error + "\n" + text).c_str());
    QVERIFY(text.ends_with("\n"));
    QCOMPARE(text.find("# EOF"), std::string::npos);
    QCOMPARE(text.find("# UNIT"), std::string::npos);
    QCOMPARE(text.find("_created{"), std::string::npos); // no _created samples (connpool_created_total is a counter)
    QVERIFY(!parse(text, error));                        // and it is not OpenMetrics
  }

  void classicEveryFamilyHasHelpAndTypeCountersNamedWithTotal() {
    const connpool::metrics m = sampleMetrics(waitValues);
    const Exposition om = parsed(connpool::to_openmetrics(m, "p"));
    std::string error;
    const auto e = parse_prometheus_text(connpool::to_prometheus_text(m, "p"), error);
    QVERIFY2(e, error.c_str());
    // The same families, a counter's named with its _total, with the same help.
    QCOMPARE(e->families.size(), om.families.size());
    for (const auto& [name, f] : om.families) {
      const std::string classic = f.type == "counter" ? name + "_total" : name;
      QVERIFY2(e->families.contains(classic), classic.c_str());
      QCOMPARE(e->families.at(classic).type, f.type);
      QCOMPARE(e->families.at(classic).help, f.help);
      QVERIFY2(!e->families.at(classic).help.empty(), classic.c_str());
      QCOMPARE(e->families.at(classic).unit, std::string());
    }
    QCOMPARE(e->families.at("connpool_gets_total").type, std::string("counter"));
    QCOMPARE(e->families.at("connpool_closed_by_reason_total").type, std::string("counter"));
    QCOMPARE(e->families.at("db_client_connection_timeouts_total").type, std::string("counter"));
    QCOMPARE(e->families.at("db_client_connection_count").type, std::string("gauge"));
    QCOMPARE(e->families.at("db_client_connection_wait_time_seconds").type, std::string("histogram"));
  }

  void classicValuesMatchTheMetricsAndTheOpenMetricsSamples() {
    const connpool::metrics m = sampleMetrics(waitValues);
    std::string error;
    const auto e = parse_prometheus_text(connpool::to_prometheus_text(m, weirdName), error);
    QVERIFY2(e, error.c_str());
    for (const Expected& x : expectedValues(m)) {
      Labels labels = x.labels;
      labels["pool_name"] = weirdName;
      const auto found = e->find(x.name, labels);
      QVERIFY2(found.size() == 1, x.name.c_str());
      QVERIFY2(found[0]->labels == labels, x.name.c_str());
      QCOMPARE(u64(found[0]), x.value);
    }
    // Histograms: exact buckets, count and sum, as in OpenMetrics.
    const std::string family = "db_client_connection_wait_time_seconds";
    const auto buckets = e->find(family + "_bucket");
    QCOMPARE(buckets.size(), std::size_t{27});
    for (const Sample* b : buckets) {
      const std::string le = b->labels.at("le");
      const auto bound = le == "+Inf" ? std::optional<std::uint64_t>(UINT64_MAX) : nanoseconds(le);
      QVERIFY2(bound.has_value(), le.c_str());
      QCOMPARE(u64(b), static_cast<std::uint64_t>(
                           std::count_if(waitValues.begin(), waitValues.end(), [&](auto v) { return v <= *bound; })));
    }
    QCOMPARE(u64(e->find(family + "_count")[0]), static_cast<std::uint64_t>(waitValues.size()));
    QCOMPARE(nanoseconds(e->find(family + "_sum")[0]->value), std::optional<std::uint64_t>(m.wait.sum_ns));
    QCOMPARE(e->find("db_client_connection_create_time_seconds_sum")[0]->value, std::string("0.002"));
    // Sample for sample what OpenMetrics has, in the same order.
    const Exposition om = parsed(connpool::to_openmetrics(m, weirdName));
    QCOMPARE(e->samples.size(), om.samples.size());
    for (std::size_t i = 0; i < om.samples.size(); ++i) {
      QCOMPARE(e->samples[i].name, om.samples[i].name);
      QVERIFY(e->samples[i].labels == om.samples[i].labels);
      QCOMPARE(e->samples[i].value, om.samples[i].value);
    }
  }

  void classicMergedPoolsDeclareEachFamilyOnce() {
    const connpool::metrics a = sampleMetrics(waitValues), b = sampleMetrics({5, 6});
    const std::string ta = connpool::to_prometheus_text(a, "a"), tb = connpool::to_prometheus_text(b, weirdName);
    std::string error;
    QVERIFY(!parse_prometheus_text(ta + tb, error)); // concatenated: every family declared twice
    const std::array<std::string_view, 2> texts = {ta, tb};
    const std::string merged = connpool::merge_prometheus_text(texts);
    const auto e = parse_prometheus_text(merged, error);
    QVERIFY2(e, error.c_str());
    const auto ea = parse_prometheus_text(ta, error);
    QVERIFY2(ea, error.c_str());
    QCOMPARE(e->families.size(), ea->families.size());
    QCOMPARE(e->samples.size(), 2 * ea->samples.size());
    QCOMPARE(u64(e->find("connpool_gets_total", {{"pool_name", weirdName}})[0]), b.gets);
    QCOMPARE(u64(e->find("db_client_connection_wait_time_seconds_count", {{"pool_name", weirdName}})[0]),
             std::uint64_t{2});
    QCOMPARE(u64(e->find("db_client_connection_wait_time_seconds_count", {{"pool_name", "a"}})[0]),
             static_cast<std::uint64_t>(waitValues.size()));
    // Every family's metadata comes from the first text.
    QCOMPARE(merged.substr(0, merged.find('\n', merged.find("# TYPE ")) + 1),
             ta.substr(0, ta.find('\n', ta.find("# TYPE ")) + 1));
  }

  void classicParserRejectsWhatTheTextFormatOrTheLintForbids() {
    const std::vector<std::string> bad = {
        "# TYPE a gauge\na 1\n",                                         // no HELP
        "# HELP a x\na 1\n",                                             // no TYPE
        "# HELP a x\n# TYPE a gauge\na{l=\"\\t\"} 1\n",                  // bad escape
        "# HELP a x\n# TYPE a counter\na 1\n",                           // counter without _total
        "# HELP a_total x\n# TYPE a_total counter\na 1\n",               // sample outside its family
        "# HELP a x\n# TYPE a gauge\na 1\na 2\n",                        // duplicate series
        "# HELP a x\n# TYPE a gauge\na 1\n# EOF\n",                      // OpenMetrics' EOF
        "# HELP a x\n# TYPE a gauge\n# UNIT a seconds\na 1\n",           // OpenMetrics' UNIT
        "# HELP a x\n# TYPE a gauge\na 1\n\n",                           // blank line
        "# HELP a x\n# TYPE a gauge\na 1\n# HELP a x\n",                 // metadata after samples
        "# HELP a x\n# TYPE a gauge\n# HELP b x\n# TYPE b gauge\na 1\n", // interleaved
        "# HELP a x\n# TYPE a gauge\na 1\n# HELP b x\n# TYPE a gauge\n", // declared again
        "# HELP h x\n# TYPE h histogram\nh_bucket 1\n",                  // bucket without le
        "# HELP a x\n# TYPE a gauge\na 1",                               // no final newline
    };
    for (const std::string& text : bad) {
      std::string error;
      QVERIFY2(!parse_prometheus_text(text, error), text.c_str());
    }
    std::string error;
    QVERIFY2(parse_prometheus_text("# HELP h_seconds x \\\\ y\n# TYPE h_seconds histogram\n"
                                   "h_seconds_bucket{le=\"+Inf\",b=\"\\\"\"} 1\nh_seconds_sum 0.5\n"
                                   "h_seconds_count 1\n# HELP c_total x\n# TYPE c_total counter\nc_total 3\n",
                                   error),
             error.c_str());
  }

  void classicEmptyMetricsRenderZerosAndStillParse() {
    std::string error;
    const auto e = parse_prometheus_text(connpool::to_prometheus_text(connpool::metrics{}, ""), error);
    QVERIFY2(e, error.c_str());
    QVERIFY(!e->samples.empty());
    for (const Sample& s : e->samples)
      QCOMPARE(s.value, std::string("0"));
    QCOMPARE(connpool::merge_prometheus_text({}), std::string());
  }

  void emptyMetricsRenderZerosAndStillParse() {
    const Exposition e = parsed(connpool::to_openmetrics(connpool::metrics{}, ""));
    QVERIFY(!e.samples.empty());
    for (const Sample& s : e.samples)
      QCOMPARE(s.value, std::string("0"));
  }
};

QTEST_APPLESS_MAIN(tst_OpenMetrics)
#include "tst_openmetrics.moc"
