// SPDX-License-Identifier: MIT
// Behavioural tests of connpool::pool<T>: one test per promise, each metric
// asserted to move exactly when it should. Waiting is on conditions with
// deadlines (QTRY_*, gates), never on sleeps; time for expiry is the
// injectable manual_clock.
#include <QTest>

#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <vector>
import connpool;
#include "support/exception_text.h"
#include "support/fake_connection.h"
#include "support/gate.h"
#include "support/manual_clock_setup.h"

using namespace std::chrono_literals;
using connpool::context;
using connpool::errc;
using testing_support::fake_conn;
using testing_support::gate;
using testing_support::holding_ping;
using testing_support::manual_clock_setup;
using testing_support::tracker;
using Pool = connpool::pool<fake_conn>;

namespace {
std::error_code get_error(Pool& p, const context& ctx) {
  std::error_code ec;
  auto l = p.get(ctx, ec);
  if (!ec && !l) return make_error_code(std::errc::invalid_argument); // success must give a lease
  return ec;
}
// A thread blocked in get() (10 s deadline); id() is the connection it got,
// 0 until then.
class queued_getter {
public:
  explicit queued_getter(Pool& p) : thread_([this, &p] { id_ = p.get(context::with_timeout(10s))->id; }) {}
  int id() const { return id_.load(); }
  void join() { thread_.join(); }

private:
  std::atomic<int> id_{0};
  std::jthread thread_; // declared last: joined before id_ goes
};

/// The ids the observer saw acquired and closed, in order (thread-safe).
struct close_recorder : connpool::observer {
  void on_acquired(std::uint64_t id, connpool::duration) override {
    std::lock_guard lk(mu);
    acquired_.push_back(id);
  }
  void on_closed(std::uint64_t id, connpool::close_reason) override {
    std::lock_guard lk(mu);
    closed_.push_back(id);
  }
  std::vector<std::uint64_t> acquired() {
    std::lock_guard lk(mu);
    return acquired_;
  }
  std::vector<std::uint64_t> closed() {
    std::lock_guard lk(mu);
    return closed_;
  }
  std::mutex mu;
  std::vector<std::uint64_t> acquired_, closed_;
};
auto pinger(std::function<bool(fake_conn&)> f) {
  return [f = std::move(f)](fake_conn& c, const context&) { return f(c); };
}
} // namespace

class tst_Pool : public QObject {
  Q_OBJECT
private slots:
  // ---- get: hit, miss, LIFO ------------------------------------------------
  void getCreatesOnMissAndReusesReturnedConnectionOnHit() {
    tracker t;
    Pool p(t.config(2));
    int first = 0;
    {
      auto l = p.get();
      QVERIFY(l);
      first = l->id;
      QCOMPARE(p.stats().active, std::size_t(1));
    }
    auto again = p.get();
    QCOMPARE(again->id, first);
    auto s = p.stats();
    QCOMPARE(s.gets, 2u);
    QCOMPARE(s.misses, 1u);
    QCOMPARE(s.hits, 1u);
    QCOMPARE(s.puts, 1u);
    QCOMPARE(s.created, 1u);
    QCOMPARE(t.made(), 1);
  }
  void getServesMostRecentlyReturnedIdleConnectionFirst() {
    tracker t;
    Pool p(t.config(3));
    auto a = p.get(), b = p.get();
    const int bid = b->id;
    p.put(a);
    p.put(b);
    QCOMPARE(p.get()->id, bid);
  }
  void sizeCountsActiveAndIdleAndIdleCountCountsIdle() {
    tracker t;
    Pool p(t.config(4));
    auto a = p.get(), b = p.get(), c = p.get();
    p.put(c);
    QCOMPARE(p.size(), std::size_t(3));
    QCOMPARE(p.idle_count(), std::size_t(1));
    auto s = p.stats();
    QCOMPARE(s.open, std::size_t(3));
    QCOMPARE(s.active, std::size_t(2));
    QCOMPARE(s.idle, std::size_t(1));
  }
  void maxActiveRecordsThePeakNumberOfLeases() {
    tracker t;
    Pool p(t.config(5));
    {
      auto a = p.get(), b = p.get(), c = p.get();
    }
    auto d = p.get();
    QCOMPARE(p.stats().max_active, 3u);
  }
  void factoryReceivesTheCallersContext() {
    tracker t;
    auto cfg = t.config(1);
    std::optional<connpool::time_point> seen;
    cfg.factory = [&seen](const context& ctx) {
      seen = ctx.deadline();
      return fake_conn{1};
    };
    Pool p(cfg);
    const auto deadline = std::chrono::steady_clock::now() + 1h;
    auto l = p.get(context::with_deadline(deadline));
    QVERIFY(seen && *seen == deadline);
  }

  // ---- waiting at max_size ------------------------------------------------
  void getBlocksAtMaxSizeUntilPutAndReceivesThatConnection() {
    tracker t;
    Pool p(t.config(1));
    auto held = p.get();
    const int id = held->id;
    queued_getter waiter(p);
    QTRY_COMPARE(p.stats().waiting, std::size_t(1));
    QCOMPARE(waiter.id(), 0);
    p.put(held);
    QTRY_COMPARE(waiter.id(), id);
    waiter.join();
    auto s = p.stats();
    QCOMPARE(s.waits, 1u);
    QCOMPARE(s.hits, 1u);
    QCOMPARE(s.misses, 1u);
    QCOMPARE(s.waiting, std::size_t(0));
    QCOMPARE(t.made(), 1);
  }
  void waitersAreServedFirstComeFirstServed() {
    tracker t;
    Pool p(t.config(1));
    auto held = p.get();
    std::mutex mu;
    std::vector<int> order;
    std::vector<std::jthread> waiters;
    for (int i = 0; i < 4; ++i) {
      waiters.emplace_back([&, i] {
        auto l = p.get(context::with_timeout(10s));
        std::lock_guard lk(mu);
        order.push_back(i);
      }); // the lease goes back at once: the next waiter is served from it
      QTRY_COMPARE(p.stats().waiting, std::size_t(i + 1));
    }
    // A newcomer that finds the queue non-empty queues behind it too.
    p.put(held);
    waiters.clear();
    QCOMPARE(order, (std::vector<int>{0, 1, 2, 3}));
    QCOMPARE(p.stats().waits, 4u);
  }
  void getTimesOutAtItsDeadlineWithGetTimeout() {
    tracker t;
    Pool p(t.config(1));
    auto held = p.get();
    const auto start = std::chrono::steady_clock::now();
    QCOMPARE(get_error(p, context::with_timeout(30ms)), errc::get_timeout);
    QVERIFY(std::chrono::steady_clock::now() - start >= 30ms);
    auto s = p.stats();
    QCOMPARE(s.timeouts, 1u);
    QCOMPARE(s.waits, 1u);
    QCOMPARE(s.waiting, std::size_t(0));
    QVERIFY_THROWS_EXCEPTION(std::system_error, p.get(context::with_timeout(1ms)));
    QCOMPARE(p.stats().timeouts, 2u);
  }
  void stopRequestWakesBlockedGetWithCancelled() {
    tracker t;
    Pool p(t.config(1));
    auto held = p.get();
    std::stop_source stop;
    std::error_code result;
    std::jthread waiter([&] { result = get_error(p, context::background().with_stop_token(stop.get_token())); });
    QTRY_COMPARE(p.stats().waiting, std::size_t(1));
    stop.request_stop();
    waiter.join(); // returns only because the stop woke it: no deadline is set
    QCOMPARE(result, errc::cancelled);
    auto s = p.stats();
    QCOMPARE(s.cancellations, 1u);
    QCOMPARE(s.timeouts, 0u);
    QCOMPARE(s.waiting, std::size_t(0));
  }
  void getWithAnEndedContextFailsWithoutTouchingThePool() {
    tracker t;
    Pool p(t.config(1));
    QCOMPARE(get_error(p, context::with_deadline(std::chrono::steady_clock::now() - 1s)), errc::get_timeout);
    std::stop_source stop;
    stop.request_stop();
    QCOMPARE(get_error(p, context::background().with_stop_token(stop.get_token())), errc::cancelled);
    QCOMPARE(t.made(), 0);
    QCOMPARE(p.size(), std::size_t(0));
  }
  void timedOutWaiterLeavesQueueAndLaterPutGoesIdle() {
    tracker t;
    Pool p(t.config(1));
    auto held = p.get();
    QCOMPARE(get_error(p, context::with_timeout(5ms)), errc::get_timeout);
    p.put(held);
    QCOMPARE(p.idle_count(), std::size_t(1));
  }

  // ---- factory ------------------------------------------------------------
  void factoryFailureFreesSlotCountsAndRethrowsFactoryException() {
    tracker t;
    Pool p(t.config(1));
    t.fail_next = true;
    QVERIFY_THROWS_EXCEPTION(testing_support::factory_error, p.get());
    auto s = p.stats();
    QCOMPARE(s.factory_failures, 1u);
    QCOMPARE(s.misses, 0u);
    QCOMPARE(s.open, std::size_t(0));
    t.fail_next = true;
    QCOMPARE(get_error(p, context::background()), errc::factory_failed);
    QCOMPARE(p.stats().factory_failures, 2u);
    QVERIFY(p.get()); // the slot is free again
  }
  void factoryFailureHandsItsSlotToTheFirstWaiter() {
    tracker t;
    auto cfg = t.config(1);
    gate entered, release;
    std::atomic<int> calls{0};
    cfg.factory = [&](const context&) {
      if (++calls == 1) {
        entered.open();
        release.wait();
        throw testing_support::factory_error("first dial fails");
      }
      return fake_conn{calls.load()};
    };
    Pool p(cfg);
    std::error_code first;
    std::jthread dialer([&] { first = get_error(p, context::background()); });
    QVERIFY(entered.wait());
    queued_getter waiter(p);
    QTRY_COMPARE(p.stats().waiting, std::size_t(1));
    release.open();
    QTRY_COMPARE(waiter.id(), 2);
    dialer.join();
    QCOMPARE(first, errc::factory_failed);
    auto s = p.stats();
    QCOMPARE(s.factory_failures, 1u);
    QCOMPARE(s.misses, 1u);
    QCOMPARE(s.waits, 1u);
  }
  void errorCodeGetGivesTheCallerItsOwnFactoryFailureNotAnotherThreads() {
    tracker t;
    auto cfg = t.config(2);
    gate entered, release;
    std::atomic<int> calls{0};
    cfg.factory = [&](const context&) {
      const int n = ++calls;
      if (n == 1) {
        entered.open();
        release.wait();
      }
      if (n <= 2) throw testing_support::factory_error("dial " + std::to_string(n));
      return fake_conn{n};
    };
    Pool p(cfg);
    std::error_code first_ec;
    std::exception_ptr first;
    std::jthread slow([&] { auto l = p.get(context::background(), first_ec, first); });
    QVERIFY(entered.wait());
    std::error_code ec;
    std::exception_ptr mine;
    QVERIFY(!p.get(context::background(), ec, mine)); // dial 2 fails while dial 1 is held
    QCOMPARE(ec, errc::factory_failed);
    QCOMPARE(what_of(mine), std::string("dial 2"));
    release.open();
    slow.join();
    QCOMPARE(first_ec, errc::factory_failed);
    QCOMPARE(what_of(first), std::string("dial 1"));
    QCOMPARE(what_of(p.last_factory_error()), std::string("dial 1")); // pool-wide: the last one to fail
    QCOMPARE(what_of(mine), std::string("dial 2"));                   // still this call's own

    auto ok = p.get(context::background(), ec, mine); // success clears both
    QVERIFY(ok);
    QVERIFY(!ec);
    QVERIFY(!mine);
    auto other = p.get();
    mine = first;
    QVERIFY(!p.get(context::with_timeout(5ms), ec, mine)); // not a factory failure: no exception
    QCOMPARE(ec, errc::get_timeout);
    QVERIFY(!mine);
  }
  void factoryIsCalledOutsideThePoolLock() {
    tracker t;
    auto cfg = t.config(2);
    gate entered, release;
    cfg.factory = [&](const context&) {
      entered.open();
      release.wait();
      return fake_conn{7};
    };
    Pool p(cfg);
    std::jthread dialer([&] { auto l = p.get(); });
    QVERIFY(entered.wait());
    // Would deadlock (and fail the gate's deadline) if the factory held the lock.
    auto s = p.stats();
    QCOMPARE(s.open, std::size_t(1));
    QCOMPARE(p.idle_count(), std::size_t(0));
    release.open();
  }

  // ---- ping on get ---------------------------------------------------------
  void pingOnGetFailureClosesConnectionCountsAndCreatesAnother() {
    tracker t;
    auto cfg = t.config(2);
    cfg.ping = pinger([](fake_conn& c) { return c.id != 1; });
    Pool p(cfg);
    p.put(p.get()); // conn 1 goes idle
    auto l = p.get();
    QCOMPARE(l->id, 2);
    QCOMPARE(t.times_closed(1), 1);
    auto s = p.stats();
    QCOMPARE(s.ping_failures, 1u);
    QCOMPARE(s.hits, 0u);
    QCOMPARE(s.misses, 2u);
  }
  void pingThatThrowsCountsAsPingFailure() {
    tracker t;
    auto cfg = t.config(2);
    cfg.ping = pinger([](fake_conn&) -> bool { throw std::runtime_error("ping blew up"); });
    Pool p(cfg);
    p.put(p.get());
    QCOMPARE(p.get()->id, 2);
    QCOMPARE(p.stats().ping_failures, 1u);
    QCOMPARE(t.times_closed(1), 1);
  }
  void pingThatOutlastsTheCallersDeadlineFailsAndGetTimesOut() {
    tracker t;
    auto cfg = t.config(2);
    cfg.ping = [](fake_conn&, const context& ctx) {
      gate never;
      never.wait(
          std::chrono::duration_cast<std::chrono::milliseconds>(*ctx.deadline() - std::chrono::steady_clock::now()) +
          1ms);
      return true; // too late
    };
    Pool p(cfg);
    p.put(p.get());
    QCOMPARE(get_error(p, context::with_timeout(20ms)), errc::get_timeout);
    auto s = p.stats();
    QCOMPARE(s.ping_failures, 1u);
    QCOMPARE(s.timeouts, 1u);
    QCOMPARE(t.times_closed(1), 1);
  }
  void pingIsNotCalledUnderThePoolLock() {
    tracker t;
    auto cfg = t.config(3);
    gate entered, release;
    std::atomic<bool> hold{false};
    cfg.ping = pinger([&](fake_conn&) {
      if (hold) {
        entered.open();
        release.wait();
      }
      return true;
    });
    Pool p(cfg);
    p.put(p.get());
    hold = true;
    std::jthread getter([&] { auto l = p.get(); });
    QVERIFY(entered.wait());
    hold = false;
    auto other = p.get(); // the pinged one is not idle: a new one, without blocking
    QCOMPARE(other->id, 2);
    QCOMPARE(p.stats().open, std::size_t(2));
    release.open();
  }

  // ---- put / discard -------------------------------------------------------
  void putBeyondMaxIdleClosesTheConnection() {
    tracker t;
    auto cfg = t.config(3);
    cfg.max_idle = 1;
    Pool p(cfg);
    auto a = p.get(), b = p.get();
    const int bid = b->id;
    p.put(a);
    p.put(b);
    QCOMPARE(p.idle_count(), std::size_t(1));
    QCOMPARE(t.times_closed(bid), 1);
    QCOMPARE(p.stats().puts, 2u);
    QCOMPARE(p.size(), std::size_t(1));
  }
  void putOfEmptyForeignOrReturnedLeaseIsInvalidConnectionAndChangesNothing() {
    tracker t1, t2;
    Pool p(t1.config(2)), other(t2.config(2));
    auto mine = p.get();
    auto foreign = other.get();
    const auto before = p.stats();
    std::error_code ec;
    connpool::lease<fake_conn> empty;
    QCOMPARE(p.put(empty, ec), errc::invalid_connection);
    QCOMPARE(p.put(foreign, ec), errc::invalid_connection);
    QVERIFY(foreign); // still the caller's, still usable with its own pool
    QCOMPARE(p.discard(foreign, ec), errc::invalid_connection);
    p.put(mine);
    QCOMPARE(p.put(mine, ec), errc::invalid_connection); // double put
    QVERIFY_THROWS_EXCEPTION(std::system_error, p.put(mine));
    auto after = p.stats();
    QCOMPARE(after.puts, before.puts + 1);
    QCOMPARE(after.idle, std::size_t(1));
    QCOMPARE(after.discards, 0u);
    other.put(foreign);
    QCOMPARE(other.idle_count(), std::size_t(1));
  }
  void discardClosesConnectionFreesSlotAndWakesWaiter() {
    tracker t;
    Pool p(t.config(1));
    auto held = p.get();
    const int id = held->id;
    queued_getter waiter(p);
    QTRY_COMPARE(p.stats().waiting, std::size_t(1));
    p.discard(held);
    QVERIFY(!held);
    QTRY_COMPARE(waiter.id(), id + 1); // the waiter dialled in the freed slot
    waiter.join();
    QCOMPARE(t.times_closed(id), 1);
    auto s = p.stats();
    QCOMPARE(s.discards, 1u);
    QCOMPARE(s.misses, 2u);
  }

  void leaseDiscardClosesTheConnectionFreesTheSlotAndCountsADiscard() {
    tracker t;
    auto closes = std::make_shared<close_recorder>();
    auto cfg = t.config(1);
    cfg.observer = closes;
    Pool p(cfg);
    auto held = p.get();
    const int conn = held->id;
    const std::uint64_t id = held.id();
    queued_getter waiter(p);
    QTRY_COMPARE(p.stats().waiting, std::size_t(1));
    held.discard();
    QVERIFY(!held);
    QCOMPARE(held.id(), std::uint64_t(0));
    QTRY_COMPARE(waiter.id(), conn + 1); // the waiter dialled in the freed slot
    waiter.join();
    QCOMPARE(t.times_closed(conn), 1);
    auto s = p.stats();
    QCOMPARE(s.discards, 1u);
    QCOMPARE(s.closed_for(connpool::close_reason::discarded), 1u);
    QCOMPARE(closes->closed(), (std::vector<std::uint64_t>{id}));
    QVERIFY_THROWS_EXCEPTION(std::system_error, held.discard()); // empty: invalid_connection
    std::error_code ec;
    QCOMPARE(held.discard(ec), errc::invalid_connection);
    QCOMPARE(p.stats().discards, 1u);
  }
  void leaseDiscardAfterThePoolIsGoneClosesTheConnection() {
    tracker t;
    connpool::lease<fake_conn> l;
    {
      Pool p(t.config(1));
      l = p.get();
    }
    std::error_code ec;
    QVERIFY(!l.discard(ec));
    QVERIFY(t.all_closed_exactly_once());
    QCOMPARE(t.closed(), 1);
  }
  void leaseIdIsThePoolsConnectionIdRightAfterGet() {
    tracker t;
    auto seen = std::make_shared<close_recorder>();
    auto cfg = t.config(2);
    cfg.observer = seen;
    Pool p(cfg);
    auto a = p.get(), b = p.get();
    QVERIFY(a.id() != 0 && b.id() != 0 && a.id() != b.id());
    QCOMPARE(seen->acquired(), (std::vector<std::uint64_t>{a.id(), b.id()})); // what on_acquired said
    for (const auto& c : p.connections())
      QVERIFY(c.id == a.id() || c.id == b.id());
    const std::uint64_t aid = a.id();
    p.put(a);
    auto again = p.get(); // the same connection again: the same id
    QCOMPARE(again.id(), aid);
    auto moved = std::move(again);
    QCOMPARE(moved.id(), aid);
    QCOMPARE(again.id(), std::uint64_t(0));
  }

  // ---- expiry and maintenance (manual clock) -----------------------------
  void idleConnectionPastMaxIdleTimeIsClosedByCleanup() {
    auto&& [t, clock, cfg] = manual_clock_setup(2);
    cfg.max_idle_time = 10s;
    Pool p(cfg);
    p.put(p.get());
    clock.advance(9s);
    QCOMPARE(p.maintain().idle_closed, std::size_t(0));
    QCOMPARE(p.idle_count(), std::size_t(1));
    clock.advance(1s);
    QCOMPARE(p.maintain().idle_closed, std::size_t(1));
    QCOMPARE(p.idle_count(), std::size_t(0));
    QCOMPARE(p.stats().idle_closed, 1u);
    QCOMPARE(t.times_closed(1), 1);
  }
  void idleTimeRestartsWhenConnectionIsReturned() {
    auto&& [t, clock, cfg] = manual_clock_setup(2);
    cfg.max_idle_time = 10s;
    Pool p(cfg);
    p.put(p.get());
    clock.advance(8s);
    p.put(p.get()); // used again: idle since now
    clock.advance(8s);
    p.maintain();
    QCOMPARE(p.idle_count(), std::size_t(1));
    QCOMPARE(p.stats().idle_closed, 0u);
  }
  void connectionPastMaxAgeIsClosedByCleanup() {
    auto&& [t, clock, cfg] = manual_clock_setup(2);
    cfg.max_age = 1min;
    Pool p(cfg);
    p.put(p.get());
    clock.advance(1min);
    const auto r = p.maintain();
    QCOMPARE(r.age_closed, std::size_t(1));
    QCOMPARE(p.stats().age_closed, 1u);
    QCOMPARE(p.stats().idle_closed, 0u);
  }
  void connectionPastMaxAgeIsClosedOnPutAndFreesSlotForWaiter() {
    auto&& [t, clock, cfg] = manual_clock_setup(1);
    cfg.max_age = 1min;
    Pool p(cfg);
    auto held = p.get();
    queued_getter waiter(p);
    QTRY_COMPARE(p.stats().waiting, std::size_t(1));
    clock.advance(2min);
    p.put(held);
    QTRY_COMPARE(waiter.id(), 2); // not handed the aged one: a fresh dial
    waiter.join();
    QCOMPARE(t.times_closed(1), 1);
    QCOMPARE(p.stats().age_closed, 1u);
  }
  void staleIdleConnectionMetOnGetIsClosedAndCounted() {
    auto&& [t, clock, cfg] = manual_clock_setup(2);
    cfg.max_idle_time = 10s;
    Pool p(cfg);
    p.put(p.get());
    clock.advance(11s);
    QCOMPARE(p.get()->id, 2);
    auto s = p.stats();
    QCOMPARE(s.idle_closed, 1u);
    QCOMPARE(s.hits, 0u);
    QCOMPARE(s.misses, 2u);
    QCOMPARE(t.times_closed(1), 1);
  }
  void healthCheckPingsIdleConnectionsOnlyWhenItsIntervalHasElapsed() {
    auto&& [t, clock, cfg] = manual_clock_setup(3);
    std::atomic<int> pings{0};
    std::atomic<bool> healthy{true};
    cfg.ping = pinger([&](fake_conn&) {
      ++pings;
      return healthy.load();
    });
    cfg.health_check_interval = 30s;
    Pool p(cfg);
    {
      auto a = p.get(), b = p.get();
    }
    pings = 0;
    clock.advance(29s);
    QCOMPARE(p.maintain().pinged, std::size_t(0));
    clock.advance(1s);
    QCOMPARE(p.maintain().pinged, std::size_t(2));
    QCOMPARE(p.idle_count(), std::size_t(2));
    QCOMPARE(p.maintain().pinged, std::size_t(0)); // next one is 30 s away
    healthy = false;
    clock.advance(30s);
    const auto r = p.maintain();
    QCOMPARE(r.ping_failures, std::size_t(2));
    QCOMPARE(p.idle_count(), std::size_t(0));
    QCOMPARE(p.size(), std::size_t(0));
    QCOMPARE(p.stats().ping_failures, 2u);
    QCOMPARE(pings.load(), 4);
    QVERIFY(t.all_closed_exactly_once());
  }
  void healthCheckPingThatOutlastsHealthCheckTimeoutFails() {
    auto&& [t, clock, cfg] = manual_clock_setup(1);
    std::atomic<bool> check{false};
    cfg.ping = [&](fake_conn&, const context& ctx) {
      if (check && ctx.deadline()) gate().wait(20ms); // past the 5 ms health_check_timeout
      return true;
    };
    cfg.health_check_interval = 1s;
    cfg.health_check_timeout = 5ms;
    Pool p(cfg);
    p.put(p.get());
    check = true;
    clock.advance(1s);
    QCOMPARE(p.maintain().ping_failures, std::size_t(1));
    QCOMPARE(t.times_closed(1), 1);
  }
  void connectionBeingHealthCheckedIsNotHandedOutAndSlowPingDoesNotBlockGetOrPut() {
    auto&& [t, clock, cfg] = manual_clock_setup(3);
    holding_ping ping;
    cfg.ping = [&ping](fake_conn&, const context&) { return ping(); };
    cfg.health_check_interval = 1s;
    Pool p(cfg);
    p.put(p.get()); // conn 1 idle
    ping.arm();
    clock.advance(1s);
    std::jthread checker([&] { p.maintain(); });
    QVERIFY(ping.entered.wait());
    auto l = p.get(); // conn 1 is being pinged: a new one
    QCOMPARE(l->id, 2);
    p.put(l); // and put does not block either
    QCOMPARE(p.stats().open, std::size_t(2));
    ping.release.open();
    checker.join();
    QCOMPARE(p.idle_count(), std::size_t(2));
  }
  void healthCheckedConnectionGoesToAWaitingGetter() {
    auto&& [t, clock, cfg] = manual_clock_setup(1);
    holding_ping ping;
    cfg.ping = [&ping](fake_conn&, const context&) { return ping(); };
    cfg.health_check_interval = 1s;
    Pool p(cfg);
    p.put(p.get());
    ping.arm();
    clock.advance(1s);
    std::jthread checker([&] { p.maintain(); });
    QVERIFY(ping.entered.wait());
    queued_getter waiter(p);
    QTRY_COMPARE(p.stats().waiting, std::size_t(1));
    ping.release.open();
    QTRY_COMPARE(waiter.id(), 1);
    QCOMPARE(p.stats().hits, 1u);
  }
  void backgroundThreadRunsCleanupOnItsOwn() {
    tracker t;
    auto cfg = t.config(2);
    cfg.max_idle_time = 20ms; // real clock: the thread runs every 10 ms
    Pool p(cfg);
    QCOMPARE(p.maintenance_interval(), connpool::duration(10ms));
    p.put(p.get());
    QTRY_COMPARE(p.stats().idle_closed, 1u);
    QCOMPARE(p.idle_count(), std::size_t(0));
  }

  // ---- close ---------------------------------------------------------------
  void closeWaitsForActiveLeasesAndClosesEachOnReturn() {
    tracker t;
    Pool p(t.config(3));
    auto a = p.get(), b = p.get();
    p.put(b); // idle: closed at once by close()
    std::atomic<bool> done{false};
    std::jthread closer([&] {
      p.close();
      done = true;
    });
    QTRY_COMPARE(t.times_closed(2), 1);
    QVERIFY(p.is_closed());
    QVERIFY(!done);
    QCOMPARE(t.times_closed(1), 0);
    std::error_code ec;
    QCOMPARE(p.put(a, ec), errc::pool_closed); // put on a closed pool closes the connection
    closer.join();
    QVERIFY(done);
    QVERIFY(t.all_closed_exactly_once());
  }
  void closeTimesOutWithCloseTimeoutAndLateLeaseIsStillClosed() {
    tracker t;
    Pool p(t.config(2));
    auto a = p.get();
    std::error_code ec;
    p.close(context::with_timeout(10ms), ec);
    QCOMPARE(ec, errc::close_timeout);
    QCOMPARE(p.stats().close_timeouts, 1u);
    QCOMPARE(p.put(a, ec), errc::pool_closed);
    QCOMPARE(t.times_closed(1), 1);
    p.close(context::with_timeout(10ms), ec); // drained now: a second close succeeds
    QVERIFY(!ec);
    QCOMPARE(p.stats().close_timeouts, 1u);
  }
  void closeWakesEveryWaiterWithPoolClosed() {
    tracker t;
    Pool p(t.config(1));
    auto held = p.get();
    std::error_code e1, e2;
    std::jthread w1([&] { e1 = get_error(p, context::with_timeout(10s)); });
    std::jthread w2([&] { e2 = get_error(p, context::with_timeout(10s)); });
    QTRY_COMPARE(p.stats().waiting, std::size_t(2));
    std::jthread closer([&] { p.close(context::with_timeout(10s)); });
    w1.join();
    w2.join();
    QCOMPARE(e1, errc::pool_closed);
    QCOMPARE(e2, errc::pool_closed);
    QCOMPARE(p.stats().timeouts, 0u);
    held = {}; // returning it lets close finish
    closer.join();
  }
  void getAfterCloseFailsWithPoolClosedAndCreatesNothing() {
    tracker t;
    Pool p(t.config(1));
    p.close();
    QCOMPARE(get_error(p, context::background()), errc::pool_closed);
    QVERIFY_THROWS_EXCEPTION(std::system_error, p.get());
    QCOMPARE(t.made(), 0);
  }
  void connectionCreatedWhileClosingIsClosedAndGetReportsPoolClosed() {
    tracker t;
    auto cfg = t.config(1);
    gate entered, release;
    cfg.factory = [&](const context&) {
      entered.open();
      release.wait();
      return fake_conn{1};
    };
    std::atomic<int> closes{0};
    cfg.close = [&closes](fake_conn&) { ++closes; };
    Pool p(cfg);
    std::error_code ec;
    std::jthread dialer([&] { ec = get_error(p, context::background()); });
    QVERIFY(entered.wait());
    std::jthread closer([&] { p.close(context::with_timeout(10s)); });
    QTRY_VERIFY(p.is_closed());
    release.open();
    dialer.join();
    closer.join();
    QCOMPARE(ec, errc::pool_closed);
    QCOMPARE(closes.load(), 1);
  }
  void leaseThatOutlivesItsPoolClosesItsConnectionOnReturn() {
    tracker t;
    connpool::lease<fake_conn> survivor;
    {
      Pool p(t.config(2));
      survivor = p.get();
      p.put(p.get()); // idle: closed by the destructor
    }
    QCOMPARE(t.times_closed(2), 1);
    QCOMPARE(t.times_closed(1), 0);
    QCOMPARE(survivor->id, 1); // still usable
    survivor = {};
    QVERIFY(t.all_closed_exactly_once());
  }
  void destructorClosesIdleConnectionsEvenWhenCloseThrows() {
    tracker t;
    auto cfg = t.config(3);
    std::atomic<int> closes{0};
    cfg.close = [&closes](fake_conn&) {
      ++closes;
      throw std::runtime_error("close failed");
    };
    {
      Pool p(cfg);
      {
        auto a = p.get(), b = p.get();
      }
      auto c = p.get();
      p.discard(c);
      QCOMPARE(p.stats().close_errors, 1u);
    }
    QCOMPARE(closes.load(), 2);
  }
  void closeCallbackIsOptionalAndDestroysTheConnection() {
    auto alive = std::make_shared<int>(0);
    connpool::config<std::shared_ptr<int>> cfg;
    cfg.factory = [alive](const context&) { return alive; };
    cfg.max_size = 1;
    {
      connpool::pool<std::shared_ptr<int>> p(cfg);
      p.put(p.get());
      // here, in cfg's factory, in the pool's copy of the factory, and idle
      QCOMPARE(alive.use_count(), 4);
    }
    QCOMPARE(alive.use_count(), 2); // the idle one was destroyed with the pool
  }

  // ---- callbacks that throw keep the books straight -------------------------
  void everyConnectionIsClosedExactlyOnceAcrossAllPaths() {
    auto&& [t, clock, cfg] = manual_clock_setup(4);
    cfg.max_idle = 2;
    cfg.max_idle_time = 10s;
    cfg.max_age = 1min;
    cfg.ping = pinger([](fake_conn& c) {
      if (c.id % 5 == 0) throw std::runtime_error("bad ping");
      return c.id % 3 != 0;
    });
    cfg.health_check_interval = 5s;
    {
      Pool p(cfg);
      for (int round = 0; round < 50; ++round) {
        auto a = p.get(), b = p.get(), c = p.get();
        if (round % 2) p.discard(b);
        if (round % 7 == 0) t.fail_next = true;
        std::error_code ec;
        auto d = p.get(context::background(), ec);
        clock.advance(std::chrono::seconds(round % 13));
        p.maintain();
      }
      const auto s = p.stats();
      QCOMPARE(static_cast<int>(s.created), t.made());
      QCOMPARE(s.created - s.closed, static_cast<std::uint64_t>(s.open));
      QVERIFY(t.none_closed_twice());
    }
    QVERIFY(t.all_closed_exactly_once());
  }
};

QTEST_GUILESS_MAIN(tst_Pool)
#include "tst_pool.moc"
