// SPDX-License-Identifier: MIT
// Behavioural tests of the resilience features: min_idle and
// warm_up, dials that outlive their caller and max_connecting, the circuit
// breaker, max_age jitter and the retirement cap, runtime resize, drain,
// leak reports and idle order. Time is the manual clock wherever the pool
// reads it; real threads are held at gates, never slept on.
#include <QTest>

#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <mutex>
#include <set>
#include <source_location>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>
import connpool;
#include "support/exception_text.h"
#include "support/fake_connection.h"
#include "support/gate.h"

using namespace std::chrono_literals;
using connpool::close_reason;
using connpool::context;
using connpool::errc;
using testing_support::fake_conn;
using testing_support::gate;
using testing_support::tracker;
using Pool = connpool::pool<fake_conn>;

namespace {

/// A backend the tests can take down, and whose dials they can hold at a
/// gate; counts dials running at once.
struct backend {
  std::atomic<bool> down{false};
  std::atomic<bool> hold{false};
  std::atomic<const char*> fail_with{nullptr}; // up, but this dial fails with this message
  gate entered, release;
  std::atomic<int> running{0}, most_running{0}, dials{0};

  /// Wraps `t`'s factory (so closes are still tracked).
  void wrap(connpool::config<fake_conn>& c) {
    c.factory = [this, f = c.factory](const context& ctx) {
      ++dials;
      const int now = ++running;
      for (int m = most_running.load(); now > m && !most_running.compare_exchange_weak(m, now);) {
      }
      struct leave {
        std::atomic<int>& r;
        ~leave() { --r; }
      } l{running};
      if (hold.load()) {
        entered.open();
        release.wait();
      }
      if (down.load()) throw std::runtime_error("backend down");
      if (const char* why = fail_with.load()) throw std::runtime_error(why);
      return f(ctx);
    };
  }
};

std::error_code get_error(Pool& p, const context& ctx = context::background()) {
  std::error_code ec;
  auto l = p.get(ctx, ec);
  return ec;
}

/// The what() of the exception nested in `e`, or "(none)".
std::string nested_what(const std::exception& e) {
  try {
    std::rethrow_if_nested(e);
  } catch (const std::exception& x) {
    return x.what();
  }
  return "(none)";
}
/// What `f` threw, when it is the factory's own exception (a plain
/// std::runtime_error, not a pool error).
template <class F> std::string factory_exception_of(F f) {
  try {
    f();
  } catch (const std::system_error& e) {
    return std::string("pool error: ") + e.what();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

/// Records the events an observer sees (thread-safe).
struct recorder : connpool::observer {
  std::mutex mu;
  std::vector<std::string> events;
  std::vector<connpool::leak_report> leaks;
  void add(std::string e) {
    std::lock_guard lk(mu);
    events.push_back(std::move(e));
  }
  void on_created(std::uint64_t id, connpool::duration) override { add("created " + std::to_string(id)); }
  void on_closed(std::uint64_t id, close_reason why) override {
    add("closed " + std::to_string(id) + " " + connpool::to_string(why));
  }
  void on_leak(const connpool::leak_report& r) override {
    std::lock_guard lk(mu);
    leaks.push_back(r);
  }
  void on_circuit_open(std::exception_ptr, connpool::duration) override { add("circuit open"); }
  void on_circuit_closed() override { add("circuit closed"); }
  std::vector<std::string> take() {
    std::lock_guard lk(mu);
    return std::exchange(events, {});
  }
};

/// A pool of 4 on a backend that is down, with a 1 s circuit breaker and an
/// observer, on a manual clock.
struct breaker_rig {
  tracker t;
  backend be;
  std::shared_ptr<recorder> rec = std::make_shared<recorder>();
  connpool::manual_clock clock;
  Pool p{config()};

  connpool::config<fake_conn> config() {
    auto c = t.manual_config(4, clock);
    be.wrap(c);
    c.backoff_initial = 1s;
    c.observer = rec;
    be.down = true;
    return c;
  }
};

} // namespace

class tst_PoolResilience : public QObject {
  Q_OBJECT
private slots:
  // ---- min_idle and warm_up ------------------------------------------------
  void maintainCreatesMinIdleConnectionsAndTopsThemUpAfterUse() {
    tracker t;
    connpool::manual_clock clock;
    auto c = t.manual_config(5, clock);
    c.min_idle = 3;
    Pool p(c);
    QCOMPARE(p.idle_count(), std::size_t(0));
    QCOMPARE(p.stats().min_idle, std::size_t(3));
    QCOMPARE(p.maintain().created, std::size_t(3));
    QCOMPARE(p.idle_count(), std::size_t(3));
    auto a = p.get(), b = p.get(); // two of them leased: one idle left
    QCOMPARE(p.stats().misses, 0u);
    QCOMPARE(p.maintain().created, std::size_t(2));
    QCOMPARE(p.idle_count(), std::size_t(3));
    QCOMPARE(p.size(), std::size_t(5));
    QCOMPARE(p.maintain().created, std::size_t(0)); // nothing to do
  }
  void minIdleNeverGrowsThePoolBeyondMaxSize() {
    tracker t;
    connpool::manual_clock clock;
    auto c = t.manual_config(3, clock);
    c.min_idle = 3;
    Pool p(c);
    p.maintain();
    auto a = p.get(), b = p.get(), d = p.get(); // all three leased
    QCOMPARE(p.maintain().created, std::size_t(0));
    QCOMPARE(p.size(), std::size_t(3));
    QCOMPARE(t.made(), 3);
  }
  void backgroundMaintenanceFillsMinIdleWithoutAnyGet() {
    tracker t;
    auto c = t.config(4);
    c.min_idle = 2;
    Pool p(c);
    QTRY_COMPARE(p.idle_count(), std::size_t(2));
    QCOMPARE(p.stats().gets, 0u);
  }
  void warmUpBlocksUntilTheTargetIsIdleAndStopsAtMaxSize() {
    tracker t;
    connpool::manual_clock clock;
    auto c = t.manual_config(4, clock);
    c.min_idle = 2;
    Pool p(c);
    p.warm_up();
    QCOMPARE(p.idle_count(), std::size_t(2));
    p.warm_up(10); // more than max_size: as warm as it gets
    QCOMPARE(p.idle_count(), std::size_t(4));
    QCOMPARE(t.made(), 4);
  }
  void warmUpReportsTheFactoryErrorAndAClosedPool() {
    tracker t;
    backend be;
    connpool::manual_clock clock;
    auto c = t.manual_config(4, clock);
    be.wrap(c);
    be.down = true;
    Pool p(c);
    QCOMPARE(factory_exception_of([&] { p.warm_up(2); }), std::string("backend down"));
    std::error_code ec;
    p.warm_up(2, context::background(), ec);
    QCOMPARE(ec, make_error_code(errc::factory_failed));
    p.close();
    p.warm_up(2, context::background(), ec);
    QCOMPARE(ec, make_error_code(errc::pool_closed));
  }
  void expiredConnectionIsReplacedBeforeItIsClosedWhenMinIdleAsks() {
    tracker t;
    auto rec = std::make_shared<recorder>();
    connpool::manual_clock clock;
    auto c = t.manual_config(4, clock);
    c.min_idle = 1;
    c.max_age = 10s;
    c.observer = rec;
    Pool p(c);
    p.maintain();
    QCOMPARE(rec->take(), std::vector<std::string>{"created 1"});
    clock.advance(11s);
    const auto r = p.maintain();
    QCOMPARE(r.age_closed, std::size_t(1));
    QCOMPARE(r.created, std::size_t(1));
    QCOMPARE(rec->take(), (std::vector<std::string>{"created 2", "closed 1 max_age"}));
    QCOMPARE(p.idle_count(), std::size_t(1));
  }

  // ---- dials that outlive their caller; max_connecting ----------------------
  void backgroundDialOutlivesATimedOutGetAndGoesIdle() {
    tracker t;
    backend be;
    auto c = t.config(2);
    be.wrap(c);
    c.background_dials = true;
    be.hold = true;
    Pool p(c);
    QCOMPARE(get_error(p, context::with_timeout(20ms)), make_error_code(errc::get_timeout));
    QVERIFY(be.entered.wait());
    QCOMPARE(p.stats().creating, std::size_t(1));
    be.release.open();
    QTRY_COMPARE(p.idle_count(), std::size_t(1)); // not wasted
    auto s = p.stats();
    QCOMPARE(s.created, 1u);
    QCOMPARE(s.timeouts, 1u);
    QCOMPARE(s.creating, std::size_t(0));
    auto l = p.get(); // and reused
    QCOMPARE(l->id, 1);
    QCOMPARE(t.made(), 1);
  }
  void backgroundDialServesTheNextWaiterWhenItsCallerGaveUp() {
    tracker t;
    backend be;
    auto c = t.config(1);
    be.wrap(c);
    c.background_dials = true;
    be.hold = true;
    Pool p(c);
    std::stop_source stop;
    std::jthread quitter([&] {
      std::error_code ec;
      auto l = p.get(context::background().with_stop_token(stop.get_token()), ec);
      QCOMPARE(ec, make_error_code(errc::cancelled));
    });
    QVERIFY(be.entered.wait());
    std::atomic<int> got{0};
    std::jthread next([&] { got = p.get(context::with_timeout(10s))->id; });
    QTRY_COMPARE(p.stats().waiting, std::size_t(2));
    stop.request_stop();
    quitter.join();
    be.release.open();
    QTRY_COMPARE(got.load(), 1);
    next.join();
    QCOMPARE(t.made(), 1);
    QCOMPARE(p.stats().misses, 1u);
  }
  // The waiter that started a background dial gets its connection handed
  // over (strict) or claims it idle after a nudge (bounded, the bound not yet
  // reached on the manual clock): either way the get created a connection, a
  // miss. (Bounded counted it a hit.)
  void waiterServedByItsBackgroundDialCountsAMissInBothModes_data() {
    QTest::addColumn<bool>("strict");
    QTest::newRow("bounded") << false;
    QTest::newRow("strict") << true;
  }
  void waiterServedByItsBackgroundDialCountsAMissInBothModes() {
    QFETCH(bool, strict);
    tracker t;
    backend be;
    connpool::manual_clock clock;
    auto c = t.manual_config(1, clock);
    be.wrap(c);
    c.background_dials = true;
    c.fairness = strict ? connpool::fairness_mode::strict : connpool::fairness_mode::bounded;
    be.hold = true;
    Pool p(c);
    std::atomic<int> got{0};
    std::jthread getter([&] { got = p.get(context::with_timeout(10s))->id; });
    QVERIFY(be.entered.wait());
    QTRY_COMPARE(p.stats().waiting, std::size_t(1));
    be.release.open();
    QTRY_COMPARE(got.load(), 1);
    getter.join();
    const auto s = p.stats();
    QCOMPARE(s.misses, 1u);
    QCOMPARE(s.hits, 0u);
    QCOMPARE(s.waits, 1u);
  }
  void maxConnectingCapsConcurrentDials() {
    tracker t;
    backend be;
    auto c = t.config(8);
    be.wrap(c);
    c.max_connecting = 2;
    be.hold = true;
    Pool p(c);
    std::vector<std::jthread> getters;
    std::atomic<int> done{0};
    for (int i = 0; i < 6; ++i)
      getters.emplace_back([&] {
        auto l = p.get(context::with_timeout(10s));
        ++done;
      });
    QVERIFY(be.entered.wait());
    QTRY_COMPARE(p.stats().waiting, std::size_t(4)); // two dials reserved, four queued behind them
    QTRY_COMPARE(be.running.load(), 2);              // the second may not have reached the factory yet
    be.release.open();
    QTRY_COMPARE(done.load(), 6);
    getters.clear();
    QCOMPARE(be.most_running.load(), 2);
    QVERIFY(t.made() <= 6);
  }

  // ---- circuit breaker ------------------------------------------------------
  void openBreakerThrowsCircuitOpenWithTheLastFactoryErrorNestedWithoutDialing() {
    breaker_rig r;
    auto& [t, be, rec, clock, p] = r;
    QCOMPARE(factory_exception_of([&] { p.get(); }), std::string("backend down")); // the dial that opens it
    QCOMPARE(be.dials.load(), 1);
    QVERIFY(p.stats().circuit_open);
    try { // no dial: circuit_open, the last factory exception nested
      p.get(context::with_timeout(10s));
      QFAIL("get succeeded");
    } catch (const std::system_error& e) {
      QCOMPARE(e.code(), make_error_code(errc::circuit_open));
      QCOMPARE(nested_what(e), std::string("backend down"));
    }
    std::error_code ec;
    std::exception_ptr failure;
    QVERIFY(!p.get(context::with_timeout(10s), ec, failure));
    QCOMPARE(ec, make_error_code(errc::circuit_open));
    QCOMPARE(what_of(failure), std::string("backend down")); // the one that keeps it open
    QCOMPARE(be.dials.load(), 1);                            // no dial while open
    auto s = p.stats();
    QCOMPARE(s.circuit_opens, 1u);
    QCOMPARE(s.circuit_rejects, 2u);
    QCOMPARE(s.factory_failures, 1u);
    QCOMPARE(rec->take(), std::vector<std::string>{"circuit open"});
  }
  void breakerLetsOneProbeThroughAfterTheBackoffAndClosesOnSuccess() {
    breaker_rig r;
    auto& [t, be, rec, clock, p] = r;
    QCOMPARE(get_error(p), make_error_code(errc::factory_failed));
    clock.advance(400ms); // the first delay is jittered within [0.5 s, 1 s]
    QCOMPARE(get_error(p), make_error_code(errc::circuit_open));
    clock.advance(600ms);
    be.down = false;
    auto l = p.get(); // the probe
    QVERIFY(l);
    QVERIFY(!p.stats().circuit_open);
    QCOMPARE(be.dials.load(), 2);
    auto events = rec->take();
    QCOMPARE(events.front(), std::string("circuit open"));
    QVERIFY(std::find(events.begin(), events.end(), "circuit closed") != events.end());
  }
  void failedProbeReopensTheBreakerWithADoubledDelay() {
    breaker_rig r;
    auto& [t, be, rec, clock, p] = r;
    QCOMPARE(get_error(p), make_error_code(errc::factory_failed));
    clock.advance(1s);
    QCOMPARE(get_error(p), make_error_code(errc::factory_failed)); // the probe fails: 2 s now, in [1 s, 2 s]
    clock.advance(900ms);
    QCOMPARE(get_error(p), make_error_code(errc::circuit_open));
    clock.advance(1100ms);
    be.down = false; // the probe dials, and fails with its own exception, not the breaker's
    be.fail_with = "probe refused";
    QCOMPARE(factory_exception_of([&] { p.get(); }), std::string("probe refused"));
    QCOMPARE(be.dials.load(), 3);
    QCOMPARE(p.stats().circuit_opens, 1u); // one open episode
  }
  void openBreakerStillServesIdleConnections() {
    breaker_rig r;
    auto& [t, be, rec, clock, p] = r;
    be.down = false;
    auto kept = p.get();
    be.down = true;
    QCOMPARE(get_error(p), make_error_code(errc::factory_failed));
    QVERIFY(p.stats().circuit_open);
    p.put(kept);
    auto again = p.get(); // idle: no dial needed
    QCOMPARE(again->id, 1);
  }

  // ---- max_age jitter and the retirement cap --------------------------------
  void maxAgeJitterSpreadsExpirationsOfConnectionsCreatedTogether() {
    tracker t;
    connpool::manual_clock clock;
    auto c = t.manual_config(64, clock);
    c.max_age = 100s;
    c.max_age_jitter = 50s;
    Pool p(c);
    p.warm_up(64);
    clock.advance(49s);
    QCOMPARE(p.maintain().age_closed, std::size_t(0)); // none before max_age - jitter
    clock.advance(26s);                                // 75 s: about half
    const std::size_t early = p.maintain().age_closed;
    QVERIFY2(early > 0 && early < 64, std::to_string(early).c_str());
    clock.advance(25s); // 100 s: every one
    QCOMPARE(early + p.maintain().age_closed, std::size_t(64));
  }
  void retirementCapLimitsMaxAgeClosesPerSecondAndCatchesUp() {
    tracker t;
    connpool::manual_clock clock;
    auto c = t.manual_config(10, clock);
    c.max_age = 10s;
    c.max_retirements_per_second = 2;
    Pool p(c);
    p.warm_up(10);
    clock.advance(11s);
    QCOMPARE(p.maintain().age_closed, std::size_t(2)); // a second's budget
    QCOMPARE(p.maintain().age_closed, std::size_t(0));
    clock.advance(1s);
    QCOMPARE(p.maintain().age_closed, std::size_t(2));
    auto l = p.get(); // over budget: an expired connection is still served
    QVERIFY(l);
    QCOMPARE(p.stats().age_closed, 4u);
    clock.advance(10s); // the budget refills to one second's worth (2), no more
    p.put(l);           // retired on return: one token left
    QCOMPARE(p.stats().age_closed, 5u);
    QCOMPARE(p.maintain().age_closed, std::size_t(1));
    clock.advance(1s);
    QCOMPARE(p.maintain().age_closed, std::size_t(2));
    QCOMPARE(p.size(), std::size_t(2));
  }

  // ---- runtime resize ------------------------------------------------------
  void growingMaxSizeServesAWaiterAtOnce() {
    tracker t;
    auto c = t.config(1);
    c.max_size_limit = 4;
    Pool p(c);
    auto held = p.get();
    std::atomic<int> got{0};
    std::jthread waiter([&] { got = p.get(context::with_timeout(10s))->id; });
    QTRY_COMPARE(p.stats().waiting, std::size_t(1));
    p.set_max_size(2);
    QTRY_COMPARE(got.load(), 2);
    waiter.join();
    QCOMPARE(p.stats().max_size, std::size_t(2));
  }
  void shrinkingClosesIdleExcessNowAndLeasedExcessOnReturn() {
    tracker t;
    connpool::manual_clock clock;
    auto c = t.manual_config(4, clock);
    Pool p(c);
    auto a = p.get(), b = p.get(), d = p.get(), e = p.get();
    p.put(d);
    p.put(e); // 2 idle, 2 leased
    p.set_max_size(1);
    QCOMPARE(p.size(), std::size_t(2)); // both idle closed at once
    QCOMPARE(p.stats().closed_for(close_reason::resized), 2u);
    p.put(a); // still over the limit: retires
    QCOMPARE(p.size(), std::size_t(1));
    p.put(b); // within the limit now: kept
    QCOMPARE(p.size(), std::size_t(1));
    QCOMPARE(p.idle_count(), std::size_t(1));
    auto s = p.stats();
    QCOMPARE(s.closed_for(close_reason::resized), 3u);
    QCOMPARE(s.created - s.closed, std::uint64_t(s.open));
    QVERIFY(t.none_closed_twice());
  }
  void invalidRuntimeValuesAreRefusedAndChangeNothing() {
    tracker t;
    auto c = t.config(2);
    c.max_size_limit = 4;
    c.min_idle = 1;
    Pool p(c);
    std::error_code ec;
    QCOMPARE(p.set_max_size(0, ec), make_error_code(errc::invalid_config));
    QCOMPARE(p.set_max_size(5, ec), make_error_code(errc::invalid_config)); // over max_size_limit
    QVERIFY_THROWS_EXCEPTION(std::system_error, p.set_max_size(5));
    QCOMPARE(p.set_max_idle(1, ec), make_error_code(errc::invalid_config)); // max_idle not set at construction
    QCOMPARE(p.set_min_idle(3, ec), make_error_code(errc::invalid_config));
    QCOMPARE(p.stats().min_idle, std::size_t(1));
    QCOMPARE(p.set_max_age(-1s, ec), make_error_code(errc::invalid_config));
    QCOMPARE(p.set_health_check_interval(1s, ec), make_error_code(errc::invalid_config)); // no ping
    QCOMPARE(p.stats().max_size, std::size_t(2));
    QVERIFY(!p.set_max_size(4, ec));
    QCOMPARE(p.stats().max_size, std::size_t(4));
  }
  void setMaxIdleClosesIdleOverTheNewLimit() {
    tracker t;
    connpool::manual_clock clock;
    auto c = t.manual_config(4, clock);
    c.max_idle = 4;
    Pool p(c);
    p.warm_up(4);
    p.set_max_idle(1);
    QCOMPARE(p.idle_count(), std::size_t(1));
    QCOMPARE(p.stats().closed_for(close_reason::resized), 3u);
    auto a = p.get(), b = p.get();
    p.put(a);
    p.put(b); // idle full: closed as overflow
    QCOMPARE(p.stats().closed_for(close_reason::idle_overflow), 1u);
  }
  void durationsSetAtRuntimeTakeEffectCountingFromTheChange() {
    tracker t;
    connpool::manual_clock clock;
    auto c = t.manual_config(4, clock);
    Pool p(c);
    p.warm_up(2);
    QCOMPARE(p.maintenance_interval(), connpool::duration::zero());
    clock.advance(1h); // idle for an hour while no limit was set
    p.set_max_idle_time(10s);
    QVERIFY(p.maintenance_interval() > connpool::duration::zero());
    QCOMPARE(p.maintain().idle_closed, std::size_t(0)); // counted from the change, not from the return
    clock.advance(10s);
    QCOMPARE(p.maintain().idle_closed, std::size_t(2));
    auto l = p.get();
    p.set_max_age(5s);
    clock.advance(5s);
    p.put(l); // past the new max_age on return
    QCOMPARE(p.stats().age_closed, 1u);
  }

  void settingADurationAtRuntimeStartsTheMaintenanceThreadItNeeds() {
    tracker t;
    Pool p(t.config(2)); // nothing to maintain: no thread yet
    {
      auto l = p.get();
    }
    QCOMPARE(p.idle_count(), std::size_t(1));
    p.set_max_idle_time(20ms); // real clock: the thread it starts closes the idle one
    QTRY_COMPARE(p.idle_count(), std::size_t(0));
    QTRY_COMPARE(p.stats().closed_for(close_reason::idle_time), 1u); // counted once the close is done
  }

  // ---- drain --------------------------------------------------------------
  void drainClosesIdleNowLeasedOnReturnAndSparesNewConnections() {
    tracker t;
    connpool::manual_clock clock;
    auto c = t.manual_config(4, clock);
    Pool p(c);
    auto a = p.get(), b = p.get();
    p.put(b); // 1 idle, 1 leased
    QCOMPARE(p.drain(), std::size_t(2));
    QCOMPARE(p.idle_count(), std::size_t(0));
    auto fresh = p.get(); // a new connection, not drained
    QCOMPARE(fresh->id, 3);
    p.put(a);
    p.put(fresh);
    auto s = p.stats();
    QCOMPARE(s.closed_for(close_reason::drained), 2u);
    QCOMPARE(p.idle_count(), std::size_t(1));
    QCOMPARE(t.times_closed(1), 1);
    QCOMPARE(t.times_closed(2), 1);
    QCOMPARE(t.times_closed(3), 0);
  }
  void drainThenCloseClosesEveryConnectionExactlyOnce() {
    tracker t;
    auto c = t.config(4);
    {
      Pool p(c);
      auto a = p.get(), b = p.get();
      p.put(b);
      p.drain();
      std::error_code ec;
      p.close(context::with_timeout(10ms), ec); // a still out: close_timeout
      QCOMPARE(ec, make_error_code(errc::close_timeout));
    }
    QVERIFY(t.all_closed_exactly_once());
  }

  // ---- leak detection ------------------------------------------------------
  void leaseHeldPastTheThresholdIsReportedOnceWithItsGetAndAgainOnReturn() {
    tracker t;
    auto rec = std::make_shared<recorder>();
    connpool::manual_clock clock;
    auto c = t.manual_config(2, clock);
    c.leak_threshold = 30s;
    c.observer = rec;
    Pool p(c);
    const auto here = std::source_location::current();
    auto l = p.get(); // the line after `here`
    clock.advance(29s);
    QCOMPARE(p.maintain().leaks, std::size_t(0));
    clock.advance(2s);
    QCOMPARE(p.maintain().leaks, std::size_t(1));
    QCOMPARE(p.maintain().leaks, std::size_t(0)); // once
    p.put(l);
    std::lock_guard lk(rec->mu);
    QCOMPARE(rec->leaks.size(), std::size_t(2));
    const auto& suspected = rec->leaks[0];
    QCOMPARE(suspected.connection, std::uint64_t(1));
    QCOMPARE(suspected.where.line(), here.line() + 1);
    QCOMPARE(std::string(suspected.where.file_name()), std::string(here.file_name()));
    QCOMPARE(suspected.held, connpool::duration(31s));
    QVERIFY(!suspected.returned);
    QVERIFY(rec->leaks[1].returned);
    QCOMPARE(p.stats().leaks_suspected, 1u);
  }

  // ---- idle order -----------------------------------------------------------
  void fifoServesTheConnectionIdleLongestAndLifoTheLastReturned() {
    for (auto order : {connpool::idle_order::fifo, connpool::idle_order::lifo}) {
      tracker t;
      auto c = t.config(3);
      c.order = order;
      Pool p(c);
      auto a = p.get(), b = p.get(), d = p.get();
      p.put(a);
      p.put(b);
      p.put(d);
      QCOMPARE(p.get()->id, order == connpool::idle_order::fifo ? 1 : 3);
    }
  }
};

QTEST_APPLESS_MAIN(tst_PoolResilience)
#include "tst_pool_resilience.moc"
