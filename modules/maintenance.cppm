// SPDX-License-Identifier: MIT
// connpool:maintenance — the pool's housekeeping (core<T>'s member
// functions, declared with their contracts in core.cppm): expiry, leak
// reports, health checks, min_idle and warm-up, and the loop of the
// maintenance thread.
//
// A pass claims each idle connection it checks (BUSY), so a get never takes
// one that is being pinged or retired, and holds no lock while it pings or
// dials. Filling (fill_one) reserves capacity and a dial under the lock like
// a get does, so min_idle never overshoots max_size or max_connecting.
module;
#include "thread_safety.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <stop_token>
export module connpool:maintenance;
import :errors;
import :context;
import :clock;
import :config;
import :counters;
import :metrics;
import :mutex;
import :policy;
import :slot_table;
import :dialer;
import :lease_tracker;
import :core;

namespace connpool::detail {

template <class T> maintenance_report core<T>::maintain(const context& ctx) {
  maintenance_report r;
  counter_shard& sh = *me().shard;
  if (closed_.load(std::memory_order_acquire)) return r;
  const time_point t = now();
  const std::uint32_t n = slots_.high_water();
  if (has_limits()) {
    for (std::uint32_t i = 0; i < n; ++i) {
      slot<T>& s = slots_[i];
      if (s.state.load(std::memory_order_relaxed) != idle_slot || expiry_of(s, t) == expiry::fresh) continue;
      if (!slots_.try_claim(s, busy_slot)) continue;
      const expiry x = expiry_of(s, t); // re-read now that we own it
      if (x == expiry::fresh || (x == expiry::max_age && !retirement_allowed(t))) {
        publish(s, sh, busy_slot, nullptr);
        continue;
      }
      if (min_idle_.load(std::memory_order_relaxed) > 0) { // replace it before closing it
        std::exception_ptr ignored;
        r.created += fill_one(min_idle_.load(std::memory_order_relaxed), context::background(), sh, ignored) ==
                     fill_result::created;
      }
      (x == expiry::max_age ? r.age_closed : r.idle_closed)++;
      bump(x == expiry::max_age ? sh.age_closed : sh.idle_closed);
      retire(s, sh, x == expiry::max_age ? close_reason::max_age : close_reason::idle_time);
    }
  }
  if (cfg_.leak_threshold > duration::zero()) r.leaks = leases_.report_leaks(slots_, t, n, sh);
  if (health_check_due(t)) {
    for (std::uint32_t i = 0; i < n && !ctx.done(); ++i) {
      slot<T>& s = slots_[i];
      if (s.state.load(std::memory_order_relaxed) != idle_slot || !slots_.try_claim(s, busy_slot)) continue;
      const context pctx =
          (cfg_.health_check_timeout > duration::zero() ? context::with_timeout(cfg_.health_check_timeout)
                                                        : context::background())
              .with_stop_token(ctx.stop_token());
      ++r.pinged;
      if (run_ping(*s.conn, pctx, sh)) {
        publish(s, sh, busy_slot, nullptr);
        continue;
      }
      ++r.ping_failures;
      bump(sh.ping_failures);
      retire(s, sh, close_reason::ping_failed);
    }
  }
  std::exception_ptr ignored;
  while (!ctx.done() && fill_one(min_idle_.load(std::memory_order_relaxed), ctx, sh, ignored) == fill_result::created)
    ++r.created;
  return r;
}

template <class T> errc core<T>::warm_up(std::size_t target, const context& ctx, std::exception_ptr& failure) {
  counter_shard& sh = *me().shard;
  for (;;) {
    if (closed_.load(std::memory_order_acquire)) return errc::pool_closed;
    if (errc e = ctx.ended(); e != errc{}) return e;
    switch (fill_one(target, ctx, sh, failure)) {
    case fill_result::created: continue;
    case fill_result::enough:
    case fill_result::no_room: return errc{}; // target reached, or max_size: as warm as it gets
    case fill_result::busy: {                 // max_connecting: wait for a dial to end
      pool_lock lk(mu_);
      if (!dialer_.wait_for_slot(lk, ctx,
                                 [this]() CONNPOOL_REQUIRES(mu_) { return dialer_.slot_free(mu_) || closed_.load(); }))
        return ctx.ended() == errc{} ? errc::get_timeout : ctx.ended();
      continue;
    }
    case fill_result::failed: return errc::factory_failed;
    case fill_result::rejected: {
      pool_lock lk(mu_);
      failure = dialer_.last_failure(mu_);
      return errc::circuit_open;
    }
    }
  }
}

template <class T> void core<T>::run_maintenance(std::stop_token st) {
  const context ctx = context::background().with_stop_token(st);
  pool_lock lk(mu_);
  while (!st.stop_requested()) {
    const duration every = interval_locked();
    auto kicked = [this]() CONNPOOL_REQUIRES(mu_) { return kicked_; };
    if (every > duration::zero())
      maint_cv_.wait_for(lk.native(), st, every, kicked);
    else
      maint_cv_.wait(lk.native(), st, kicked);
    kicked_ = false;
    if (st.stop_requested()) break;
    lk.unlock();
    maintain(ctx);
    lk.lock();
  }
}

template <class T> duration core<T>::maintenance_interval() const {
  pool_lock lk(mu_);
  return interval_locked();
}

template <class T> duration core<T>::interval_locked() const noexcept {
  return detail::maintenance_interval(cfg_.cleanup_interval, max_idle_time(), max_age(),
                                      duration(health_check_interval_.load(std::memory_order_relaxed)),
                                      cfg_.leak_threshold,
                                      min_idle_.load(std::memory_order_relaxed) > 0 || dialer_.breaker_enabled(mu_));
}

template <class T> bool core<T>::health_check_due(time_point t) {
  const duration every(health_check_interval_.load(std::memory_order_relaxed));
  if (!cfg_.ping || every <= duration::zero()) return false;
  pool_lock lk(mu_);
  if (t < next_health_check_) return false;
  next_health_check_ = t + every;
  return true;
}

template <class T> typename core<T>::fill_result core<T>::fill_one(std::size_t target, const context& ctx,
                                                                   counter_shard& sh, std::exception_ptr& failure) {
  pool_lock lk(mu_);
  if (slots_.tracks_idle()) target = std::min(target, max_idle_.load(std::memory_order_relaxed)); // more would overflow
  if (target == 0) return fill_result::enough;
  if (closed_.load(std::memory_order_relaxed)) return fill_result::no_room;
  if (slots_.count_idle() + dialer_.filling(mu_) >= target) return fill_result::enough;
  if (open_ >= max_size_.load(std::memory_order_relaxed)) return fill_result::no_room;
  if (!dialer_.slot_free(mu_)) return fill_result::busy;
  if (dialer_.may_dial(now(), mu_) == breaker::verdict::reject) return fill_result::rejected;
  ++open_;
  dialer_.begin(purpose::fill, mu_);
  slot<T>& s = slots_.reserve(flags_locked(), mu_);
  if (!dial_and_account(lk, s, ctx, sh, failure, purpose::fill)) return fill_result::failed;
  place_new(s, sh);
  return fill_result::created;
}

} // namespace connpool::detail
