// SPDX-License-Identifier: MIT
// connpool:stats — the core's snapshots (core<T>'s member functions,
// declared in core.cppm): the metrics summed over the shards, and the list
// of connections read slot by slot.
//
// stats() takes the lock so the books balance (created - closed == open -
// creating: a dial and a close are booked under it); connections() takes
// none, so each entry is consistent on its own but the list is a moving
// picture.
module;
#include "thread_safety.h"

#include <atomic>
#include <cstdint>
#include <vector>
export module connpool:stats;
import :events;
import :metrics;
import :mutex;
import :slot_table;
import :dialer;
import :core;

namespace connpool::detail {

template <class T> metrics core<T>::stats() const {
  pool_lock lk(mu_);
  metrics m;
  const std::uint64_t slow = shards_.add_to(m, mu_);
  // Gets served by the lock-free fast path waited no time at all.
  const std::uint64_t fast = m.gets > slow ? m.gets - slow : 0;
  m.wait.buckets[0] += fast;
  m.wait.count += fast;
  m.max_active = max_active_.load(std::memory_order_relaxed);
  m.open = open_;
  m.idle = slots_.count_idle();
  m.active = active_.load(std::memory_order_relaxed);
  m.waiting = waiters_.size();
  m.creating = dialer_.running(mu_);
  m.max_size = max_size_.load(std::memory_order_relaxed);
  m.max_idle = max_idle_.load(std::memory_order_relaxed);
  m.min_idle = min_idle_.load(std::memory_order_relaxed);
  m.circuit_open = dialer_.circuit_open(mu_);
  m.circuit_opens = dialer_.circuit_opens(mu_);
  return m;
}

template <class T> std::vector<connection_info> core<T>::connections() const {
  std::vector<connection_info> out;
  const std::uint32_t n = slots_.high_water();
  for (std::uint32_t i = 0; i < n; ++i) {
    const slot<T>& s = slots_[i];
    const std::uint32_t kind = s.state.load(std::memory_order_acquire) & kind_mask;
    if (kind == empty_slot) continue;
    connection_info c;
    c.where = kind == idle_slot     ? connection_info::state::idle
              : kind == leased_slot ? connection_info::state::active
              : kind == busy_slot   ? connection_info::state::checking
                                    : connection_info::state::creating;
    c.id = kind == reserved_slot ? 0 : s.id.load(std::memory_order_relaxed);
    c.created_at = s.created_at();
    c.idle_since = s.returned_at();
    c.uses = s.uses.load(std::memory_order_relaxed);
    out.push_back(c);
  }
  return out;
}
} // namespace connpool::detail
