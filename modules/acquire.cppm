// SPDX-License-Identifier: MIT
// connpool:acquire — the get that missed the inlined fast path, the dials
// that serve it, and the waiters' queue and wait signal (core<T>'s member
// functions, declared with their contracts in core.cppm).
//
// In order: acquire() takes the hooked lock-free path when only per-lease
// bookkeeping is on; else take_idle() claims idle slots and checks them
// (expiry, ping) unless waiters are served in order;
// acquire_slow() then, under the lock, either dials itself (capacity and a
// dial reserved: create()), or starts a background dial and queues, or just
// queues; whoever frees capacity or ends a dial serves the first waiters
// (serve_waiters_locked: grant capacity, start a dial, or fail fast with the
// breaker open), and a put hands its connection to the first waiter.
// dial_and_account() is the one place the factory runs (unlocked) and its
// outcome is booked (locked). A get reserves capacity (`open_`) and a dial
// (the dialer, capped by max_connecting) under mu_, then runs the factory
// in its own thread or (background_dials) on a short-lived thread whose
// result goes to the first waiter or idle. Maintenance tops up min_idle
// the same way.
module;
#include "thread_safety.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <source_location>
#include <stop_token>
#include <thread>
#include <utility>
export module connpool:acquire;
import :errors;
import :context;
import :clock;
import :events;
import :config;
import :counters;
import :mutex;
import :policy;
import :slot_table;
import :waiter_queue;
import :shards;
import :dialer;
import :lease_tracker;
import :core;

namespace connpool::detail {

template <class T> slot<T>* core<T>::acquire(const context& ctx, errc& ec, std::exception_ptr& failure,
                                             const std::source_location& where) {
  thread_entry& te = me();
  if (fast_get_.load(std::memory_order_relaxed) == fast_hooked && ctx.ended() == errc{})
    if (slot<T>* s = acquire_hooked(te, where)) return s; // lock-free, with per-lease hooks
  counter_shard& sh = *te.shard;
  bump(sh.gets);
  bump(sh.slow_gets);
  const std::int64_t t0 = steady_ns();
  if (closed_.load(std::memory_order_acquire)) return fail(ec, errc::pool_closed); // before the context
  if (errc e = ctx.ended(); e != errc{}) return timed_out(sh, e, ec, t0);
  slot<T>* s = nullptr;
  for (;;) { // once more only when a connection found while waiting failed its checks
    if (waiters_.size() == 0 || may_overtake_.load(std::memory_order_relaxed)) s = take_idle(te, ctx, sh);
    if (s) break;
    bool unchecked = false;
    s = acquire_slow(te, ctx, ec, failure, unchecked);
    if (!s || !unchecked || accept_claimed(*s, ctx, sh)) break;
    s = nullptr;
  }
  if (s)
    leases_.leased(*s, sh, t0, where);
  else if (ec == errc::get_timeout || ec == errc::cancelled)
    notify(sh, [&](observer& o) { o.on_wait_timeout(since(t0)); });
  return s;
}

template <class T> slot<T>* core<T>::acquire_hooked(thread_entry& te, const std::source_location& where) {
  slot<T>* s = claim_hint(te);
  if (s) leases_.stamp(*s, *te.shard, steady_ns(), duration::zero(), where);
  return s;
}

template <class T> slot<T>* core<T>::take_idle(thread_entry& te, const context& ctx, counter_shard& sh) {
  const std::uint32_t* hint = te.pool_id == id_ ? &te.hint : nullptr;
  while (slot<T>* s = slots_.claim_idle(hint, cfg_.order == idle_order::fifo)) {
    const std::optional<close_reason> bad = check_usable(*s, ctx, sh);
    if (!bad && !closed_.load(std::memory_order_acquire)) {
      lease_out();
      bump(sh.hits);
      return s;
    }
    retire(*s, sh, bad.value_or(close_reason::pool_closed));
  }
  return nullptr;
}

template <class T> bool core<T>::accept_claimed(slot<T>& s, const context& ctx, counter_shard& sh) {
  const std::optional<close_reason> bad = check_usable(s, ctx, sh);
  if (!bad && !closed_.load(std::memory_order_acquire)) {
    lease_out();
    // As for a handed connection: one nobody has used yet was dialed while
    // we waited (often for us, by a background dial): a miss.
    bump(s.uses.load(std::memory_order_relaxed) == 0 ? sh.misses : sh.hits);
    return true;
  }
  retire(s, sh, bad.value_or(close_reason::pool_closed));
  return false;
}

template <class T> bool core<T>::run_ping(T& c, const context& ctx, counter_shard& sh) {
  const std::int64_t t0 = steady_ns();
  bool ok = false;
  try {
    ok = cfg_.ping(c, ctx) && !(ctx.deadline() && context::clock::now() >= *ctx.deadline());
  } catch (...) {
    ok = false;
  }
  sh.ping.record(since(t0));
  return ok;
}

template <class T>
std::optional<close_reason> core<T>::check_usable(slot<T>& s, const context& ctx, counter_shard& sh) {
  if (has_limits()) {
    const time_point t = now();
    const expiry x = expiry_of(s, t);
    if (x == expiry::idle_time) {
      bump(sh.idle_closed);
      return close_reason::idle_time;
    }
    if (x == expiry::max_age && retirement_allowed(t)) {
      bump(sh.age_closed);
      return close_reason::max_age;
    }
  }
  if (cfg_.ping && !run_ping(*s.conn, ctx, sh)) {
    bump(sh.ping_failures);
    return close_reason::ping_failed;
  }
  return std::nullopt;
}

template <class T> slot<T>* core<T>::acquire_slow(thread_entry& te, const context& ctx, errc& ec,
                                                  std::exception_ptr& failure, bool& unchecked) {
  counter_shard& sh = *te.shard;
  waiter<T> w;
  std::optional<std::stop_callback<stop_waiter<T>>> on_stop;
  if (ctx.stop_token().stop_possible()) on_stop.emplace(ctx.stop_token(), stop_waiter<T>{&mu_, &w});
  pool_lock lk(mu_); // declared after on_stop: unlocked before on_stop is destroyed
  if (closed_.load(std::memory_order_relaxed)) return fail(ec, errc::pool_closed);
  if (errc e = ctx.ended(); e != errc{}) return end_get(sh, e, ec);
  if (w.cancelled) return end_get(sh, errc::cancelled, ec);
  if (waiters_.size() == 0 && open_ < max_size_.load(std::memory_order_relaxed) && dialer_.slot_free(mu_)) {
    if (dialer_.may_dial(now(), mu_) == breaker::verdict::reject) return reject_locked(sh, ec, failure);
    if (!cfg_.background_dials) {
      ++open_;
      dialer_.begin(purpose::get, mu_);
      return create(lk, ctx, ec, failure, sh);
    }
    start_dial_locked(); // and queue for whichever connection comes first
  }
  bump(sh.waits);
  if (cfg_.fairness == fairness_mode::bounded) w.since = now();
  enqueue_locked(w); // may hand us a slot published just before the flags went up
  if (cfg_.background_dials && waiters_.size() > dialer_.in_background(mu_)) serve_waiters_locked();
  for (;;) {
    const auto woken = [&w]() CONNPOOL_REQUIRES(mu_) { return w.ready() || w.nudged; };
    if (ctx.deadline())
      w.cv.wait_until(lk.native(), *ctx.deadline(), woken);
    else
      w.cv.wait(lk.native(), woken);
    if (w.ready() || !w.nudged) break;
    // Nudged (fairness_mode::bounded, first in line): a connection came
    // back; claim it if no running caller was faster, else sleep again.
    w.nudged = false;
    if (slot<T>* s = slots_.claim_idle(te.pool_id == id_ ? &te.hint : nullptr, cfg_.order == idle_order::fifo)) {
      unlink_locked(w);
      unchecked = true;
      return s;
    }
    bump(sh.overtaken);
    if (!in_order_ && must_serve_in_order(now() - w.since, cfg_.fairness_bound)) set_in_order_locked(true);
    sync_wait_signal_locked(); // the flag again: may hand us a connection published meanwhile
  }
  if (w.handed) {
    bump(w.handed->uses.load(std::memory_order_relaxed) == 0 ? sh.misses : sh.hits); // fresh from a dial: a miss
    return w.handed;
  }
  if (w.granted) {
    // Pass the capacity on rather than dial for nobody or for a closed pool.
    if (closed_.load(std::memory_order_relaxed)) {
      drop_grant_locked();
      return fail(ec, errc::pool_closed);
    }
    if (errc e = ctx.ended(); e != errc{} || w.cancelled) {
      drop_grant_locked();
      return end_get(sh, e != errc{} ? e : errc::cancelled, ec);
    }
    return create(lk, ctx, ec, failure, sh);
  }
  if (w.error != errc{}) {
    if (w.error == errc::circuit_open) bump(sh.circuit_rejects);
    failure = w.failure;
    return fail(ec, w.error);
  }
  if (w.closed) return fail(ec, errc::pool_closed);
  unlink_locked(w); // the context ended first
  const errc e = ctx.ended();
  return end_get(sh, w.cancelled ? errc::cancelled : e != errc{} ? e : errc::get_timeout, ec);
}

template <class T> slot<T>* core<T>::reject_locked(counter_shard& sh, errc& ec, std::exception_ptr& failure) {
  bump(sh.circuit_rejects);
  failure = dialer_.last_failure(mu_);
  return fail(ec, errc::circuit_open);
}

template <class T>
slot<T>* core<T>::create(pool_lock& lk, const context& ctx, errc& ec, std::exception_ptr& failure, counter_shard& sh) {
  slot<T>& s = slots_.reserve(flags_locked(), mu_);
  if (!dial_and_account(lk, s, ctx, sh, failure, purpose::get)) return fail(ec, errc::factory_failed);
  if (closed_.load(std::memory_order_acquire)) {
    retire(s, sh, close_reason::pool_closed);
    return fail(ec, errc::pool_closed);
  }
  slot_table<T>::set_kind(s, leased_slot); // the flags may have changed meanwhile: keep them
  lease_out();
  bump(sh.misses);
  return &s;
}

template <class T> bool core<T>::dial_and_account(pool_lock& lk, slot<T>& s, const context& ctx, counter_shard& sh,
                                                  std::exception_ptr& failure, purpose p, bool tell_waiter) {
  lk.unlock();
  duration took{};
  const bool ok = dialer_.dial(s, ctx, sh, failure, took);
  lk.lock();
  dialer_.returned(p, mu_);
  if (ok) {
    // `created` moves with `creating` (one lock) so stats() always
    // balances created - closed == open - creating.
    bump(sh.created);
    dialer_.succeeded(mu_);
    serve_waiters_locked();
  } else {
    if (tell_waiter) fail_first_waiter_locked(errc::factory_failed, failure); // as if it had dialed itself
    dial_failed_locked(s, failure);
  }
  lk.unlock();
  if (ok) notify(sh, [&](observer& o) { o.on_created(s.id.load(std::memory_order_relaxed), took); });
  dialer_.report_breaker(sh, mu_);
  return ok;
}

template <class T> void core<T>::dial_failed_locked(slot<T>& s, std::exception_ptr failure) {
  dialer_.failed(std::move(failure), now(), mu_);
  slots_.release(s, mu_);
  free_capacity_locked();
}

template <class T> void core<T>::start_dial_locked() {
  ++open_;
  dialer_.begin(purpose::background, mu_);
  ++holds_;
  slot<T>& s = slots_.reserve(flags_locked(), mu_);
  counter_shard* sh = shards_.borrow(mu_);
  try {
    std::thread([this, &s, sh] { background_dial(s, *sh); }).detach();
  } catch (...) { // no thread: as if the dial failed at once
    dialer_.cancel_background(mu_);
    --holds_;
    shards_.give_back(sh, mu_);
    fail_first_waiter_locked(errc::factory_failed, std::current_exception());
    dial_failed_locked(s, std::current_exception());
  }
}

template <class T> void core<T>::background_dial(slot<T>& s, counter_shard& sh) {
  const context ctx =
      cfg_.dial_timeout > duration::zero() ? context::with_timeout(cfg_.dial_timeout) : context::background();
  std::exception_ptr failure;
  // All of it while still counted in holds_: the core stays.
  bool ok = false;
  {
    pool_lock lk(mu_);
    ok = dial_and_account(lk, s, ctx, sh, failure, purpose::background, /*tell_waiter=*/true); // unlocks
  }
  if (ok) place_new(s, sh);
  pool_lock lk(mu_);
  shards_.give_back(&sh, mu_);
  --holds_;
  notify_if_drained_locked();
  const bool last = orphaned_ && open_ == 0 && holds_ == 0;
  lk.unlock();
  if (last) delete this; // touch nothing after: the pool may be gone
}

template <class T> void core<T>::place_new(slot<T>& s, counter_shard& sh) {
  if (cfg_.order == idle_order::fifo) s.idle_seq.store(slots_.next_idle_seq(), std::memory_order_relaxed);
  if (closed_.load(std::memory_order_acquire)) {
    retire(s, sh, close_reason::pool_closed);
    return;
  }
  publish(s, sh, reserved_slot, nullptr);
}

template <class T> void core<T>::enqueue_locked(waiter<T>& w) {
  waiters_.push(w, mu_);
  sync_wait_signal_locked(); // a wait episode starts: may hand us a slot published just before
}

template <class T> void core<T>::unlink_locked(waiter<T>& w) {
  if (waiters_.unlink(w, mu_) && cfg_.fairness == fairness_mode::bounded) { // the episode ends
    set_in_order_locked(false);
  }
  sync_wait_signal_locked();
}

template <class T> void core<T>::sync_wait_signal_locked() {
  if (syncing_) return;
  syncing_ = true;
  for (;;) {
    const waiter<T>* first = waiters_.front(mu_);
    const wait_signal signal = wait_signal_for(first != nullptr, in_order_, first && first->nudged);
    const std::uint32_t want = signal == wait_signal::hand_over ? waiters_flag
                               : signal == wait_signal::nudge   ? nudge_flag
                                                                : 0u;
    if (want == raised_) break;
    if (raised_) slots_.lower_flag(raised_, mu_);
    raised_ = want;
    if (!want) continue;
    const std::uint32_t n = slots_.high_water();
    for (std::uint32_t i = 0; i < n; ++i)
      if (slot<T>* s = slots_.raise_flag_at(i, want, mu_)) { // published just before: not claimable now
        if (waiters_.front(mu_))
          hand_over_locked(*s);
        else
          slots_.give_back_claimed(*s, mu_); // the next round lowers the flag
      }
  }
  syncing_ = false;
}

template <class T> bool core<T>::nudge_or_serve_in_order_locked(waiter<T>& first) {
  if (must_serve_in_order(now() - first.since, cfg_.fairness_bound)) {
    set_in_order_locked(true);
    sync_wait_signal_locked();
    return false;
  }
  first.nudged = true;
  first.cv.notify_one();
  sync_wait_signal_locked(); // the first is awake: puts go lock-free until it sleeps again
  return true;
}

template <class T> bool core<T>::hand_to_waiter(slot<T>& s, thread_entry* te) {
  pool_lock lk(mu_);
  if (!waiters_.front(mu_) || closed_.load(std::memory_order_relaxed)) return false;
  hand_over_locked(s);
  if (te) te->hint = s.index;
  return true;
}

template <class T> void core<T>::hand_over_locked(slot<T>& s) {
  slot_table<T>::set_kind_locked(s, leased_slot, mu_);
  waiter<T>* w = waiters_.front(mu_);
  if (in_order_ && cfg_.fairness == fairness_mode::bounded &&
      may_overtake_again(now() - w->since, cfg_.fairness_bound, waiters_.size() - 1)) {
    set_in_order_locked(false); // the queue is short again
  }
  unlink_locked(*w);
  lease_out();
  w->handed = &s;
  w->cv.notify_one();
}

template <class T> void core<T>::fail_first_waiter_locked(errc e, std::exception_ptr failure) {
  waiter<T>* w = waiters_.front(mu_);
  if (!w) return;
  unlink_locked(*w);
  w->error = e;
  w->failure = std::move(failure);
  w->cv.notify_one();
}

template <class T> void core<T>::serve_waiters_locked() {
  while (waiters_.front(mu_) && room_for_waiter({.closed = closed_.load(std::memory_order_relaxed),
                                                 .waiting = waiters_.size(),
                                                 .covered = cfg_.background_dials ? dialer_.in_background(mu_) : 0,
                                                 .open = open_,
                                                 .max_size = max_size_.load(std::memory_order_relaxed),
                                                 .dialing = dialer_.running(mu_),
                                                 .max_connecting = cfg_.max_connecting})) {
    if (dialer_.may_dial(now(), mu_) == breaker::verdict::reject) {
      fail_first_waiter_locked(errc::circuit_open, dialer_.last_failure(mu_));
      continue;
    }
    if (cfg_.background_dials) {
      start_dial_locked();
      continue;
    }
    waiter<T>* w = waiters_.front(mu_);
    unlink_locked(*w);
    ++open_;
    dialer_.begin(purpose::get, mu_);
    w->granted = true;
    w->cv.notify_one();
  }
}

template <class T> void core<T>::drop_grant_locked() {
  dialer_.abandoned(mu_);
  free_capacity_locked();
}
} // namespace connpool::detail
