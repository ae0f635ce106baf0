// SPDX-License-Identifier: MIT
// connpool:waiter_queue — the gets waiting at max_size, first in, first out.
//
//   waiter<T>       one waiting get: a stack node with its own condition
//                   variable and what it was woken with
//   waiter_queue<T> the intrusive FIFO list of them
//   stop_waiter<T>  the stop callback that wakes one when its token fires
//
// Each waiter sleeps on its own condition variable, so a put wakes exactly
// one thread (with fairness_mode::bounded, a put may only nudge the first
// waiter to look for an idle connection, competing with running callers), and deadlines and stop requests wake it
// directly (no polling). Whoever wakes a waiter first unlinks it and sets what it gets: a connection handed over,
// capacity granted to dial with, an error, or "closed".
//
// Guards: the list and every field of a waiter except its condition
// variable are the core's lock (the queue's functions take it as `held`).
// size() is an atomic the lock-free paths read (relaxed: a stale size only
// sends a get to the lock, which reads it again).
module;
#include "thread_safety.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
export module connpool:waiter_queue;
import :clock;
import :errors;
import :mutex;
import :slot_table;

namespace connpool::detail {

template <class T> struct waiter {
  std::condition_variable cv;
  slot<T>* handed = nullptr;  // a connection handed over (already leased out)
  bool granted = false;       // capacity (and a dial) to create a connection with
  bool closed = false;        // the pool closed
  bool cancelled = false;     // its stop token fired (set by the stop callback)
  bool nudged = false;        // fairness_mode::bounded, first in line: a connection was returned, go and look
  time_point since{};         // fairness_mode::bounded: when it started waiting (pool clock)
  errc error{};               // a background dial failed, or the breaker rejected it
  std::exception_ptr failure; // with error: the factory's exception
  waiter* prev = nullptr;     // the FIFO list
  waiter* next = nullptr;
  bool ready() const noexcept { return handed || granted || closed || cancelled || error != errc{}; }
};

template <class T> class waiter_queue {
public:
  /// How many wait (read anywhere; written under the lock).
  std::size_t size() const noexcept { return waiting_.load(std::memory_order_relaxed); }
  waiter<T>* front(pool_mutex& held) const noexcept CONNPOOL_REQUIRES(held) { return head_; }

  /// Appends `w`; true when it is the first (a wait episode starts).
  bool push(waiter<T>& w, pool_mutex& held) noexcept CONNPOOL_REQUIRES(held) {
    w.prev = tail_;
    w.next = nullptr;
    (tail_ ? tail_->next : head_) = &w;
    tail_ = &w;
    return waiting_.fetch_add(1, std::memory_order_relaxed) == 0;
  }
  /// Removes `w`; true when it was the last (the episode ends).
  bool unlink(waiter<T>& w, pool_mutex& held) noexcept CONNPOOL_REQUIRES(held) {
    (w.prev ? w.prev->next : head_) = w.next;
    (w.next ? w.next->prev : tail_) = w.prev;
    w.prev = w.next = nullptr;
    return waiting_.fetch_sub(1, std::memory_order_relaxed) == 1;
  }

private:
  waiter<T>* head_ = nullptr; // the core's lock; served first
  waiter<T>* tail_ = nullptr; // the core's lock
  std::atomic<std::size_t> waiting_{0};
};

/// Wakes a waiter whose stop token fired (runs in the requesting thread).
template <class T> struct stop_waiter {
  pool_mutex* mu;
  waiter<T>* w;
  void operator()() const noexcept {
    pool_lock g(*mu);
    w->cancelled = true;
    w->cv.notify_one();
  }
};

} // namespace connpool::detail
