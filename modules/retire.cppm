// SPDX-License-Identifier: MIT
// connpool:retire — where a connection goes when it comes back or must
// close, and how the pool closes (core<T>'s member functions, declared with
// their contracts in core.cppm).
//
// put_slot() is the put that missed the inlined fast path: it stamps the
// return, closes the connection when the pool is closed or it is too old,
// else publishes it. publish() makes a returned (or new, or checked)
// connection idle with one CAS unless a flag is up; settle() decides under
// the lock when one is: close it (pool closed, retiring), hand it to the
// first waiter, or publish after all. retire() closes a connection outside any lock and frees its
// slot and capacity under it; the last retirement of an orphaned core
// deletes the core. shut_down() raises the closed flag on every slot, so
// from then on every put settles under the lock.
module;
#include "thread_safety.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>
export module connpool:retire;
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

template <class T> errc core<T>::close(const context& ctx) {
  counter_shard& sh = *me().shard;
  shut_down(sh);
  pool_lock lk(mu_);
  if (wait_for_context(drained_cv_, lk, ctx, [this]() CONNPOOL_REQUIRES(mu_) { return open_ == 0 && holds_ == 0; }))
    return errc{};
  bump(sh.close_timeouts);
  return errc::close_timeout;
}

template <class T> void core<T>::abandon() {
  shut_down(*me().shard);
  pool_lock lk(mu_);
  if (open_ != 0 || holds_ != 0) {
    orphaned_ = true; // the last retire (or dial) deletes it
    return;
  }
  lk.unlock();
  delete this;
}

template <class T> errc core<T>::put_slot(slot<T>& s) {
  thread_entry& te = me();
  if (fast_put_.load(std::memory_order_relaxed) == fast_hooked) { // lock-free, with per-lease hooks
    leases_.returning(s, *te.shard);                              // while we still own it
    return publish_fast(s, te);
  }
  counter_shard& sh = *te.shard;
  bump(sh.puts);
  leases_.returning(s, sh);
  active_.fetch_sub(1, std::memory_order_relaxed);
  if (closed_.load(std::memory_order_acquire)) {
    retire(s, sh, close_reason::pool_closed);
    return errc::pool_closed;
  }
  const time_point t = has_limits() ? now() : time_point{};
  if (max_idle_time() > duration::zero()) s.returned.store(t.time_since_epoch().count(), std::memory_order_relaxed);
  if (cfg_.order == idle_order::fifo) s.idle_seq.store(slots_.next_idle_seq(), std::memory_order_relaxed);
  if (max_age() > duration::zero() && t - s.created_at() >= age_limit(s) && retirement_allowed(t)) {
    bump(sh.age_closed);
    retire(s, sh, close_reason::max_age);
    return errc{};
  }
  return publish(s, sh, leased_slot, &te);
}

template <class T> void core<T>::discard(slot<T>& s) {
  counter_shard& sh = *me().shard;
  bump(sh.discards);
  leases_.returning(s, sh);
  active_.fetch_sub(1, std::memory_order_relaxed);
  retire(s, sh, close_reason::discarded);
}

template <class T> errc core<T>::publish(slot<T>& s, counter_shard& sh, std::uint32_t from, thread_entry* te) {
  if (s.state.load(std::memory_order_relaxed) & retire_flag) return settle(s, sh, te);
  if (!slots_.reserve_idle(max_idle_.load(std::memory_order_relaxed))) { // idle is full: a waiter still comes first
    if (hand_to_waiter(s, te)) return errc{};
    retire(s, sh, close_reason::idle_overflow);
    return errc{};
  }
  const std::uint32_t index = s.index; // read before publishing: the core may be gone after
  if (slot_table<T>::publish_exact(s, from)) {
    if (te) te->hint = index;
    return errc{};
  }
  slots_.unreserve_idle();
  return settle(s, sh, te);
}

template <class T> errc core<T>::settle(slot<T>& s, counter_shard& sh, thread_entry* te) {
  pool_lock lk(mu_);
  const std::uint32_t st = s.state.load(std::memory_order_relaxed); // flags only change under mu_
  if (st & closed_flag) {
    lk.unlock();
    retire(s, sh, close_reason::pool_closed); // may delete an orphaned core: touch nothing after
    return errc::pool_closed;
  }
  if (st & retire_flag) {
    const close_reason why = s.retire_why.load(std::memory_order_relaxed);
    if (why != close_reason::resized || open_ > max_size_.load(std::memory_order_relaxed)) {
      lk.unlock();
      retire(s, sh, why);
      return errc{};
    }
    s.state.fetch_and(~retire_flag, std::memory_order_relaxed); // the pool shrank enough meanwhile
  }
  // Strict, or bounded and serving in order: the first waiter gets it.
  // Bounded otherwise: the first waiter is nudged to come and look, and the
  // connection goes idle for whoever is first (the waiter or a running get).
  // With idle full, a waiter still comes first.
  waiter<T>* first = waiters_.front(mu_);
  if (first && !in_order_ && !first->nudged && !nudge_or_serve_in_order_locked(*first))
    first = waiters_.front(mu_); // serving in order now (the switch may have served some already)
  const bool room = !(first && in_order_) && slots_.reserve_idle(max_idle_.load(std::memory_order_relaxed));
  if (first && !room) {
    hand_over_locked(s);
    if (te) te->hint = s.index;
    return errc{};
  }
  if (!room) {
    lk.unlock();
    retire(s, sh, close_reason::idle_overflow);
    return errc{};
  }
  s.state.store(idle_slot, std::memory_order_release); // no flag, no waiter: plain idle
  if (te) te->hint = s.index;
  return errc{};
}

template <class T> void core<T>::free_capacity_locked() {
  --open_;
  if (closed_.load(std::memory_order_relaxed)) {
    if (open_ == 0) drained_cv_.notify_all();
    return;
  }
  serve_waiters_locked();
  if (min_idle_.load(std::memory_order_relaxed) > 0) kick_locked();
}

template <class T> void core<T>::retire(slot<T>& s, counter_shard& sh, close_reason why) {
  const std::uint64_t id = s.id.load(std::memory_order_relaxed);
  close_conn(s, sh);
  pool_lock lk(mu_);
  bump(sh.closed); // with the slot's release: stats() sees both or neither
  bump(sh.closed_by[static_cast<std::size_t>(why)]);
  slots_.release(s, mu_);
  free_capacity_locked();
  if (cfg_.observer) { // told unlocked (it may call stats()), holding the core
    ++holds_;
    lk.unlock();
    notify(sh, [&](observer& o) { o.on_closed(id, why); });
    lk.lock();
    --holds_;
    notify_if_drained_locked();
  }
  if (orphaned_ && open_ == 0 && holds_ == 0) {
    lk.unlock();
    delete this;
  }
}

template <class T> void core<T>::retire_all(const std::vector<slot<T>*>& owned, close_reason why) {
  if (owned.empty()) return;
  counter_shard& sh = *me().shard;
  for (slot<T>* s : owned)
    retire(*s, sh, why);
}

template <class T> void core<T>::close_conn(slot<T>& s, counter_shard& sh) noexcept {
  if (cfg_.close) try {
      cfg_.close(*s.conn);
    } catch (...) {
      bump(sh.close_errors);
    }
  s.conn.reset();
}

template <class T> void core<T>::shut_down(counter_shard& sh) {
  std::vector<slot<T>*> idle;
  {
    pool_lock lk(mu_);
    while (waiter<T>* w = waiters_.front(mu_)) {
      unlink_locked(*w);
      w->closed = true;
      w->cv.notify_one();
    }
    slots_.raise_flag(closed_flag, &idle, mu_); // from now on every put settles under the lock
    // Published after the flags: a thread that sees closed() (unlocked,
    // acquire) and then puts finds its slot flagged, so its put reports
    // pool_closed, as closed() promised.
    closed_.store(true, std::memory_order_release);
    dialer_.wake_all();
  }
  for (slot<T>* s : idle)
    retire(*s, sh, close_reason::pool_closed);
  pool_lock lk(mu_);
  if (open_ == 0) drained_cv_.notify_all();
}
} // namespace connpool::detail
