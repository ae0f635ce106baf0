// SPDX-License-Identifier: MIT
// connpool:resize — the settings a running pool may change (core<T>'s
// member functions, declared with their contracts in core.cppm): max_size,
// max_idle, min_idle, the time limits, and drain().
//
// A change is made under the lock, then whatever it makes surplus is closed
// outside it: idle connections at once (claimed BUSY first), leased ones
// flagged to retire when they come back (slot_table::mark_to_retire).
module;
#include "thread_safety.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>
export module connpool:resize;
import :errors;
import :clock;
import :config;
import :events;
import :mutex;
import :slot_table;
import :core;

namespace connpool::detail {

template <class T> errc core<T>::set_max_size(std::size_t n) {
  if (n == 0 || n > slots_.capacity()) return errc::invalid_config;
  std::vector<slot<T>*> excess;
  {
    pool_lock lk(mu_);
    if (n < min_idle_.load(std::memory_order_relaxed) || (slots_.tracks_idle() && n < max_idle_.load())) {
      return errc::invalid_config;
    }
    max_size_.store(n, std::memory_order_relaxed);
    if (!slots_.tracks_idle()) max_idle_.store(n, std::memory_order_relaxed);
    if (open_ > n) slots_.mark_to_retire(open_ - n, close_reason::resized, excess, mu_);
    serve_waiters_locked();
  }
  retire_all(excess, close_reason::resized);
  return errc{};
}

template <class T> errc core<T>::set_max_idle(std::size_t n) {
  if (!slots_.tracks_idle()) return errc::invalid_config;
  std::vector<slot<T>*> excess;
  {
    pool_lock lk(mu_);
    if (n > max_size_.load(std::memory_order_relaxed) || n < min_idle_.load(std::memory_order_relaxed))
      return errc::invalid_config;
    max_idle_.store(n, std::memory_order_relaxed);
    if (const std::size_t idle = slots_.idle_count(); idle > n)
      slots_.claim_idle_to_retire(idle - n, close_reason::resized, excess, mu_);
  }
  retire_all(excess, close_reason::resized);
  return errc{};
}

template <class T> errc core<T>::set_min_idle(std::size_t n) {
  pool_lock lk(mu_);
  if (n > max_size_.load(std::memory_order_relaxed) || (slots_.tracks_idle() && n > max_idle_.load()))
    return errc::invalid_config;
  min_idle_.store(n, std::memory_order_relaxed);
  kick_locked();
  return errc{};
}

template <class T> errc core<T>::set_duration(duration_field f, duration d) {
  if (d < duration::zero()) return errc::invalid_config;
  if (f == duration_field::health_check_interval && d > duration::zero() && !cfg_.ping) return errc::invalid_config;
  if (f == duration_field::max_age && d > duration::zero() && cfg_.max_age_jitter >= d) return errc::invalid_config;
  pool_lock lk(mu_);
  auto& target = f == duration_field::max_idle_time ? max_idle_time_
                 : f == duration_field::max_age     ? max_age_
                                                    : health_check_interval_;
  // Idle time counts from now for connections returned before the change
  // (their return was not stamped while no limit was set).
  if (f == duration_field::max_idle_time && target.load() == 0) limits_since_ = now().time_since_epoch().count();
  target.store(d.count(), std::memory_order_relaxed);
  if (f == duration_field::health_check_interval) next_health_check_ = now() + d;
  update_paths_locked();
  kick_locked();
  return errc{};
}

template <class T> std::size_t core<T>::drain() {
  std::vector<slot<T>*> idle;
  std::size_t marked = 0;
  {
    pool_lock lk(mu_);
    marked = slots_.mark_to_retire(SIZE_MAX, close_reason::drained, idle, mu_);
  }
  retire_all(idle, close_reason::drained);
  return marked;
}

} // namespace connpool::detail
