// SPDX-License-Identifier: MIT
// Many threads doing get/put/discard with random deadlines and faults: the
// limits hold throughout (a watchdog samples them), every connection is
// closed exactly once, and the metrics add up. Run under tsan and asan too.
#include <QTest>

#include <atomic>
#include <chrono>
#include <memory>
#include <random>
#include <stop_token>
#include <system_error>
#include <thread>
#include <vector>
import connpool;
#include "support/fake_connection.h"

using namespace std::chrono_literals;
using connpool::context;
using testing_support::fake_conn;
using testing_support::tracker;

class tst_PoolConcurrency : public QObject {
  Q_OBJECT
private slots:
  void manyThreadsKeepLimitsCloseEachConnectionOnceAndMetricsAddUp() {
    constexpr int threads = 8;
    constexpr int ops_per_thread = 3000;
    constexpr std::size_t max_size = 4, max_idle = 2;
    tracker t;
    auto cfg = t.config(max_size);
    cfg.max_idle = max_idle;
    std::atomic<int> pings{0};
    cfg.ping = [&pings](fake_conn& c, const context&) {
      ++pings;
      if (c.id % 17 == 0) throw std::runtime_error("ping throws");
      return c.id % 11 != 0;
    };
    cfg.max_idle_time = 2ms; // the background thread runs every 1 ms
    std::atomic<std::uint64_t> leases{0}, failures{0}, extra_gets{0};
    std::atomic<bool> limits_broken{false};
    {
      connpool::pool<fake_conn> p(cfg);
      std::jthread watchdog([&](std::stop_token st) {
        while (!st.stop_requested()) {
          const auto s = p.stats();
          if (s.open > max_size || s.idle > max_idle || s.active > max_size) limits_broken = true;
          std::this_thread::yield();
        }
      });
      {
        std::vector<std::jthread> workers;
        for (int w = 0; w < threads; ++w)
          workers.emplace_back([&, w] {
            std::mt19937 rng(1234 + w);
            for (int i = 0; i < ops_per_thread; ++i) {
              const int dice = static_cast<int>(rng() % 100);
              if (dice < 3) t.fail_next = true;
              std::error_code ec;
              auto ctx =
                  dice < 10 ? context::with_timeout(std::chrono::microseconds(rng() % 200)) : context::with_timeout(5s);
              auto l = p.get(ctx, ec);
              if (ec) {
                ++failures;
                continue;
              }
              ++leases;
              if (dice >= 90) { // hold two at once: 8 threads x 2 > max_size, so gets must wait
                ++extra_gets;   // short deadline: holding one while waiting for another may never be served
                auto second = p.get(context::with_timeout(std::chrono::microseconds(300)), ec);
                if (ec)
                  ++failures;
                else
                  ++leases;
              }
              if (dice < 15)
                p.discard(l);
              else if (dice < 20)
                l = {}; // destructor returns it
              else
                p.put(l);
            }
          });
      }
      watchdog.request_stop();
      watchdog.join();
      QVERIFY(!limits_broken);
      p.close(context::with_timeout(10s));
      const auto s = p.stats();
      QCOMPARE(s.gets, std::uint64_t(threads * ops_per_thread) + extra_gets.load());
      QCOMPARE(s.hits + s.misses, leases.load());
      QCOMPARE(s.timeouts + s.cancellations + s.factory_failures, failures.load());
      QCOMPARE(s.puts + s.discards, leases.load());
      QCOMPARE(s.open, std::size_t(0));
      QCOMPARE(s.created, s.closed);
      QCOMPARE(static_cast<int>(s.created), t.made());
      QVERIFY(s.max_active <= max_size);
      QVERIFY(s.hits > 0);
      QVERIFY(s.waits > 0);
      qInfo("ops=%d leases=%llu failures=%llu created=%llu pings=%d", threads * ops_per_thread,
            static_cast<unsigned long long>(leases.load()), static_cast<unsigned long long>(failures.load()),
            static_cast<unsigned long long>(s.created), pings.load());
    }
    QVERIFY(t.all_closed_exactly_once());
  }

  void poolDestroyedWhileOtherThreadsReturnLeasesClosesEachConnectionOnce() {
    // The returns race the destructor: each is closed exactly once, and no
    // put touches the core after it may be gone (ASan checks the latter).
    for (int round = 0; round < 200; ++round) {
      tracker t;
      auto p = std::make_unique<connpool::pool<fake_conn>>(t.config(4));
      std::vector<connpool::lease<fake_conn>> held;
      for (int i = 0; i < 4; ++i)
        held.push_back(p->get());
      std::atomic<bool> go{false};
      std::vector<std::jthread> returners;
      for (auto& l : held)
        returners.emplace_back([&go, l = std::move(l)]() mutable {
          while (!go.load())
            std::this_thread::yield();
          l = {}; // returned: idle, or closed if the pool is already gone
        });
      go = true;
      p.reset();
      returners.clear();
      QVERIFY(t.all_closed_exactly_once());
    }
  }

  void closeRacingWithGettersLeavesNothingOpen() {
    for (int round = 0; round < 20; ++round) {
      tracker t;
      {
        connpool::pool<fake_conn> p(t.config(3));
        std::vector<std::jthread> workers;
        for (int w = 0; w < 4; ++w)
          workers.emplace_back([&] {
            for (;;) {
              std::error_code ec;
              auto l = p.get(context::with_timeout(1s), ec);
              if (ec == connpool::errc::pool_closed) return;
            }
          });
        QTRY_VERIFY(p.stats().gets > 50);
        p.close(context::with_timeout(10s));
        workers.clear();
        QCOMPARE(p.stats().open, std::size_t(0));
      }
      QVERIFY(t.all_closed_exactly_once());
    }
  }
};

QTEST_GUILESS_MAIN(tst_PoolConcurrency)
#include "tst_pool_concurrency.moc"
