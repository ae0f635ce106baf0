// SPDX-License-Identifier: MIT
// connpool:events — what the pool tells an observer, and why it closed a
// connection.
//
// The observer is optional. When config.observer is empty the pool never
// reads a clock or takes a branch for it on the lock-free fast path (that
// path only runs when no per-lease bookkeeping is wanted). When set, every
// callback runs in the thread that caused the event, outside any pool lock;
// a callback that throws is counted (metrics::observer_errors) and ignored.
// A callback that blocks blocks that thread only. A callback may read
// stats() but must not call close(): close() waits for callbacks in flight.
module;
#include <cstddef>
#include <cstdint>
#include <exception>
#include <source_location>
#include <string_view>
export module connpool:events;
import :clock;

export namespace connpool {

/// Why the pool closed a connection. metrics::closed_by[r] counts each;
/// they sum to metrics::closed.
enum class close_reason : std::uint8_t {
  idle_time,     ///< idle longer than max_idle_time
  max_age,       ///< lived longer than max_age (minus its jitter)
  ping_failed,   ///< ping returned false, threw or answered late
  discarded,     ///< the user called discard()
  idle_overflow, ///< returned while max_idle connections were already idle
  pool_closed,   ///< the pool was closed (or destroyed)
  drained,       ///< retired by drain()
  resized,       ///< closed to shrink the pool (set_max_size / set_max_idle)
};
inline constexpr std::size_t close_reason_count = 8;

inline constexpr const char* to_string(close_reason r) noexcept {
  switch (r) {
  case close_reason::idle_time: return "idle_time";
  case close_reason::max_age: return "max_age";
  case close_reason::ping_failed: return "ping_failed";
  case close_reason::discarded: return "discarded";
  case close_reason::idle_overflow: return "idle_overflow";
  case close_reason::pool_closed: return "pool_closed";
  case close_reason::drained: return "drained";
  case close_reason::resized: return "resized";
  }
  return "unknown";
}

// Kept by hand (an enumerator past the last one would widen the public
// enum). A reason added without a name makes -Wswitch warn above; one added
// with a name but without raising the count fails here.
static_assert(
    [] {
      for (std::size_t i = 0; i < close_reason_count; ++i)
        if (std::string_view(to_string(static_cast<close_reason>(i))) == "unknown") return false;
      return std::string_view(to_string(static_cast<close_reason>(close_reason_count))) == "unknown";
    }(),
    "close_reason_count must be the number of close_reason enumerators");

/// A lease held longer than config.leak_threshold.
struct leak_report {
  std::uint64_t connection = 0; ///< connection_info::id
  std::source_location where;   ///< the get() that took it
  duration held{};              ///< how long it had been held when reported
  bool returned = false;        ///< false: suspected; true: it came back after all
};

/// Receives the pool's events. Override what you need; every default does
/// nothing. Called in the thread that caused the event, outside any lock.
class observer {
public:
  virtual ~observer() = default;
  /// The factory made connection `id` in `took`.
  virtual void on_created(std::uint64_t id, duration took) { (void)id, (void)took; }
  /// The factory threw (or failed) after `took`.
  // NOLINTNEXTLINE(performance-unnecessary-value-param): public virtual signature, overridden by users
  virtual void on_create_failed(std::exception_ptr error, duration took) { (void)error, (void)took; }
  /// get() leased connection `id` after waiting `waited`.
  virtual void on_acquired(std::uint64_t id, duration waited) { (void)id, (void)waited; }
  /// Connection `id` came back after being held `held`.
  virtual void on_returned(std::uint64_t id, duration held) { (void)id, (void)held; }
  /// Connection `id` was closed.
  virtual void on_closed(std::uint64_t id, close_reason why) { (void)id, (void)why; }
  /// A get() ended by its deadline or a stop request after waiting `waited`.
  virtual void on_wait_timeout(duration waited) { (void)waited; }
  /// A lease passed config.leak_threshold (returned = false), or came back
  /// after being reported (returned = true).
  virtual void on_leak(const leak_report& r) { (void)r; }
  /// The circuit breaker opened (`last_error`: the factory failure that
  /// opened it; gets that need a new connection fail fast) or closed again.
  // NOLINTNEXTLINE(performance-unnecessary-value-param): public virtual signature, overridden by users
  virtual void on_circuit_open(std::exception_ptr last_error, duration retry_in) { (void)last_error, (void)retry_in; }
  virtual void on_circuit_closed() {}
};

} // namespace connpool
