// SPDX-License-Identifier: MIT
// Test support, pool model: the figures summed across runs (operations,
// results, closes per reason, faults injected, which legal choices the pool
// took), so the model test can show that every path was exercised.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pool_model {

struct totals {
  std::uint64_t runs = 0, steps = 0, pools = 0;
  std::uint64_t gets = 0, hits = 0, misses = 0, waits = 0, timeouts = 0, cancellations = 0;
  std::uint64_t puts = 0, discards = 0, invalid_returns = 0, close_timeouts = 0;
  std::uint64_t idle_closed = 0, age_closed = 0, ping_failures = 0, factory_failures = 0, close_errors = 0;
  std::uint64_t created = 0, closed = 0;
  std::uint64_t closed_by[connpool::close_reason_count] = {};
  std::uint64_t circuit_opens = 0, circuit_rejects = 0;
  std::uint64_t faults_injected = 0;    // factory throws, pings false/throwing/slow, closes throwing
  std::uint64_t hint_firsts = 0;        // gets bound to claim the calling thread's hint slot first
  std::uint64_t free_choices = 0;       // gets where the pool chose among usable idle connections
  std::uint64_t hints_forgotten = 0;    // ... and skipped a hint made non-binding by a call into another pool
  std::uint64_t late_healthy_pings = 0; // healthy health-check pings preempted past health_check_timeout
  std::uint64_t resizes = 0, resize_flags = 0, drains = 0, invalid_sets = 0, warm_ups = 0;
  std::uint64_t min_idle_created = 0;     // created by maintain() for min_idle (replacements and top-ups)
  std::uint64_t retirements_deferred = 0; // max_age retirements the rate cap put off
  std::uint64_t breaker_skips = 0;        // clock advances past the breaker's jitter window
  std::uint64_t grows_serving_waiter = 0;

  totals& operator+=(const totals& o) {
    std::uint64_t* a = &runs;
    const std::uint64_t* b = &o.runs;
    for (std::size_t i = 0; i < sizeof(totals) / sizeof(std::uint64_t); ++i)
      a[i] += b[i];
    return *this;
  }
};

} // namespace pool_model
