// SPDX-License-Identifier: MIT
// connpool:shards — the per-thread counter shards of one pool.
//
//   shard_list   every counter_shard of a pool: one per thread that used it
//                (found again by thread id), plus a spare list lent to
//                short-lived background dial threads
//   tell()       calls the observer, counting a callback that throws
//
// A thread finds its own shard without the lock, through thread_cache
// (counters.cppm); only creating, lending and summing shards take the
// core's lock (the functions take it as `held`). Shards live as long as the
// core, so a cached pointer stays valid.
//
// Memory ordering: a shard's counters have one writer and are read relaxed
// by stats() (a snapshot of a moving pool); the list is written under the
// lock and read under it.
module;
#include "thread_safety.h"

#include <cstdint>
#include <thread>
#include <utility>
#include <vector>
export module connpool:shards;
import :counters;
import :events;
import :metrics;
import :mutex;

namespace connpool::detail {

class shard_list {
public:
  shard_list() = default;
  shard_list(const shard_list&) = delete;
  shard_list& operator=(const shard_list&) = delete;
  ~shard_list() {
    for (counter_shard* s = head_; s;)
      delete std::exchange(s, s->next);
  }

  /// This thread's shard: a dead thread's with the same id, ours evicted
  /// from the thread cache, or a new one.
  counter_shard* of_this_thread(pool_mutex& mu) CONNPOOL_EXCLUDES(mu) {
    pool_lock lk(mu);
    const auto tid = std::this_thread::get_id();
    for (counter_shard* s = head_; s; s = s->next)
      if (s->owner == tid) return s;
    auto* s = new counter_shard;
    s->owner = tid;
    s->next = head_;
    head_ = s;
    return s;
  }
  /// Background dial threads are short-lived: each borrows a shard for its
  /// lifetime (one writer at a time; handed over under the lock) instead of
  /// leaving one per thread id behind. Lent shards are on the list too
  /// (owner: no thread), so stats() counts them.
  counter_shard* borrow(pool_mutex& held) CONNPOOL_REQUIRES(held) {
    if (!spare_.empty()) {
      counter_shard* s = spare_.back();
      spare_.pop_back();
      return s;
    }
    spare_.reserve(++lent_); // so giving one back never allocates
    auto* s = new counter_shard;
    s->next = head_;
    head_ = s;
    return s;
  }
  void give_back(counter_shard* s, pool_mutex& held) noexcept CONNPOOL_REQUIRES(held) { spare_.push_back(s); }

  /// Adds every shard's counters to `m`; returns the gets that left the
  /// lock-free fast path.
  std::uint64_t add_to(metrics& m, pool_mutex& held) const noexcept CONNPOOL_REQUIRES(held) {
    std::uint64_t slow = 0;
    for (const counter_shard* s = head_; s; s = s->next) {
      s->add_to(m);
      slow += s->slow_gets.load(std::memory_order_relaxed);
    }
    return slow;
  }

private:
  counter_shard* head_ = nullptr;     // the core's lock; one per thread that used the pool
  std::vector<counter_shard*> spare_; // the core's lock; shards of background dials, free to lend
  std::size_t lent_ = 0;              // the core's lock; how many such shards exist
};

/// Calls the observer, if any; a throwing callback is counted.
template <class F> void tell(observer* o, counter_shard& sh, F&& f) noexcept {
  if (!o) return;
  try {
    f(*o);
  } catch (...) {
    bump(sh.observer_errors);
  }
}

} // namespace connpool::detail
