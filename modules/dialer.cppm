// SPDX-License-Identifier: MIT
// connpool:dialer — calling the factory, and the books kept around it.
//
//   dialer<T>   runs the factory into a RESERVED slot and stamps the new
//               connection; counts dials in flight (max_connecting), those
//               on background threads and those filling min_idle; keeps
//               the circuit breaker (policy.cppm), the last failure and
//               the breaker events not yet told to the observer
//
// The core decides *when* to dial (it holds the capacity, open_), the
// dialer what a dial costs and how it ended. The factory itself runs
// without any lock (dial()); every other function takes the core's lock as
// `held`, except report_breaker(), which takes it itself.
//
// Memory ordering: connection ids come from a relaxed counter (unique is
// all they need). The new connection's stamps are written by the dialing
// thread, which owns the slot; publishing the slot (slot_table) releases them.
module;
#include "thread_safety.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <random>
#include <utility>
#include <vector>
export module connpool:dialer;
import :clock;
import :config;
import :context;
import :counters;
import :events;
import :lease_tracker;
import :mutex;
import :policy;
import :shards;
import :slot_table;

namespace connpool::detail {

/// Uniform in [0, 1), per thread (jitter only: not for anything secret).
inline double uniform01() noexcept {
  static thread_local std::minstd_rand gen(static_cast<unsigned>(std::random_device{}()));
  return std::generate_canonical<double, 32>(gen);
}

template <class T> class dialer {
public:
  /// What a dial is for, beyond the get or waiter it serves.
  enum class purpose { get, background, fill };

  explicit dialer(const config<T>& cfg) : cfg_(cfg) {
    breaker_.initial = cfg.backoff_initial;
    breaker_.max_delay = cfg.backoff_max > duration::zero() ? cfg.backoff_max : cfg.backoff_initial * 32;
  }

  /// Unlocked, slot RESERVED by the caller: runs the factory. On success the
  /// connection is in the slot, stamped and counted; `took` is how long.
  bool dial(slot<T>& s, const context& ctx, counter_shard& sh, std::exception_ptr& failure, duration& took) {
    const std::int64_t t0 = steady_ns();
    try {
      s.conn.emplace(cfg_.factory(ctx));
    } catch (...) {
      failure = std::current_exception();
    }
    took = since(t0);
    sh.create.record(took);
    if (!s.conn) {
      bump(sh.factory_failures);
      tell(cfg_.observer.get(), sh, [&](observer& o) { o.on_create_failed(failure, took); });
      return false;
    }
    const std::uint64_t id = next_id_.fetch_add(1, std::memory_order_relaxed) + 1;
    s.id.store(id, std::memory_order_relaxed);
    s.uses.store(0, std::memory_order_relaxed);
    s.age_cut.store(age_cut(cfg_.max_age_jitter, uniform01()).count(), std::memory_order_relaxed);
    const auto t = pool_now(cfg_).time_since_epoch().count();
    s.created.store(t, std::memory_order_relaxed);
    s.returned.store(t, std::memory_order_relaxed);
    return true;
  }

  // ---- under the core's lock --------------------------------------------------

  /// Below max_connecting (or no cap).
  bool slot_free(pool_mutex& held) const noexcept CONNPOOL_REQUIRES(held) {
    return cfg_.max_connecting == 0 || dialing_ < cfg_.max_connecting;
  }
  breaker::verdict may_dial(time_point now, pool_mutex& held) CONNPOOL_REQUIRES(held) { return breaker_.may_dial(now); }
  bool breaker_enabled(pool_mutex& held) const noexcept CONNPOOL_REQUIRES(held) { return breaker_.enabled(); }
  bool circuit_open(pool_mutex& held) const noexcept CONNPOOL_REQUIRES(held) { return breaker_.open; }
  std::uint64_t circuit_opens(pool_mutex& held) const noexcept CONNPOOL_REQUIRES(held) { return circuit_opens_; }
  std::exception_ptr last_failure(pool_mutex& held) const CONNPOOL_REQUIRES(held) { return last_failure_; }
  /// Factory calls running or granted.
  std::size_t running(pool_mutex& held) const noexcept CONNPOOL_REQUIRES(held) { return dialing_; }
  /// Of which on background threads (each will serve a waiter).
  std::size_t in_background(pool_mutex& held) const noexcept CONNPOOL_REQUIRES(held) { return bg_dialing_; }
  /// Of which filling min_idle or warm_up.
  std::size_t filling(pool_mutex& held) const noexcept CONNPOOL_REQUIRES(held) { return filling_; }

  /// A dial is granted (the caller took the capacity).
  void begin(purpose p, pool_mutex& held) noexcept CONNPOOL_REQUIRES(held) {
    ++dialing_;
    if (p == purpose::background) ++bg_dialing_;
    if (p == purpose::fill) ++filling_;
  }
  /// The factory returned (either way); succeeded() or failed() follows.
  void returned(purpose p, pool_mutex& held) noexcept CONNPOOL_REQUIRES(held) {
    if (p == purpose::background) --bg_dialing_;
    if (p == purpose::fill) --filling_;
  }
  /// A background dial that never got a thread: as if it had returned.
  void cancel_background(pool_mutex& held) noexcept CONNPOOL_REQUIRES(held) { --bg_dialing_; }
  void succeeded(pool_mutex& held) CONNPOOL_REQUIRES(held) {
    end(held);
    if (breaker_.on_success() && cfg_.observer) breaker_events_.push_back({false, nullptr, {}});
  }
  void failed(std::exception_ptr failure, time_point now, pool_mutex& held) CONNPOOL_REQUIRES(held) {
    end(held);
    last_failure_ = failure;
    if (breaker_.on_failure(now, uniform01())) {
      ++circuit_opens_;
      if (cfg_.observer) breaker_events_.push_back({true, std::move(failure), breaker_.retry_at - now});
    }
  }
  /// A granted dial that nobody will make (its waiter left, the pool closed).
  void abandoned(pool_mutex& held) CONNPOOL_REQUIRES(held) {
    end(held);
    breaker_.on_abandoned();
  }

  /// warm_up at max_connecting: waits for a dial to end (or `pred`).
  template <class Pred> bool wait_for_slot(pool_lock& lk, const context& ctx, Pred pred) {
    return wait_for_context(ended_cv_, lk, ctx, pred);
  }
  /// The pool closed: wake those waiting for a dial to end.
  void wake_all() noexcept { ended_cv_.notify_all(); }

  // ---- unlocked -----------------------------------------------------------------

  /// Tells the observer what the breaker did, in order, since the last
  /// report (every thread that changes it reports afterwards).
  void report_breaker(counter_shard& sh, pool_mutex& mu) CONNPOOL_EXCLUDES(mu) {
    if (!cfg_.observer) return;
    std::vector<breaker_event> events;
    {
      pool_lock lk(mu);
      events.swap(breaker_events_);
    }
    for (const breaker_event& e : events)
      tell(cfg_.observer.get(), sh,
           [&](observer& o) { e.opened ? o.on_circuit_open(e.why, e.retry_in) : o.on_circuit_closed(); });
  }

private:
  void end(pool_mutex& held) noexcept CONNPOOL_REQUIRES(held) {
    --dialing_;
    ended_cv_.notify_all();
  }

  struct breaker_event {
    bool opened;
    std::exception_ptr why;
    duration retry_in;
  };

  const config<T>& cfg_;                  // the core's, which outlives this
  std::atomic<std::uint64_t> next_id_{0}; // connection ids
  std::condition_variable_any ended_cv_;  // warm_up waits here for a dial slot (max_connecting)
  // The core's lock, all of them (the functions above take it as `held`).
  std::size_t dialing_ = 0;                   // factory calls running or granted
  std::size_t bg_dialing_ = 0;                // of which background dials
  std::size_t filling_ = 0;                   // of which min_idle/warm_up dials
  breaker breaker_;                           // policy.cppm
  std::exception_ptr last_failure_;           // the last factory failure
  std::uint64_t circuit_opens_ = 0;           // times the breaker opened
  std::vector<breaker_event> breaker_events_; // not yet told to the observer
};

} // namespace connpool::detail
