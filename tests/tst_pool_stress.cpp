// SPDX-License-Identifier: MIT
// Concurrent stress: 8 worker threads run >= 200,000 random operations (get
// with random deadlines and stop tokens, put, discard, destructor return,
// double put) against faults (factory throws, ping false/throws/slow, close
// throws) while another thread advances the pool's clock and runs maintain(),
// and a watchdog samples the limits throughout. At the end the pool is closed
// while workers still hammer it. Afterwards every result is accounted for in
// the metrics and every connection the factory made was closed exactly once.
// Built for the tsan and asan presets too (CONNPOOL_STRESS_OPS scales it).
#include <QTest>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <random>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <vector>
import connpool;
#include "support/fake_connection.h"

using namespace std::chrono_literals;
using connpool::context;
using connpool::errc;
using testing_support::fake_conn;
using testing_support::tracker;

namespace {

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

// A stop source that workers share and, now and then, trigger and replace.
class shared_stop {
public:
  std::stop_token token() {
    std::lock_guard lk(mu_);
    return src_.get_token();
  }
  void fire_and_renew() {
    std::lock_guard lk(mu_);
    src_.request_stop();
    src_ = std::stop_source();
  }

private:
  std::mutex mu_;
  std::stop_source src_; // guarded by mu_
};

struct results {
  std::atomic<std::uint64_t> ops{0}, leases{0}, timeouts{0}, cancelled{0}, factory_failed{0}, pool_closed{0};
  std::atomic<std::uint64_t> returned{0}, discarded{0}, double_puts{0}, faults{0};
};

} // namespace

class tst_PoolStress : public QObject {
  Q_OBJECT
private slots:
  void eightThreadsWithFaultsKeepEveryLimitAccountForEveryResultAndCloseEachConnectionOnce() {
    constexpr int threads = 8;
    const std::uint64_t total_ops = env_number("CONNPOOL_STRESS_OPS", 200'000);
    const std::uint64_t per_thread = (total_ops + threads - 1) / threads;
    constexpr std::size_t max_size = 6, max_idle = 3;
    tracker t;
    connpool::manual_clock clock;
    results r;
    auto cfg = t.config(max_size);
    cfg.max_idle = max_idle;
    cfg.clock = clock.function();
    cfg.max_idle_time = 20ms; // pool clock: advanced 1 ms per maintenance pass
    cfg.max_age = 150ms;
    cfg.health_check_interval = 10ms;
    cfg.health_check_timeout = 200us; // real time: a slow ping outlasts it
    cfg.background_maintenance = false;
    cfg.close = [inner = cfg.close, &r](fake_conn& c) {
      inner(c);
      if (c.id % 13 == 0) {
        ++r.faults;
        throw std::runtime_error("close throws");
      }
    };
    cfg.ping = [&r](fake_conn& c, const context& ctx) {
      if (c.id % 11 == 0) {
        ++r.faults;
        return false;
      }
      if (c.id % 17 == 0) {
        ++r.faults;
        throw std::runtime_error("ping throws");
      }
      if (c.id % 7 == 0) { // slow: runs out a near deadline, else takes ~20 us
        ++r.faults;
        const auto until = ctx.deadline() && *ctx.deadline() - std::chrono::steady_clock::now() < 1s
                               ? *ctx.deadline()
                               : std::chrono::steady_clock::now() + 20us;
        while (std::chrono::steady_clock::now() < until)
          std::this_thread::yield();
      }
      return true;
    };
    std::atomic<bool> limits_broken{false};
    std::mutex broken_mu;
    std::string broken_what; // guarded by broken_mu; the first bad sample
    std::atomic<std::uint64_t> samples{0}, max_open_seen{0};
    shared_stop cancel;
    {
      connpool::pool<fake_conn> p(cfg);
      std::jthread watchdog([&](std::stop_token st) {
        while (!st.stop_requested()) {
          const auto s = p.stats();
          if (s.open > max_size || s.idle > max_idle || s.active > max_size) {
            std::lock_guard lk(broken_mu);
            if (!limits_broken.exchange(true))
              broken_what = "open=" + std::to_string(s.open) + " idle=" + std::to_string(s.idle) +
                            " active=" + std::to_string(s.active) + " waiting=" + std::to_string(s.waiting);
          }
          if (s.open > max_open_seen) max_open_seen = s.open;
          ++samples;
          std::this_thread::yield();
        }
      });
      std::jthread maintainer([&](std::stop_token st) {
        while (!st.stop_requested()) {
          clock.advance(1ms);
          p.maintain(context::background().with_stop_token(st));
          std::this_thread::yield();
        }
      });
      // One operation; false once the pool is closed.
      auto one_op = [&](std::mt19937& rng) {
        const int dice = static_cast<int>(rng() % 100);
        if (dice < 3) {
          t.fail_next = true;
          ++r.faults;
        }
        if (dice >= 97) cancel.fire_and_renew();
        context ctx = context::with_timeout(5s);
        std::stop_source stopped;
        if (dice < 10)
          ctx = context::with_timeout(std::chrono::microseconds(rng() % 300));
        else if (dice < 30)
          ctx = context::background().with_stop_token(cancel.token());
        else if (dice < 33)
          ctx = context::with_deadline(std::chrono::steady_clock::now() - 1ms);
        else if (dice < 36) {
          stopped.request_stop();
          ctx = context::with_timeout(5s).with_stop_token(stopped.get_token());
        }
        ++r.ops;
        std::error_code ec;
        auto l = p.get(ctx, ec);
        if (ec) {
          if (ec == errc::get_timeout)
            ++r.timeouts;
          else if (ec == errc::cancelled)
            ++r.cancelled;
          else if (ec == errc::factory_failed)
            ++r.factory_failed;
          else if (ec == errc::pool_closed) {
            ++r.pool_closed;
            return false;
          } else
            limits_broken = true; // no other error is possible here
          return true;
        }
        ++r.leases;
        const int what = static_cast<int>(rng() % 100);
        if (what < 15) {
          p.discard(l, ec);
          ++r.discarded;
        } else if (what < 30) {
          l = {}; // the destructor returns it
          ++r.returned;
        } else {
          p.put(l, ec);
          ++r.returned;
          if (what < 35) {
            std::error_code again;
            if (p.put(l, again) == errc::invalid_connection) ++r.double_puts; // changes nothing
          }
        }
        return true;
      };
      std::atomic<int> finished{0};
      {
        std::vector<std::jthread> workers;
        for (int w = 0; w < threads; ++w)
          workers.emplace_back([&, w] {
            std::mt19937 rng(4242 + static_cast<unsigned>(w));
            for (std::uint64_t i = 0; i < per_thread; ++i)
              one_op(rng);
            ++finished;
            // Keep going until the pool is closed under us.
            if (w % 2 == 0)
              while (one_op(rng)) {
              }
          });
        // Close once every worker has done its share, while half still run.
        const auto limit = std::chrono::steady_clock::now() + 10min;
        while (finished.load() < threads && std::chrono::steady_clock::now() < limit)
          std::this_thread::yield();
        std::error_code ec;
        p.close(context::with_timeout(30s), ec);
        QVERIFY(!ec);
      }
      maintainer.request_stop();
      maintainer.join();
      watchdog.request_stop();
      watchdog.join();
      QVERIFY2(!limits_broken, broken_what.c_str());
      const auto s = p.stats();
      QCOMPARE(s.gets, r.ops.load());
      QCOMPARE(s.hits + s.misses, r.leases.load());
      QCOMPARE(s.timeouts, r.timeouts.load());
      QCOMPARE(s.cancellations, r.cancelled.load());
      QCOMPARE(s.factory_failures, r.factory_failed.load());
      QCOMPARE(s.hits + s.misses + s.timeouts + s.cancellations + s.factory_failures + r.pool_closed.load(), s.gets);
      QCOMPARE(s.puts, r.returned.load());
      QCOMPARE(s.discards, r.discarded.load());
      QCOMPARE(s.open, std::size_t(0));
      QCOMPARE(s.idle, std::size_t(0));
      QCOMPARE(s.active, std::size_t(0));
      QCOMPARE(s.waiting, std::size_t(0));
      QCOMPARE(s.created, s.closed);
      QCOMPARE(static_cast<int>(s.created), t.made());
      QVERIFY(s.max_active <= max_size);
      QVERIFY(r.ops.load() >= threads * per_thread);
      // the faults really happened
      QVERIFY(s.waits > 0 && s.timeouts > 0 && s.cancellations > 0 && s.factory_failures > 0);
      // (Expiry by the maintenance thread depends on how often the scheduler
      // runs it; the deterministic tests prove it, this one only reports it.)
      QVERIFY(s.ping_failures > 0 && s.close_errors > 0);
      QVERIFY(r.double_puts > 0);
      qInfo("stress: ops=%llu leases=%llu faults=%llu waits=%llu timeouts=%llu cancellations=%llu "
            "factory_failures=%llu ping_failures=%llu close_errors=%llu idle_closed=%llu age_closed=%llu "
            "created=%llu pool_closed=%llu watchdog_samples=%llu max_open_seen=%llu",
            static_cast<unsigned long long>(r.ops.load()), static_cast<unsigned long long>(r.leases.load()),
            static_cast<unsigned long long>(r.faults.load()), static_cast<unsigned long long>(s.waits),
            static_cast<unsigned long long>(s.timeouts), static_cast<unsigned long long>(s.cancellations),
            static_cast<unsigned long long>(s.factory_failures), static_cast<unsigned long long>(s.ping_failures),
            static_cast<unsigned long long>(s.close_errors), static_cast<unsigned long long>(s.idle_closed),
            static_cast<unsigned long long>(s.age_closed), static_cast<unsigned long long>(s.created),
            static_cast<unsigned long long>(r.pool_closed.load()), static_cast<unsigned long long>(samples.load()),
            static_cast<unsigned long long>(max_open_seen.load()));
    }
    QVERIFY(t.all_closed_exactly_once());
  }

  // The resilience features' moving parts at once: background dials capped by
  // max_connecting, a circuit breaker that the factory faults keep opening,
  // min_idle top-ups, max_age jitter, and a thread that resizes the pool,
  // drains it and changes its durations while 8 workers get and return.
  void resilienceFeaturesUnderConcurrencyKeepLimitsAndCloseEachConnectionOnce_data() {
    QTest::addColumn<bool>("background");
    QTest::newRow("caller dials") << false;
    QTest::newRow("background dials") << true;
  }
  void resilienceFeaturesUnderConcurrencyKeepLimitsAndCloseEachConnectionOnce() {
    QFETCH(bool, background);
    constexpr int threads = 8;
    const std::uint64_t per_thread = env_number("CONNPOOL_STRESS_OPS", 200'000) / threads / 4;
    constexpr std::size_t limit = 8;
    tracker t;
    connpool::manual_clock clock;
    struct counting : connpool::observer {
      std::atomic<std::uint64_t> created{0}, closed{0}, opens{0}, closes{0};
      void on_created(std::uint64_t, connpool::duration) override { ++created; }
      void on_closed(std::uint64_t, connpool::close_reason) override { ++closed; }
      void on_circuit_open(std::exception_ptr, connpool::duration) override { ++opens; }
      void on_circuit_closed() override { ++closes; }
    };
    auto seen = std::make_shared<counting>();
    auto cfg = t.config(4);
    cfg.factory = [inner = cfg.factory](const context& ctx) { // 3% of dials fail
      static thread_local std::mt19937 rng(std::random_device{}());
      if (rng() % 100 < 3) throw std::runtime_error("dial fails");
      return inner(ctx);
    };
    cfg.max_size_limit = limit;
    cfg.min_idle = 1;
    cfg.clock = clock.function();
    cfg.background_maintenance = false;
    cfg.background_dials = background;
    cfg.max_connecting = 2;
    cfg.backoff_initial = 2ms; // pool clock: the maintainer advances it
    cfg.max_age = 40ms;
    cfg.max_age_jitter = 20ms;
    cfg.leak_threshold = 30ms;
    cfg.observer = seen;
    std::atomic<std::uint64_t> gets{0}, leases{0}, failed{0}, rejected{0}, timeouts{0}, closed_errors{0};
    std::atomic<bool> broken{false};
    std::atomic<std::uint64_t> passes{0}, resizes{0}, drains{0};
    {
      connpool::pool<fake_conn> p(cfg);
      std::jthread maintainer([&](std::stop_token st) {
        std::mt19937 rng(7);
        while (!st.stop_requested()) {
          clock.advance(1ms);
          p.maintain(context::background().with_stop_token(st));
          const int dice = static_cast<int>(rng() % 100);
          std::error_code ec;
          if (dice < 20 && !p.set_max_size(2 + rng() % (limit - 1), ec)) ++resizes;
          if (dice == 20 || dice == 22) ++drains, p.drain();
          if (dice == 21) p.set_max_idle_time(std::chrono::milliseconds(rng() % 3 * 10), ec);
          const auto s = p.stats();
          if (s.open > limit || s.active > limit || s.creating > 2 + limit) broken = true;
          ++passes;
          passes.notify_all();
          std::this_thread::yield();
        }
      });
      auto counted_get = [&](connpool::duration timeout) {
        ++gets;
        std::error_code ec;
        auto l = p.get(context::with_timeout(timeout), ec);
        if (ec == errc::factory_failed)
          ++failed;
        else if (ec == errc::circuit_open)
          ++rejected;
        else if (ec == errc::get_timeout)
          ++timeouts;
        else if (ec)
          broken = true;
        else
          ++leases;
        return l;
      };
      {
        std::vector<std::jthread> workers;
        for (int w = 0; w < threads; ++w)
          workers.emplace_back([&, w] {
            std::mt19937 rng(99 + static_cast<unsigned>(w));
            for (std::uint64_t i = 0; i < per_thread; ++i) {
              clock.advance(10us); // the pool clock also moves with the load: breaker, ages, leaks
              std::error_code ec;
              auto l = counted_get(std::chrono::microseconds(50 + rng() % 2000));
              if (l) {
                if (rng() % 10 == 0)
                  p.discard(l, ec);
                else
                  p.put(l, ec);
              }
            }
            // Leases stay out until 300 maintenance passes (resizes, drains) ran.
            auto held = counted_get(10ms);
            for (auto n = passes.load(); n < 300; n = passes.load())
              passes.wait(n);
          });
      }
      std::error_code ec;
      p.close(context::with_timeout(30s), ec);
      QVERIFY(!ec);
      maintainer.request_stop();
      maintainer.join();
      QVERIFY(!broken);
      const auto s = p.stats();
      QCOMPARE(s.gets, gets.load());
      QCOMPARE(s.hits + s.misses, leases.load());
      QCOMPARE(s.circuit_rejects, rejected.load());
      QCOMPARE(s.timeouts, timeouts.load());
      QVERIFY(failed.load() <= s.factory_failures); // background and top-up dials fail too
      QCOMPARE(s.hits + s.misses + s.timeouts + s.circuit_rejects + failed.load(), s.gets);
      QCOMPARE(s.open, std::size_t(0));
      QCOMPARE(s.created, s.closed);
      std::uint64_t by_reason = 0;
      for (auto n : s.closed_by)
        by_reason += n;
      QCOMPARE(by_reason, s.closed);
      QCOMPARE(seen->created.load(), s.created);
      QCOMPARE(seen->closed.load(), s.closed);
      QCOMPARE(seen->opens.load(), s.circuit_opens);
      QVERIFY(s.factory_failures > 0 && s.circuit_opens > 0 && s.circuit_rejects > 0);
      QVERIFY(resizes.load() > 0 && drains.load() > 0);
      qInfo("resilience stress (%s): gets=%llu leases=%llu factory_failures=%llu circuit_opens=%llu "
            "circuit_rejects=%llu timeouts=%llu created=%llu resized=%llu drained=%llu max_age=%llu leaks=%llu",
            background ? "background dials" : "caller dials", static_cast<unsigned long long>(s.gets),
            static_cast<unsigned long long>(leases.load()), static_cast<unsigned long long>(s.factory_failures),
            static_cast<unsigned long long>(s.circuit_opens), static_cast<unsigned long long>(s.circuit_rejects),
            static_cast<unsigned long long>(s.timeouts), static_cast<unsigned long long>(s.created),
            static_cast<unsigned long long>(s.closed_for(connpool::close_reason::resized)),
            static_cast<unsigned long long>(s.closed_for(connpool::close_reason::drained)),
            static_cast<unsigned long long>(s.closed_for(connpool::close_reason::max_age)),
            static_cast<unsigned long long>(s.leaks_suspected));
    }
    QVERIFY(t.all_closed_exactly_once());
  }
};

QTEST_GUILESS_MAIN(tst_PoolStress)
#include "tst_pool_stress.moc"
