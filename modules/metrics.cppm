// SPDX-License-Identifier: MIT
// connpool:metrics — the public snapshot types, together: metrics (Go
// connpool's Metrics in snake_case plus the live gauges, pool::stats()),
// connection_info (pool::connections()) and maintenance_report
// (pool::maintain()).
module;
#include <array>
#include <cstddef>
#include <cstdint>
export module connpool:metrics;
import :clock;
import :events;
import :histogram;

export namespace connpool {

/// A consistent snapshot: every field was read at one instant.
struct metrics {
  // Go connpool's counters.
  std::uint64_t gets = 0;             ///< get() calls
  std::uint64_t puts = 0;             ///< put() calls and leases returned by their destructor
  std::uint64_t discards = 0;         ///< discard() calls
  std::uint64_t hits = 0;             ///< get() served a pooled connection (idle, or handed over while waiting)
  std::uint64_t misses = 0;           ///< get() created a new connection
  std::uint64_t waits = 0;            ///< get() had to wait (pool at max_size)
  std::uint64_t timeouts = 0;         ///< get() ended by its deadline
  std::uint64_t ping_failures = 0;    ///< connections closed because ping failed, threw or ran late
  std::uint64_t idle_closed = 0;      ///< idle connections closed past max_idle_time
  std::uint64_t age_closed = 0;       ///< connections closed past max_age
  std::uint64_t factory_failures = 0; ///< factory calls that threw
  std::uint64_t close_timeouts = 0;   ///< close() calls that ended before every lease came back
  std::uint64_t max_active = 0;       ///< most leases out at once
  // C++ additions.
  std::uint64_t cancellations = 0; ///< get() ended by a stop request
  std::uint64_t close_errors = 0;  ///< close callbacks that threw (the connection still counts as closed)
  std::uint64_t created = 0;       ///< connections the factory made
  std::uint64_t closed = 0;        ///< connections closed (created - closed == open - creating)
  /// closed, by reason (index: close_reason); sums to `closed`.
  std::array<std::uint64_t, close_reason_count> closed_by{};
  std::uint64_t leaks_suspected = 0; ///< leases reported past config.leak_threshold
  std::uint64_t circuit_opens = 0;   ///< times the breaker opened
  std::uint64_t circuit_rejects = 0; ///< gets failed fast while the breaker was open
  std::uint64_t observer_errors = 0; ///< observer callbacks that threw
  /// fairness_mode::bounded: times the first waiter, woken because a
  /// connection came back, found that a running caller had taken it first.
  std::uint64_t overtaken = 0;
  // Latency histograms. `wait`: how long each get took to obtain its
  // connection (gets served on the lock-free fast path are counted in the
  // zero bucket); `hold`: lease held (only with config.track_hold_time);
  // `create`: factory calls, failed ones included; `ping`: every ping.
  histogram_snapshot wait, hold, create, ping;
  // Live gauges.
  std::size_t open = 0;      ///< idle + active + being created or health-checked (Go: Len)
  std::size_t idle = 0;      ///< ready in the pool (Go: IdleLen)
  std::size_t active = 0;    ///< leased out
  std::size_t waiting = 0;   ///< get() calls blocked right now
  std::size_t creating = 0;  ///< factory calls running (or queued background dials)
  std::size_t max_size = 0;  ///< the limit now (set_max_size may change it)
  std::size_t max_idle = 0;  ///< the idle limit now
  std::size_t min_idle = 0;  ///< idle connections kept ready now (config.min_idle, set_min_idle)
  bool circuit_open = false; ///< gets that need a new connection fail fast

  [[nodiscard]] std::uint64_t closed_for(close_reason r) const noexcept {
    return closed_by[static_cast<std::size_t>(r)];
  }
};

/// One connection, as pool::connections() sees it.
struct connection_info {
  enum class state : std::uint8_t { idle, active, checking, creating };
  std::uint64_t id = 0; ///< unique in its pool, in creation order (from 1)
  state where = state::idle;
  time_point created_at{}; ///< pool clock
  time_point idle_since{}; ///< last return (meaningful when idle)
  std::uint64_t uses = 0;  ///< leases so far
};

inline constexpr const char* to_string(connection_info::state s) noexcept {
  switch (s) {
  case connection_info::state::idle: return "idle";
  case connection_info::state::active: return "active";
  case connection_info::state::checking: return "checking";
  case connection_info::state::creating: return "creating";
  }
  return "unknown";
}

/// What one maintenance pass did (pool::maintain()).
struct maintenance_report {
  std::size_t idle_closed = 0;   ///< closed past max_idle_time
  std::size_t age_closed = 0;    ///< closed past max_age
  std::size_t pinged = 0;        ///< health-checked
  std::size_t ping_failures = 0; ///< closed because the health check failed
  std::size_t created = 0;       ///< created to keep min_idle (or to replace an expired one)
  std::size_t leaks = 0;         ///< leases newly reported past leak_threshold
};

} // namespace connpool
