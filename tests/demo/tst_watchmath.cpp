// SPDX-License-Identifier: MIT
// The watch mode's decisions as pure functions, without threads or sockets:
// counter increases across a reset, histogram_quantile over the difference
// of two scrapes' cumulative buckets, the retry backoff, and the pools read
// from the library's own OpenMetrics and classic text.
#include "scrapedpools.h"
#include "watchmath.h"

#include <QTest>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>
import connpool;
#include "support/internals.h"

using watchmath::Bucket;

namespace {

constexpr double inf = HUGE_VAL;

connpool::metrics withWaits(std::uint64_t gets, const std::vector<std::uint64_t>& waitNs) {
  connpool::metrics m;
  m.gets = gets;
  m.hits = gets / 2;
  connpool_testing::record_into(m.wait, waitNs);
  return m;
}

std::string openMetrics(const connpool::metrics& m, const char* pool) { return connpool::to_openmetrics(m, pool); }

} // namespace

class tst_WatchMath : public QObject {
  Q_OBJECT

private slots:
  void aCounterThatWentDownIsAResetNotANegativeIncrease() {
    QCOMPARE(watchmath::counterIncrease(10, 15), 5.0);
    QCOMPARE(watchmath::counterIncrease(15, 15), 0.0);
    QVERIFY(!watchmath::wasReset(15, 15));
    QVERIFY(watchmath::wasReset(100, 7));
    QCOMPARE(watchmath::counterIncrease(100, 7), 7.0); // counted 7 since the restart
  }

  void quantileInterpolatesInsideTheBucketLikeHistogramQuantile() {
    const std::vector<Bucket> b = {{0.1, 10}, {0.2, 30}, {0.5, 40}, {inf, 40}};
    // Rank 20 is in (0.1, 0.2], 10 of its 20: halfway.
    QCOMPARE(*watchmath::histogramQuantile(0.5, b), 0.15);
    // Rank 39.6 in (0.2, 0.5]: 9.6 of its 10.
    QVERIFY(std::abs(*watchmath::histogramQuantile(0.99, b) - 0.488) < 1e-12);
    // The first bucket starts at 0: rank 2 is 2 of its 10.
    QVERIFY(std::abs(*watchmath::histogramQuantile(0.05, b) - 0.02) < 1e-12);
    // In the +Inf bucket: the largest finite bound.
    QCOMPARE(*watchmath::histogramQuantile(0.9, {{0.1, 1}, {inf, 5}}), 0.1);
    QCOMPARE(*watchmath::histogramMaxBound(b), 0.5);
    QCOMPARE(*watchmath::histogramMaxBound({{0.1, 1}, {inf, 5}}), inf);
  }

  void noObservationOrNoInfBucketGivesNoQuantile() {
    QVERIFY(!watchmath::histogramQuantile(0.5, {}));
    QVERIFY(!watchmath::histogramQuantile(0.5, {{0.1, 0}, {inf, 0}}));
    QVERIFY(!watchmath::histogramQuantile(0.5, {{0.1, 3}, {0.2, 4}})); // no +Inf
    QVERIFY(!watchmath::histogramQuantile(1.5, {{0.1, 3}, {inf, 4}}));
    QVERIFY(!watchmath::histogramMaxBound({{0.1, 0}, {inf, 0}}));
  }

  void theIntervalIsTheDifferenceOfTheCumulativeBuckets() {
    const std::vector<Bucket> before = {{0.1, 5}, {inf, 10}}, after = {{0.1, 7}, {inf, 15}};
    QCOMPARE(watchmath::bucketIncrease(before, after), (std::vector<Bucket>{{0.1, 2}, {inf, 5}}));
    // A reset (a count went down) or other bounds: the new counts themselves.
    const std::vector<Bucket> restarted = {{0.1, 1}, {inf, 2}};
    QCOMPARE(watchmath::bucketIncrease(after, restarted), restarted);
    QCOMPARE(watchmath::bucketIncrease({}, after), after);
    const std::vector<Bucket> other = {{0.2, 7}, {inf, 15}};
    QCOMPARE(watchmath::bucketIncrease(before, other), other);
  }

  void perIntervalPercentilesSeeTheIntervalNotTheWholeHistory() {
    // 1000 fast gets, then an interval of 100 slow ones (5 ms each).
    std::vector<std::uint64_t> fast(1000, 1000), slow(100, 5'000'000);
    std::vector<std::uint64_t> all = fast;
    all.insert(all.end(), slow.begin(), slow.end());
    const Scrape first = readScrape(openMetrics(withWaits(1000, fast), "db"));
    const Scrape second = readScrape(openMetrics(withWaits(1100, all), "db"));
    QVERIFY2(first.error.isEmpty(), qPrintable(first.error));
    QVERIFY2(second.error.isEmpty(), qPrintable(second.error));
    const auto& b1 = first.pools[0].histograms.at(QStringLiteral("wait"));
    const auto& b2 = second.pools[0].histograms.at(QStringLiteral("wait"));
    // Over the whole history the median is fast (~1 us) ...
    QVERIFY(*watchmath::histogramQuantile(0.5, b2) < 2e-6);
    // ... over the interval it is in 5 ms's bucket, (2^22 - 1, 2^23 - 1] ns.
    const double p50 = *watchmath::histogramQuantile(0.5, watchmath::bucketIncrease(b1, b2));
    QVERIFY2(p50 > 4194303e-9 && p50 <= 8388607e-9, qPrintable(QString::number(p50)));
    QCOMPARE(*watchmath::histogramMaxBound(watchmath::bucketIncrease(b1, b2)), 8388607e-9);
  }

  void retriesBackOffDoublingUpToACap() {
    QCOMPARE(watchmath::retryDelay(1000, 0), 1000);
    QCOMPARE(watchmath::retryDelay(1000, 1), 1000);
    QCOMPARE(watchmath::retryDelay(1000, 2), 2000);
    QCOMPARE(watchmath::retryDelay(1000, 3), 4000);
    QCOMPARE(watchmath::retryDelay(1000, 4), 8000);
    QCOMPARE(watchmath::retryDelay(1000, 50), 8000);  // 8 x interval
    QCOMPARE(watchmath::retryDelay(100, 50), 2000);   // at least 2 s
    QCOMPARE(watchmath::retryDelay(10000, 5), 30000); // never above 30 s
  }

  void poolsAreReadFromBothFormatsUnderTheStatsNames() {
    connpool::metrics a = withWaits(40, {1000, 2000}), b = withWaits(7, {});
    a.idle = 3, a.active = 2, a.open = 5, a.max_size = 8, a.max_idle = 4, a.timeouts = 6, a.circuit_open = true;
    a.closed_by[static_cast<std::size_t>(connpool::close_reason::idle_time)] = 9;
    a.ping_failures = 11;
    const std::string oa = connpool::to_openmetrics(a, "orders", false),
                      ob = connpool::to_openmetrics(b, "sessions", false);
    const std::array<std::string_view, 2> om = {oa, ob};
    const std::string ca = connpool::to_prometheus_text(a, "orders"), cb = connpool::to_prometheus_text(b, "sessions");
    const std::array<std::string_view, 2> classic = {ca, cb};
    for (const std::string& text : {connpool::merge_openmetrics(om), connpool::merge_prometheus_text(classic)}) {
      const Scrape s = readScrape(text);
      QVERIFY2(s.error.isEmpty(), qPrintable(s.error));
      QCOMPARE(s.pools.size(), std::size_t{2});
      QCOMPARE(s.pools[0].name, QStringLiteral("orders"));
      QCOMPARE(s.pools[1].name, QStringLiteral("sessions"));
      const QVariantMap& st = s.pools[0].stats;
      QCOMPARE(st.value("gets").toDouble(), 40.0);
      QCOMPARE(st.value("hits").toDouble(), 20.0);
      QCOMPARE(st.value("idleCount").toDouble(), 3.0);
      QCOMPARE(st.value("activeCount").toDouble(), 2.0);
      QCOMPARE(st.value("openCount").toDouble(), 5.0);
      QCOMPARE(st.value("currentMaxSize").toDouble(), 8.0);
      QCOMPARE(st.value("currentMaxIdle").toDouble(), 4.0);
      QCOMPARE(st.value("timeouts").toDouble(), 6.0);
      QCOMPARE(st.value("pingFailures").toDouble(), 11.0);
      QCOMPARE(st.value("closedIdleTime").toDouble(), 9.0);
      QCOMPARE(st.value("circuitOpen").toBool(), true);
      QCOMPARE(s.pools[1].stats.value("gets").toDouble(), 7.0);
      QCOMPARE(s.pools[0].histograms.at(QStringLiteral("wait")).back().count, 2.0);
      QVERIFY(std::isinf(s.pools[0].histograms.at(QStringLiteral("wait")).back().le));
    }
  }

  void garbageAndMetricsWithoutPoolsAreRefusedWithAReason() {
    const Scrape html = readScrape("<html><body>Hello</body></html>\n");
    QVERIFY(html.error.startsWith(QStringLiteral("not metrics text (line 1")));
    const Scrape other = readScrape("# TYPE go_goroutines gauge\ngo_goroutines 3\n");
    QVERIFY2(other.error.startsWith(QStringLiteral("no connection pool")), qPrintable(other.error));
    QVERIFY(other.pools.empty());
  }
};

QTEST_APPLESS_MAIN(tst_WatchMath)
#include "tst_watchmath.moc"
