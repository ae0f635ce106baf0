// SPDX-License-Identifier: MIT
// Fairness: who gets a returned connection while gets wait. strict hands
// each one to the longest waiter; bounded lets running callers take it until
// the first waiter has waited config.fairness_bound (on the pool's clock, a
// manual one here), then serves the waiters in order until one is served that
// waited less. The order of service is recorded and asserted exactly; time
// moves only when the test moves it.
#include <QTest>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>
import connpool;
#include "support/fake_connection.h"
#include "support/manual_clock_setup.h"

using namespace std::chrono_literals;
using connpool::context;
using connpool::fairness_mode;
using testing_support::fake_conn;
using testing_support::manual_clock_setup;
using Pool = connpool::pool<fake_conn>;

namespace {
// Who got a connection, in the order they got it (thread-safe).
class service_order {
public:
  void served(std::string who) {
    std::lock_guard lk(mu_);
    order_.push_back(std::move(who));
  }
  std::vector<std::string> order() const {
    std::lock_guard lk(mu_);
    return order_;
  }
  std::size_t count() const { return order().size(); }

private:
  mutable std::mutex mu_;
  std::vector<std::string> order_;
};

// A thread blocked in get() (10 s deadline, so a bug fails the test instead
// of hanging it) that records when it is served and returns the connection
// once `waiting` gets wait in the pool (or after 10 s): holding it until the
// running caller has queued makes that caller's wait certain, instead of
// depending on whether the waiters were done before it asked.
class waiting_get {
public:
  waiting_get(Pool& p, service_order& order, std::string name, std::size_t hold_until_waiting = 0)
      : thread_([&p, &order, name, hold_until_waiting] {
          auto l = p.get(context::with_timeout(10s));
          order.served(name);
          const auto deadline = std::chrono::steady_clock::now() + 10s;
          while (p.stats().waiting < hold_until_waiting && std::chrono::steady_clock::now() < deadline)
            std::this_thread::yield();
        }) {}
  void join() { thread_.join(); }

private:
  std::jthread thread_;
};

void wait_until_waiting(Pool& p, std::size_t n) { QTRY_COMPARE_WITH_TIMEOUT(p.stats().waiting, n, 10000); }
} // namespace

class tst_PoolFairness : public QObject {
  Q_OBJECT
private slots:
  void boundedIsTheDefaultWithAOneMillisecondBound() {
    const connpool::config<int> cfg;
    QCOMPARE(cfg.fairness, fairness_mode::bounded);
    QCOMPARE(cfg.fairness_bound, connpool::duration(1ms));
  }

  // strict: the put hands the connection to the first waiter, and a caller
  // that asks right after queues behind every waiter.
  void strictServesWaitersInArrivalOrderAndRunningCallersQueueBehindThem() {
    auto&& [t, clock, cfg] = manual_clock_setup(1);
    cfg.fairness = fairness_mode::strict;
    Pool p(cfg);
    service_order order;
    auto held = p.get();
    waiting_get first(p, order, "first", /*hold_until_waiting=*/2); // second and running
    wait_until_waiting(p, 1);
    waiting_get second(p, order, "second");
    wait_until_waiting(p, 2);
    p.put(held);
    { // a running caller asks at once: it is served last
      auto again = p.get(context::with_timeout(10s));
      order.served("running");
    }
    first.join();
    second.join();
    QCOMPARE(order.order(), (std::vector<std::string>{"first", "second", "running"}));
    QCOMPARE(p.stats().waits, std::uint64_t(3));
  }

  // bounded, once the first waiter has waited the bound: the same order as
  // strict; in-order service ends with a waiter that waited less.
  void boundedServesInOrderOnceTheFirstWaiterHasWaitedTheBound() {
    auto&& [t, clock, cfg] = manual_clock_setup(1);
    cfg.fairness_bound = 10ms;
    Pool p(cfg);
    service_order order;
    auto held = p.get();
    waiting_get first(p, order, "first", /*hold_until_waiting=*/2); // second and running
    wait_until_waiting(p, 1);
    waiting_get second(p, order, "second");
    wait_until_waiting(p, 2);
    clock.advance(10ms); // both have waited the bound now
    p.put(held);
    {
      auto again = p.get(context::with_timeout(10s));
      order.served("running");
    }
    first.join();
    second.join();
    QCOMPARE(order.order(), (std::vector<std::string>{"first", "second", "running"}));
    QCOMPARE(p.stats().waits, std::uint64_t(3));
    // The queue is empty: running callers may take returned connections again.
    auto l = p.get();
    p.put(l);
    QCOMPARE(p.stats().hits, std::uint64_t(4));
  }

  // bounded, before the bound: a running caller may take the connection
  // back each time it returns it (the waiter is woken to compete, and counted
  // in `overtaken` when it loses), but only until the waiter has waited the
  // bound: the first return after that goes to the waiter.
  void boundedWaiterIsServedAtTheBoundWhileACallerKeepsReturningAndTakingAgain() {
    auto&& [t, clock, cfg] = manual_clock_setup(1);
    cfg.fairness_bound = 8ms;
    Pool p(cfg);
    service_order order;
    auto held = p.get();
    const auto start = clock.now();
    waiting_get waiter(p, order, "waiter");
    wait_until_waiting(p, 1);
    int returns_after_bound = 0, returns = 0;
    for (; returns < 100 && order.count() == 0; ++returns) {
      clock.advance(2ms);
      if (clock.now() - start >= 8ms) ++returns_after_bound;
      const std::uint64_t lost = p.stats().overtaken;
      p.put(held);
      held = p.get(context::with_timeout(10s)); // overtakes the waiter, or waits for it to be done
      // The waiter has looked: it lost (and sleeps again) or it was served.
      QTRY_VERIFY_WITH_TIMEOUT(order.count() == 1 || p.stats().overtaken > lost, 10000);
    }
    QCOMPARE(order.order(), std::vector<std::string>{"waiter"});
    // Served at the first return after the bound, or earlier if it won a race.
    QVERIFY2(returns_after_bound <= 1, std::to_string(returns_after_bound).c_str());
    QCOMPARE(p.stats().overtaken, std::uint64_t(returns - 1)); // it lost every race before
    waiter.join();
    p.put(held);
    const auto s = p.stats();
    QCOMPARE(s.gets, std::uint64_t(returns + 2));
    QCOMPARE(s.created, std::uint64_t(1));
  }

  // Many threads, few connections, every cycle short: both modes keep the
  // books and close every connection exactly once (run under tsan and asan).
  void moreThreadsThanConnectionsKeepTheBooksInBothModes_data() {
    QTest::addColumn<bool>("strict");
    QTest::newRow("bounded") << false;
    QTest::newRow("strict") << true;
  }
  void moreThreadsThanConnectionsKeepTheBooksInBothModes() {
    QFETCH(bool, strict);
    constexpr int threads = 12, cycles = 2000;
    testing_support::tracker t;
    auto cfg = t.config(2);
    cfg.fairness = strict ? fairness_mode::strict : fairness_mode::bounded;
    cfg.fairness_bound = 50us; // short: overtaking and in-order service alternate often
    std::atomic<std::uint64_t> leases{0};
    {
      Pool p(cfg);
      std::vector<std::jthread> workers;
      for (int w = 0; w < threads; ++w)
        workers.emplace_back([&] {
          for (int i = 0; i < cycles; ++i) {
            auto l = p.get(context::with_timeout(10s)); // throws (fails the test) if a waiter starves
            ++leases;
            if (i % 97 == 0) p.discard(l);
          }
        });
      workers.clear();
      const auto s = p.stats();
      QCOMPARE(leases.load(), std::uint64_t(threads * cycles));
      QCOMPARE(s.gets, leases.load());
      QCOMPARE(s.hits + s.misses, leases.load());
      QCOMPARE(s.puts + s.discards, leases.load());
      QCOMPARE(s.timeouts, std::uint64_t(0));
      QVERIFY(s.max_active <= 2);
      QCOMPARE(s.waiting, std::size_t(0));
    }
    QVERIFY(t.all_closed_exactly_once());
  }
};

QTEST_GUILESS_MAIN(tst_PoolFairness)
#include "tst_pool_fairness.moc"
