// SPDX-License-Identifier: MIT
// Observability: close reasons, the created/closed books, the
// latency histograms and the observer. Each test proves a counter, a
// histogram or an event moves exactly when it should and not otherwise.
// Time for expiry is the manual clock and maintenance is driven by hand
// (background_maintenance = false); waiting is on gates and conditions with
// deadlines, never on sleeps.
#include <QTest>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <new>
#include <source_location>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>
import connpool;
#include "support/fake_connection.h"
#include "support/gate.h"
#include "support/internals.h"

// ---- a counting operator new: proves "no allocation per cycle" ----------
// Counts per thread, so a test counts only what its own calls allocate. The
// sanitizers' runtimes define operator new themselves: there the counts are
// not taken (the tests check everything else).
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CONNPOOL_TEST_SANITIZED 1
#endif
#endif
namespace {
thread_local std::uint64_t t_allocations = 0;
#ifdef CONNPOOL_TEST_SANITIZED
constexpr bool counting_allocations = false;
#else
constexpr bool counting_allocations = true;
#endif
} // namespace
#ifndef CONNPOOL_TEST_SANITIZED
void* operator new(std::size_t n) {
  ++t_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

using namespace std::chrono_literals;
using connpool::close_reason;
using connpool::context;
using connpool::errc;
using testing_support::fake_conn;
using testing_support::gate;
using testing_support::tracker;
using Pool = connpool::pool<fake_conn>;
using steady = std::chrono::steady_clock;

namespace {

constexpr std::array all_reasons = {close_reason::idle_time, close_reason::max_age,       close_reason::ping_failed,
                                    close_reason::discarded, close_reason::idle_overflow, close_reason::pool_closed,
                                    close_reason::drained,   close_reason::resized};
static_assert(all_reasons.size() == connpool::close_reason_count);

// The books balance: closes by reason are exactly `expected` (every other
// reason zero) and sum to `closed`; created - closed == open (nothing is
// being created); each counter Go's connpool also keeps (idle_closed,
// age_closed, ...) equals its reason's count.
void verify_books(const connpool::metrics& m, std::initializer_list<std::pair<close_reason, std::uint64_t>> expected) {
  std::uint64_t sum = 0;
  for (close_reason r : all_reasons) {
    std::uint64_t want = 0;
    for (const auto& [reason, n] : expected)
      if (reason == r) want = n;
    QVERIFY2(m.closed_for(r) == want, (std::string("closed_by[") + connpool::to_string(r) +
                                       "] = " + std::to_string(m.closed_for(r)) + ", expected " + std::to_string(want))
                                          .c_str());
    sum += m.closed_for(r);
  }
  QCOMPARE(sum, m.closed);
  QCOMPARE(m.creating, std::size_t(0));
  QCOMPARE(m.created - m.closed, static_cast<std::uint64_t>(m.open));
  QCOMPARE(m.idle_closed, m.closed_for(close_reason::idle_time));
  QCOMPARE(m.age_closed, m.closed_for(close_reason::max_age));
  QCOMPARE(m.ping_failures, m.closed_for(close_reason::ping_failed));
  QCOMPARE(m.discards, m.closed_for(close_reason::discarded));
}
#define VERIFY_BOOKS(m, ...)                                                                                           \
  do {                                                                                                                 \
    verify_books((m), {__VA_ARGS__});                                                                                  \
    if (QTest::currentTestFailed()) return;                                                                            \
  } while (0)

// Records every event as a short string ("created(1)", "closed(2,discarded)")
// and keeps the details tests assert on. Thread-safe.
class recording_observer : public connpool::observer {
public:
  void on_created(std::uint64_t id, connpool::duration) override { add("created(" + std::to_string(id) + ")"); }
  void on_create_failed(std::exception_ptr e, connpool::duration) override {
    add(std::string("create_failed(") + (e ? "error" : "null") + ")");
  }
  void on_acquired(std::uint64_t id, connpool::duration) override { add("acquired(" + std::to_string(id) + ")"); }
  void on_returned(std::uint64_t id, connpool::duration held) override {
    add("returned(" + std::to_string(id) + ")");
    std::lock_guard lk(mu_);
    holds_.push_back(held);
  }
  void on_closed(std::uint64_t id, close_reason why) override {
    add("closed(" + std::to_string(id) + "," + connpool::to_string(why) + ")");
  }
  void on_wait_timeout(connpool::duration waited) override {
    add("wait_timeout");
    std::lock_guard lk(mu_);
    waits_.push_back(waited);
  }
  void on_leak(const connpool::leak_report& r) override {
    add("leak(" + std::to_string(r.connection) + "," + (r.returned ? "returned" : "suspected") + ")");
    std::lock_guard lk(mu_);
    leaks_.push_back(r);
  }
  void on_circuit_open(std::exception_ptr e, connpool::duration retry_in) override {
    add(std::string("circuit_open(") + (e ? "error" : "null") + ")");
    std::lock_guard lk(mu_);
    retry_in_.push_back(retry_in);
  }
  void on_circuit_closed() override { add("circuit_closed"); }

  QStringList take() {
    std::lock_guard lk(mu_);
    return std::exchange(events_, {});
  }
  std::vector<connpool::leak_report> leaks() const {
    std::lock_guard lk(mu_);
    return leaks_;
  }
  std::vector<connpool::duration> waits() const {
    std::lock_guard lk(mu_);
    return waits_;
  }
  std::vector<connpool::duration> retry_in() const {
    std::lock_guard lk(mu_);
    return retry_in_;
  }

private:
  void add(const std::string& e) {
    std::lock_guard lk(mu_);
    events_.push_back(QString::fromStdString(e));
  }
  mutable std::mutex mu_;
  QStringList events_;
  std::vector<connpool::leak_report> leaks_;
  std::vector<connpool::duration> waits_, retry_in_, holds_;
};

// Throws from every callback, counting each throw.
class throwing_observer : public connpool::observer {
public:
  std::atomic<std::uint64_t> throws{0};
  void on_created(std::uint64_t, connpool::duration) override { fail(); }
  void on_create_failed(std::exception_ptr, connpool::duration) override { fail(); }
  void on_acquired(std::uint64_t, connpool::duration) override { fail(); }
  void on_returned(std::uint64_t, connpool::duration) override { fail(); }
  void on_closed(std::uint64_t, close_reason) override { fail(); }
  void on_wait_timeout(connpool::duration) override { fail(); }
  void on_leak(const connpool::leak_report&) override { fail(); }
  void on_circuit_open(std::exception_ptr, connpool::duration) override { fail(); }
  void on_circuit_closed() override { fail(); }

private:
  void fail() {
    ++throws;
    throw std::runtime_error("observer throws");
  }
};

auto pinger(std::function<bool(fake_conn&)> f) {
  return [f = std::move(f)](fake_conn& c, const context&) { return f(c); };
}
context expired() { return context::with_deadline(steady::now() - 1s); }

// For a pure histogram test: the snapshot of values recorded (in ns).
connpool::histogram_snapshot snapshot_of(const std::vector<std::uint64_t>& values) {
  connpool::histogram_snapshot s;
  connpool_testing::record_into(s, values);
  return s;
}
// The value of rank round(q * n) (at least 1), as percentile() defines it.
std::uint64_t true_percentile(std::vector<std::uint64_t> values, double q) {
  std::sort(values.begin(), values.end());
  const auto rank =
      std::max<std::uint64_t>(1, static_cast<std::uint64_t>(q * static_cast<double>(values.size()) + 0.5));
  return values[rank - 1];
}

} // namespace

class tst_PoolObservability : public QObject {
  Q_OBJECT
private slots:
  // ---- close reasons ------------------------------------------------------
  void maintainClosesConnectionsIdlePastMaxIdleTimeWithReasonIdleTimeOnlyOnceTheLimitIsReached() {
    connpool::manual_clock clock;
    tracker t;
    auto cfg = t.manual_config(3, clock);
    cfg.max_idle_time = 10s;
    Pool p(cfg);
    {
      auto a = p.get(), b = p.get();
    }
    clock.advance(9s);
    auto r = p.maintain();
    QCOMPARE(r.idle_closed, std::size_t(0));
    VERIFY_BOOKS(p.stats());
    QCOMPARE(p.stats().closed, 0u);
    clock.advance(1s);
    r = p.maintain();
    QCOMPARE(r.idle_closed, std::size_t(2));
    const auto m = p.stats();
    VERIFY_BOOKS(m, {close_reason::idle_time, 2});
    QCOMPARE(m.created, 2u);
    QCOMPARE(m.open, std::size_t(0));
    QCOMPARE(t.closed(), 2);
    QVERIFY(t.all_closed_exactly_once());
  }
  void getClosesAnIdleConnectionPastMaxIdleTimeWithReasonIdleTimeAndCreatesAnother() {
    connpool::manual_clock clock;
    tracker t;
    auto cfg = t.manual_config(2, clock);
    cfg.max_idle_time = 10s;
    Pool p(cfg);
    p.get(); // created, returned at once
    clock.advance(10s);
    auto l = p.get();
    QCOMPARE(l->id, 2);
    QCOMPARE(t.times_closed(1), 1);
    const auto m = p.stats();
    VERIFY_BOOKS(m, {close_reason::idle_time, 1});
    QCOMPARE(m.created, 2u);
    QCOMPARE(m.open, std::size_t(1));
  }
  void maxAgeClosesOnGetOnPutAndInMaintainWithReasonMaxAge() {
    connpool::manual_clock clock;
    tracker t;
    auto cfg = t.manual_config(3, clock);
    cfg.max_age = 60s;
    Pool p(cfg);
    {
      auto a = p.get(), b = p.get(); // 1, 2 idle after this
    }
    clock.advance(60s);
    auto c = p.get(); // on get: both idle ones are too old, a third is made
    QCOMPARE(c->id, 3);
    VERIFY_BOOKS(p.stats(), {close_reason::max_age, 2});
    clock.advance(60s);
    p.put(c); // on put
    VERIFY_BOOKS(p.stats(), {close_reason::max_age, 3});
    QCOMPARE(p.idle_count(), std::size_t(0));
    p.get(); // 4, idle
    clock.advance(59s);
    QCOMPARE(p.maintain().age_closed, std::size_t(0));
    clock.advance(1s);
    QCOMPARE(p.maintain().age_closed, std::size_t(1)); // in maintain
    const auto m = p.stats();
    VERIFY_BOOKS(m, {close_reason::max_age, 4});
    QCOMPARE(m.created, 4u);
    QCOMPARE(m.open, std::size_t(0));
    QVERIFY(t.all_closed_exactly_once());
  }
  void failedPingOnGetClosesWithReasonPingFailedAndGetCreatesAFreshConnection() {
    connpool::manual_clock clock;
    tracker t;
    auto cfg = t.manual_config(2, clock);
    std::atomic<bool> healthy{true};
    cfg.ping = pinger([&](fake_conn&) { return healthy.load(); });
    Pool p(cfg);
    p.get();
    healthy = false;
    auto l = p.get(); // 1 fails its ping, 2 is new (not pinged)
    QCOMPARE(l->id, 2);
    QCOMPARE(t.times_closed(1), 1);
    const auto m = p.stats();
    VERIFY_BOOKS(m, {close_reason::ping_failed, 1});
    QCOMPARE(m.ping.count, 1u);
    QCOMPARE(m.misses, 2u);
  }
  void failedOrThrowingHealthCheckPingClosesIdleConnectionWithReasonPingFailed() {
    connpool::manual_clock clock;
    tracker t;
    auto cfg = t.manual_config(3, clock);
    std::atomic<bool> checking{false};
    cfg.ping = pinger([&](fake_conn& c) {
      if (!checking) return true;
      if (c.id == 3) throw std::runtime_error("ping throws");
      return c.id != 2;
    });
    cfg.health_check_interval = 5s;
    Pool p(cfg);
    {
      auto a = p.get(), b = p.get(), c = p.get();
    }
    checking = true;
    clock.advance(4s);
    QCOMPARE(p.maintain().pinged, std::size_t(0)); // not due yet
    clock.advance(1s);
    const auto r = p.maintain();
    QCOMPARE(r.pinged, std::size_t(3));
    QCOMPARE(r.ping_failures, std::size_t(2));
    const auto m = p.stats();
    VERIFY_BOOKS(m, {close_reason::ping_failed, 2});
    QCOMPARE(m.ping.count, 3u);
    QCOMPARE(t.times_closed(1), 0);
    QCOMPARE(t.times_closed(2), 1);
    QCOMPARE(t.times_closed(3), 1);
    QCOMPARE(m.idle, std::size_t(1));
  }
  void discardClosesWithReasonDiscardedAndCountsDiscards() {
    tracker t;
    Pool p(t.config(2));
    auto a = p.get(), b = p.get();
    p.discard(a);
    VERIFY_BOOKS(p.stats(), {close_reason::discarded, 1});
    p.discard(b);
    const auto m = p.stats();
    VERIFY_BOOKS(m, {close_reason::discarded, 2});
    QCOMPARE(m.discards, 2u);
    QCOMPARE(m.puts, 0u);
    QCOMPARE(m.open, std::size_t(0));
  }
  void returnWhileMaxIdleConnectionsAreIdleClosesWithReasonIdleOverflow() {
    tracker t;
    auto cfg = t.config(3);
    cfg.max_idle = 1;
    Pool p(cfg);
    auto a = p.get(), b = p.get(), c = p.get();
    p.put(a); // idle: 1 of 1
    VERIFY_BOOKS(p.stats());
    QCOMPARE(p.stats().closed, 0u);
    p.put(b);
    VERIFY_BOOKS(p.stats(), {close_reason::idle_overflow, 1});
    p.put(c);
    const auto m = p.stats();
    VERIFY_BOOKS(m, {close_reason::idle_overflow, 2});
    QCOMPARE(m.idle, std::size_t(1));
    QCOMPARE(m.puts, 3u);
    QCOMPARE(t.times_closed(1), 0);
  }
  void closeClosesIdleNowAndALeaseReturnedAfterCloseWithReasonPoolClosed() {
    tracker t;
    Pool p(t.config(3));
    auto a = p.get(), b = p.get(), c = p.get();
    p.put(a);
    p.put(b);
    std::error_code ec;
    p.close(expired(), ec); // leases are out: it cannot wait for them
    QCOMPARE(ec, errc::close_timeout);
    auto m = p.stats();
    VERIFY_BOOKS(m, {close_reason::pool_closed, 2});
    QCOMPARE(m.close_timeouts, 1u);
    QCOMPARE(m.open, std::size_t(1));
    p.put(c, ec);
    QCOMPARE(ec, errc::pool_closed);
    m = p.stats();
    VERIFY_BOOKS(m, {close_reason::pool_closed, 3});
    QCOMPARE(m.open, std::size_t(0));
    QVERIFY(t.all_closed_exactly_once());
  }
  void drainClosesIdleNowAndLeasedOnReturnWithReasonDrained() {
    tracker t;
    Pool p(t.config(4));
    auto a = p.get(), b = p.get(), c = p.get();
    p.put(a);
    // Regression: drain() counted the idle connection it claimed twice (4).
    QCOMPARE(p.drain(), std::size_t(3));
    VERIFY_BOOKS(p.stats(), {close_reason::drained, 1});
    QCOMPARE(t.times_closed(1), 1);
    p.put(b);
    VERIFY_BOOKS(p.stats(), {close_reason::drained, 2});
    QCOMPARE(t.times_closed(2), 1);
    // A connection made after the drain is not affected.
    auto d = p.get();
    QCOMPARE(d->id, 4);
    p.put(d);
    QCOMPARE(t.times_closed(4), 0);
    p.put(c);
    const auto m = p.stats();
    VERIFY_BOOKS(m, {close_reason::drained, 3});
    QCOMPARE(m.open, std::size_t(1));
    QCOMPARE(m.idle, std::size_t(1));
    QCOMPARE(t.times_closed(3), 1);
  }
  void shrinkingMaxSizeClosesIdleNowAndAMarkedLeaseOnReturnWithReasonResized() {
    tracker t;
    auto cfg = t.config(3);
    cfg.max_size_limit = 3;
    Pool p(cfg);
    auto a = p.get(), b = p.get(), c = p.get();
    p.put(a);
    p.set_max_size(1); // 3 open, 1 allowed: idle 1 now, one lease when it returns
    VERIFY_BOOKS(p.stats(), {close_reason::resized, 1});
    QCOMPARE(t.times_closed(1), 1);
    // Regression: the shrink counted the idle connection it claimed twice and
    // flagged no lease, so the pool stayed at 2 open with max_size 1.
    QCOMPARE(p.stats().open, std::size_t(2)); // b and c: over the new limit by one, which b's return must fix
    p.put(b);                                 // marked
    QCOMPARE(t.times_closed(2), 1);
    VERIFY_BOOKS(p.stats(), {close_reason::resized, 2});
    p.put(c); // within the new limit: kept
    const auto m = p.stats();
    VERIFY_BOOKS(m, {close_reason::resized, 2});
    QCOMPARE(m.open, std::size_t(1));
    QCOMPARE(m.idle, std::size_t(1));
    QCOMPARE(m.max_size, std::size_t(1));
  }
  void shrinkingMaxIdleClosesIdleConnectionsOverTheLimitWithReasonResized() {
    tracker t;
    auto cfg = t.config(3);
    cfg.max_idle = 3;
    Pool p(cfg);
    {
      auto a = p.get(), b = p.get(), c = p.get();
    }
    p.set_max_idle(1);
    const auto m = p.stats();
    VERIFY_BOOKS(m, {close_reason::resized, 2});
    QCOMPARE(m.idle, std::size_t(1));
  }

  // ---- histograms through the pool ----------------------------------------
  void createHistogramCountsEveryFactoryCallIncludingFailedOnes() {
    tracker t;
    Pool p(t.config(3));
    auto a = p.get();
    t.fail_next = true;
    std::error_code ec;
    auto failed = p.get(context::background(), ec);
    QCOMPARE(ec, errc::factory_failed);
    auto b = p.get();
    p.put(a);
    auto again = p.get(); // a hit: no factory call
    const auto m = p.stats();
    QCOMPARE(m.create.count, 3u);
    QCOMPARE(m.created, 2u);
    QCOMPARE(m.factory_failures, 1u);
    QCOMPARE(m.create.count, m.created + m.factory_failures);
  }
  void pingHistogramCountsEveryPingOnGetAndInHealthChecks() {
    connpool::manual_clock clock;
    tracker t;
    auto cfg = t.manual_config(2, clock);
    std::atomic<int> pings{0};
    cfg.ping = pinger([&](fake_conn&) {
      ++pings;
      return true;
    });
    cfg.health_check_interval = 5s;
    Pool p(cfg);
    {
      auto a = p.get(), b = p.get(); // created: not pinged
    }
    QCOMPARE(p.stats().ping.count, 0u);
    for (int i = 0; i < 3; ++i)
      p.get(); // pinged on get
    QCOMPARE(p.stats().ping.count, 3u);
    clock.advance(5s);
    QCOMPARE(p.maintain().pinged, std::size_t(2));
    const auto m = p.stats();
    QCOMPARE(m.ping.count, 5u);
    QCOMPARE(m.ping.count, static_cast<std::uint64_t>(pings.load()));
  }
  // wait.count == gets that obtained a connection: those served on the
  // lock-free fast path are added to the zero bucket by stats(); those on
  // the slow path record their wait; failed gets record nothing.
  void waitHistogramCountsSuccessfulGetsOnlyWithFastPathGetsInBucketZero() {
    tracker t;
    Pool p(t.config(1));
    {
      auto first = p.get(); // slow: creates
    }
    auto m = p.stats();
    QCOMPARE(m.wait.count, 1u);
    const std::uint64_t zero_before = m.wait.buckets[0];
    for (int i = 0; i < 5; ++i)
      p.get(); // fast path: this thread's hint is idle
    m = p.stats();
    QCOMPARE(m.gets, 6u);
    QCOMPARE(m.wait.count, 6u);
    QCOMPARE(m.wait.buckets[0], zero_before + 5);
    auto held = p.get();
    QCOMPARE(get_error(p, expired()), errc::get_timeout);                  // fails before waiting
    QCOMPARE(get_error(p, context::with_timeout(1ms)), errc::get_timeout); // waits, then fails
    m = p.stats();
    QCOMPARE(m.gets, 9u);
    QCOMPARE(m.timeouts, 2u);
    QCOMPARE(m.wait.count, 7u);
    p.put(held);
    p.close();
    QCOMPARE(get_error(p, context::background()), errc::pool_closed);
    m = p.stats();
    QCOMPARE(m.gets, 10u);
    QCOMPARE(m.wait.count, 7u);
    QCOMPARE(m.wait.count, m.gets - m.timeouts - 1); // the one refused by the closed pool
  }
  void getThatWaitsForAHandOverRecordsAtLeastTheTimeItWasKeptWaiting() {
    tracker t;
    Pool p(t.config(1));
    auto held = p.get();
    gate got;
    std::jthread waiter([&] {
      auto l = p.get(context::with_timeout(10s));
      if (l) got.open();
    });
    QTRY_COMPARE(p.stats().waiting, std::size_t(1)); // its wait began before this
    const auto kept_from = steady::now();
    std::this_thread::sleep_for(20ms); // the wait being measured (not synchronisation)
    const auto kept = steady::now() - kept_from;
    p.put(held);
    QVERIFY(got.wait());
    waiter.join();
    const auto m = p.stats();
    QCOMPARE(m.wait.count, 2u); // the first get, and the waiter
    QCOMPARE(m.waits, 1u);
    QVERIFY(kept >= 20ms);
    QVERIFY(m.wait.max() >= kept);
    QVERIFY(m.wait.p99() >= kept); // p99 of two values is the larger one's bucket, capped at max
    // The waiter's wait is not in the lower half (the first get usually is,
    // but a preempted dial can put it in the upper half too).
    QVERIFY(m.wait.count_at_most(std::chrono::nanoseconds(kept).count() / 2) <= 1u);
  }
  void holdIsRecordedOnlyWithTrackHoldTimeOrAnObserverOrALeakThreshold() {
    for (int variant = 0; variant < 4; ++variant) {
      connpool::manual_clock clock;
      tracker t;
      auto cfg = t.manual_config(2, clock);
      if (variant == 1) cfg.track_hold_time = true;
      if (variant == 2) cfg.observer = std::make_shared<connpool::observer>();
      if (variant == 3) cfg.leak_threshold = 1h;
      Pool p(cfg);
      steady::duration shortest_hold = 1h;
      for (int i = 0; i < 3; ++i) {
        auto l = p.get();
        const auto from = steady::now();
        const auto to = steady::now();
        shortest_hold = std::min(shortest_hold, to - from);
        p.put(l);
      }
      p.discard(p.get());
      const auto m = p.stats();
      const std::uint64_t expected = variant == 0 ? 0 : 4; // three puts and a discard
      QVERIFY2(m.hold.count == expected, ("variant " + std::to_string(variant)).c_str());
      if (variant != 0) QVERIFY(m.hold.max() >= shortest_hold);
      QCOMPARE(m.wait.count, 4u);
    }
  }

  // ---- histogram math (pure) ---------------------------------------------
  void histogramBucketsAreContiguousAndEachValueLiesInItsBucket() {
    using connpool::histogram_bucket;
    using connpool::histogram_bucket_lower;
    using connpool::histogram_bucket_upper;
    const std::uint64_t values[] = {0,
                                    1,
                                    7,
                                    8,
                                    9,
                                    15,
                                    16,
                                    17,
                                    1023,
                                    1024,
                                    1025,
                                    1'000'000,
                                    1'000'000'000,
                                    std::uint64_t(1) << 40,
                                    (std::uint64_t(1) << 43) - 1,
                                    std::uint64_t(1) << 43,
                                    UINT64_MAX / 2,
                                    UINT64_MAX};
    for (std::uint64_t v : values) {
      const std::size_t b = histogram_bucket(v);
      QVERIFY(b < connpool::histogram_buckets);
      QVERIFY2(histogram_bucket_lower(b) <= v, std::to_string(v).c_str());
      QVERIFY2(v < histogram_bucket_upper(b) || (b == connpool::histogram_buckets - 1 && v == UINT64_MAX),
               std::to_string(v).c_str());
    }
    QCOMPARE(histogram_bucket(0), std::size_t(0));
    QCOMPARE(histogram_bucket(7), std::size_t(7));
    QCOMPARE(histogram_bucket(8), std::size_t(8));
    QCOMPARE(histogram_bucket_lower(0), 0u);
    QCOMPARE(histogram_bucket_upper(connpool::histogram_buckets - 1), UINT64_MAX);
    for (std::size_t i = 0; i + 1 < connpool::histogram_buckets; ++i) {
      const std::uint64_t lo = histogram_bucket_lower(i), hi = histogram_bucket_upper(i);
      QVERIFY(lo < hi);
      QCOMPARE(hi, histogram_bucket_lower(i + 1)); // contiguous: no gap, no overlap
      QCOMPARE(histogram_bucket(lo), i);
      QCOMPARE(histogram_bucket(hi - 1), i);
      if (i >= 8) QVERIFY(hi - lo <= lo / 8); // 12.5% resolution
    }
    for (int k = 0; k < 43; ++k) // powers of two are bucket bounds
      QCOMPARE(histogram_bucket_lower(histogram_bucket(std::uint64_t(1) << k)), std::uint64_t(1) << k);
  }
  void percentilesAreOrderedAndWithinOneBucketOfTheTrueValue() {
    std::vector<std::vector<std::uint64_t>> sets;
    {
      std::vector<std::uint64_t> uniform;
      for (std::uint64_t i = 1; i <= 1000; ++i)
        uniform.push_back(i * 1000); // 1 us .. 1 ms
      sets.push_back(uniform);
      std::vector<std::uint64_t> skewed(990, 100);
      skewed.insert(skewed.end(), 10, 1'000'000'000); // 1% at 1 s
      sets.push_back(skewed);
      std::vector<std::uint64_t> small = {0, 1, 2, 3, 5, 7}; // exact buckets
      sets.push_back(small);
      sets.push_back({42'000});
    }
    for (const auto& values : sets) {
      const auto s = snapshot_of(values);
      QCOMPARE(s.count, static_cast<std::uint64_t>(values.size()));
      std::uint64_t sum = 0;
      for (auto v : values)
        sum += v;
      QCOMPARE(s.sum_ns, sum);
      QCOMPARE(static_cast<std::uint64_t>(s.max().count()), *std::max_element(values.begin(), values.end()));
      QVERIFY(s.p50() <= s.p90());
      QVERIFY(s.p90() <= s.p99());
      QVERIFY(s.p99() <= s.max());
      for (double q : {0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0}) {
        const std::uint64_t want = true_percentile(values, q);
        const auto got = static_cast<std::uint64_t>(std::chrono::nanoseconds(s.percentile(q)).count());
        QVERIFY2(got >= want && got <= want + want / 8,
                 ("q=" + std::to_string(q) + " want " + std::to_string(want) + " got " + std::to_string(got)).c_str());
      }
    }
    const connpool::histogram_snapshot empty;
    QCOMPARE(empty.p99(), connpool::duration::zero());
    QCOMPARE(empty.mean(), connpool::duration::zero());
    // Two shards summed: counts add up, max is the larger.
    auto a = snapshot_of({10, 20}), b = snapshot_of({30'000});
    a += b;
    QCOMPARE(a.count, 3u);
    QCOMPARE(a.max(), connpool::duration(std::chrono::nanoseconds(30'000)));
    QCOMPARE(a.count_at_most(31), 2u); // 32 is a bucket bound
  }

  // ---- observer -------------------------------------------------------------
  void observerSeesCreatedAcquiredReturnedAndClosedInOrderWithIdsAndReasons() {
    tracker t;
    auto cfg = t.config(2);
    auto obs = std::make_shared<recording_observer>();
    cfg.observer = obs;
    {
      Pool p(cfg);
      auto a = p.get();
      auto b = p.get();
      p.put(a);
      p.discard(b);
      QCOMPARE(obs->take(), (QStringList{"created(1)", "acquired(1)", "created(2)", "acquired(2)", "returned(1)",
                                         "returned(2)", "closed(2,discarded)"}));
      t.fail_next = true;
      auto held = p.get(); // 1 again: a hit
      std::error_code ec;
      auto none = p.get(context::background(), ec);
      QCOMPARE(ec, errc::factory_failed);
      QCOMPARE(obs->take(), (QStringList{"acquired(1)", "create_failed(error)"}));
      held = {}; // returned by the lease's destructor
      QCOMPARE(obs->take(), (QStringList{"returned(1)"}));
      p.close();
      QCOMPARE(obs->take(), (QStringList{"closed(1,pool_closed)"}));
    }
    QCOMPARE(obs->take(), QStringList{}); // nothing left to close when destroyed
    QVERIFY(t.all_closed_exactly_once());
  }
  void observerIsToldOfEveryGetEndedByItsDeadlineOrAStopRequestAndOfNoOtherGet() {
    tracker t;
    auto cfg = t.config(1);
    auto obs = std::make_shared<recording_observer>();
    cfg.observer = obs;
    Pool p(cfg);
    auto held = p.get();
    obs->take();
    QCOMPARE(get_error(p, expired()), errc::get_timeout);
    const auto from = steady::now();
    QCOMPARE(get_error(p, context::with_timeout(20ms)), errc::get_timeout);
    const auto took = steady::now() - from;
    std::stop_source stop;
    stop.request_stop();
    QCOMPARE(get_error(p, context::background().with_stop_token(stop.get_token())), errc::cancelled);
    QCOMPARE(obs->take(), (QStringList{"wait_timeout", "wait_timeout", "wait_timeout"}));
    const auto waits = obs->waits();
    QCOMPARE(waits.size(), std::size_t(3));
    QVERIFY(waits[1] >= 19ms); // its wait starts a moment after the deadline was set
    QVERIFY(waits[1] <= took);
    const auto m = p.stats();
    QCOMPARE(m.timeouts, 2u);
    QCOMPARE(m.cancellations, 1u);
    p.put(held);
    p.close();
    QCOMPARE(get_error(p, context::background()), errc::pool_closed); // refused, not timed out
    QCOMPARE(obs->take(), (QStringList{"returned(1)", "closed(1,pool_closed)"}));
  }
  void leakIsReportedOnceWithTheGetsSourceLocationAndAgainWhenReturned() {
    connpool::manual_clock clock;
    tracker t;
    auto cfg = t.manual_config(2, clock);
    cfg.leak_threshold = 5s;
    auto obs = std::make_shared<recording_observer>();
    cfg.observer = obs;
    Pool p(cfg);
    const auto get_line = std::source_location::current().line() + 1;
    auto l = p.get();
    obs->take();
    clock.advance(4s);
    QCOMPARE(p.maintain().leaks, std::size_t(0));
    QCOMPARE(obs->take(), QStringList{});
    clock.advance(1s);
    QCOMPARE(p.maintain().leaks, std::size_t(1));
    clock.advance(10s);
    QCOMPARE(p.maintain().leaks, std::size_t(0)); // once per lease
    QCOMPARE(obs->take(), QStringList{"leak(1,suspected)"});
    QCOMPARE(p.stats().leaks_suspected, 1u);
    p.put(l);
    QCOMPARE(obs->take(), (QStringList{"leak(1,returned)", "returned(1)"}));
    const auto leaks = obs->leaks();
    QCOMPARE(leaks.size(), std::size_t(2));
    for (const auto& r : leaks) {
      QCOMPARE(r.connection, 1u);
      QVERIFY2(std::string_view(r.where.file_name()).ends_with("tst_pool_observability.cpp"), r.where.file_name());
      QCOMPARE(r.where.line(), get_line);
    }
    QCOMPARE(leaks[0].held, connpool::duration(5s));
    QVERIFY(!leaks[0].returned);
    QCOMPARE(leaks[1].held, connpool::duration(15s));
    QVERIFY(leaks[1].returned);
    // The next lease of the same connection is a new lease: reported on its own.
    auto again = p.get();
    auto other = p.get();
    p.put(other); // back before the threshold: never reported
    clock.advance(5s);
    QCOMPARE(p.maintain().leaks, std::size_t(1));
    QCOMPARE(p.stats().leaks_suspected, 2u);
    obs->take();
    p.put(again);
    QCOMPARE(obs->take(), (QStringList{"leak(1,returned)", "returned(1)"}));
  }
  void circuitOpenAndClosedAreReportedWhenTheFactoryFailsThenRecoversAfterTheBackoff() {
    connpool::manual_clock clock;
    tracker t;
    auto cfg = t.manual_config(2, clock);
    cfg.backoff_initial = 1s;
    auto obs = std::make_shared<recording_observer>();
    cfg.observer = obs;
    Pool p(cfg);
    t.fail_next = true;
    std::error_code ec;
    p.get(context::background(), ec);
    QCOMPARE(ec, errc::factory_failed);
    QCOMPARE(obs->take(), (QStringList{"create_failed(error)", "circuit_open(error)"}));
    const auto retry_in = obs->retry_in();
    QCOMPARE(retry_in.size(), std::size_t(1));
    QVERIFY(retry_in[0] >= 500ms && retry_in[0] <= 1s); // jittered to [delay/2, delay]
    auto m = p.stats();
    QVERIFY(m.circuit_open);
    QCOMPARE(m.circuit_opens, 1u);
    p.get(context::background(), ec); // fails fast: no factory call, no event
    QCOMPARE(ec, errc::circuit_open);
    QCOMPARE(obs->take(), QStringList{});
    m = p.stats();
    QCOMPARE(m.circuit_rejects, 1u);
    QCOMPARE(m.create.count, 1u);
    clock.advance(1s);
    auto l = p.get(context::background(), ec); // the probe
    QVERIFY(!ec);
    QCOMPARE(obs->take(), (QStringList{"created(1)", "circuit_closed", "acquired(1)"}));
    m = p.stats();
    QVERIFY(!m.circuit_open);
    QCOMPARE(m.circuit_opens, 1u);
    QCOMPARE(m.factory_failures, 1u);
    QCOMPARE(m.created, 1u);
  }
  // stats() may be called from a callback (they run outside any lock): the
  // snapshot it gives must already balance.
  void statsReadInOnClosedCountsTheCloseInBothClosedByAndClosed() {
    tracker t;
    auto cfg = t.config(2);
    struct reader : connpool::observer {
      Pool* p = nullptr;
      std::vector<std::pair<std::uint64_t, std::uint64_t>> seen; // (sum of closed_by, closed)
      void on_closed(std::uint64_t, close_reason) override {
        const auto m = p->stats();
        std::uint64_t sum = 0;
        for (auto n : m.closed_by)
          sum += n;
        seen.emplace_back(sum, m.closed);
      }
    };
    auto obs = std::make_shared<reader>();
    cfg.observer = obs;
    Pool p(cfg);
    obs->p = &p;
    p.discard(p.get());
    QCOMPARE(obs->seen.size(), std::size_t(1));
    // Regression: closed_by[why] was bumped (and on_closed called) before
    // `closed`, so a snapshot taken meanwhile had sum(closed_by) == closed + 1.
    QCOMPARE(obs->seen[0].first, obs->seen[0].second);
    QCOMPARE(obs->seen[0].second, 1u);
  }
  void statsReadInOnCreatedBalancesCreatedClosedOpenAndCreating() {
    tracker t;
    auto cfg = t.config(2);
    struct reader : connpool::observer {
      Pool* p = nullptr;
      std::vector<connpool::metrics> seen;
      void on_created(std::uint64_t, connpool::duration) override { seen.push_back(p->stats()); }
    };
    auto obs = std::make_shared<reader>();
    cfg.observer = obs;
    Pool p(cfg);
    obs->p = &p;
    auto l = p.get();
    QCOMPARE(obs->seen.size(), std::size_t(1));
    const auto& m = obs->seen[0];
    // metrics::closed documents created - closed == open - creating.
    // Regression: `created` was bumped (and on_created called) while the dial
    // still counted in `creating`: created - closed = 1, open - creating = 0.
    QCOMPARE(static_cast<std::int64_t>(m.created - m.closed), static_cast<std::int64_t>(m.open - m.creating));
  }
  void throwingObserverLeavesThePoolConsistentAndEveryThrowIsCounted() {
    connpool::manual_clock clock;
    tracker t;
    auto obs = std::make_shared<throwing_observer>();
    {
      auto cfg = t.manual_config(3, clock);
      cfg.observer = obs;
      cfg.leak_threshold = 5s;
      cfg.backoff_initial = 1s;
      Pool p(cfg);
      auto a = p.get(), b = p.get(), c = p.get();           // created, acquired x3
      QCOMPARE(get_error(p, expired()), errc::get_timeout); // wait_timeout
      p.put(a);                                             // returned
      p.discard(b);                                         // returned, closed
      clock.advance(5s);
      QCOMPARE(p.maintain().leaks, std::size_t(1)); // leak (c)
      p.put(c);                                     // leak returned, returned
      auto x = p.get(), y = p.get();                // the two idle ones: acquired x2
      t.fail_next = true;
      std::error_code ec;
      auto d = p.get(context::background(), ec); // create_failed, circuit_open
      QCOMPARE(ec, errc::factory_failed);
      clock.advance(1s);
      auto e = p.get(context::background(), ec); // created, circuit_closed, acquired
      QVERIFY(!ec);
      p.put(e); // returned
      p.put(x);
      p.put(y); // returned x2
      const auto m = p.stats();
      QCOMPARE(m.observer_errors, obs->throws.load());
      QCOMPARE(obs->throws.load(), 23u);
      QCOMPARE(m.leaks_suspected, 1u);
      QCOMPARE(m.circuit_opens, 1u);
      VERIFY_BOOKS(m, {close_reason::discarded, 1});
      QCOMPARE(m.open, std::size_t(3));
      QCOMPARE(m.idle, std::size_t(3));
      QCOMPARE(m.active, std::size_t(0));
      QCOMPARE(t.made(), 4);
    }
    QCOMPARE(obs->throws.load(), 26u); // three more closes when destroyed
    QVERIFY(t.all_closed_exactly_once());
    QCOMPARE(t.closed(), 4);
  }

  // ---- zero cost when unset -------------------------------------------------
  void fastPathGetPutWithoutObserverReadsNoClockAllocatesNothingAndCountsAWaitOfZero() {
    connpool::manual_clock clock;
    tracker t;
    auto cfg = t.manual_config(2, clock);
    std::atomic<int> clock_reads{0};
    cfg.clock = [&] {
      ++clock_reads;
      return clock.now();
    };
    Pool p(cfg);
    p.get(); // created; returned: now this thread's hint
    const auto before = p.stats();
    const int reads_before = clock_reads.load();
    const std::uint64_t allocs_before = t_allocations;
    for (int i = 0; i < 100; ++i) {
      auto l = p.get();
      p.put(l);
    }
    const std::uint64_t allocs = t_allocations - allocs_before;
    const int reads = clock_reads.load() - reads_before;
    const auto after = p.stats();
    if (counting_allocations) QCOMPARE(allocs, 0u);
    QCOMPARE(reads, 0);
    QCOMPARE(after.wait.count, before.wait.count + 100);
    QCOMPARE(after.wait.buckets[0], before.wait.buckets[0] + 100);
    QCOMPARE(after.hold.count, 0u);
    QCOMPARE(after.observer_errors, 0u);
    QCOMPARE(after.gets, before.gets + 100);
    QCOMPARE(after.hits, before.hits + 100);
  }
  void getPutWithAnObserverOrHoldTrackingAllocatesNothing() {
    for (int variant = 0; variant < 2; ++variant) {
      tracker t;
      auto cfg = t.config(2);
      auto obs = std::make_shared<connpool::observer>(); // the no-op defaults
      if (variant == 0) cfg.observer = obs;
      if (variant == 1) cfg.track_hold_time = true;
      Pool p(cfg);
      p.get();
      const auto before = p.stats();
      const std::uint64_t allocs_before = t_allocations;
      for (int i = 0; i < 100; ++i) {
        auto l = p.get();
        p.put(l);
      }
      const std::uint64_t allocs = t_allocations - allocs_before;
      const auto after = p.stats();
      QVERIFY2(!counting_allocations || allocs == 0,
               ("variant " + std::to_string(variant) + ": " + std::to_string(allocs)).c_str());
      QCOMPARE(after.hold.count, before.hold.count + 100);
      QCOMPARE(after.wait.count, before.wait.count + 100);
    }
  }

private:
  static std::error_code get_error(Pool& p, const context& ctx) {
    std::error_code ec;
    auto l = p.get(ctx, ec);
    if (!ec && !l) return make_error_code(std::errc::invalid_argument); // success must give a lease
    return ec;
  }
};

QTEST_GUILESS_MAIN(tst_PoolObservability)
#include "tst_pool_observability.moc"
