// connpool:policy — the pool's decisions that need no state of their own, as
// pure, I/O-free functions: is a connection expired, who gets a freed slot,
// how often maintenance runs. Tests drive them directly, with no threads,
// sockets or clocks (tests/tst_policy.cpp). (Which idle connection a get
// takes and where a returned one goes are decided by the slot state machine
// in core.cppm: they are tested through the pool, tests/tst_pool.cpp and the
// model test.)
module;
#include <algorithm>
#include <chrono>
#include <cstddef>
export module connpool:policy;
import :clock;

export namespace connpool::detail {

/// What the pool looks like to a decision (read under the core's lock).
struct pool_view {
  bool closed = false;
  std::size_t waiting = 0;
};

/// Is a connection still usable, and if not, which limit did it pass?
enum class expiry { fresh, idle_time, max_age };

inline expiry check_expiry(time_point created, time_point last_returned, time_point now, duration max_idle_time,
                           duration max_age) noexcept {
  if (max_age > duration::zero() && now - created >= max_age) return expiry::max_age;
  if (max_idle_time > duration::zero() && now - last_returned >= max_idle_time) return expiry::idle_time;
  return expiry::fresh;
}

/// A slot is freed (a connection closed, a factory failed): the first waiter
/// inherits it and creates a connection itself, or the slot is released.
enum class slot_action { grant_to_waiter, release };

inline slot_action decide_freed_slot(const pool_view& p) noexcept {
  return (!p.closed && p.waiting > 0) ? slot_action::grant_to_waiter : slot_action::release;
}

/// The period of the maintenance pass: config.cleanup_interval when set,
/// else the shortest of max_idle_time/2, max_age/2 and health_check_interval
/// (so an idle connection outlives its limit by at most half of it), floored
/// at 1 ms; zero (no maintenance) when nothing needs it.
inline duration maintenance_interval(duration cleanup_interval, duration max_idle_time, duration max_age,
                                     duration health_check_interval) noexcept {
  if (cleanup_interval > duration::zero()) return cleanup_interval;
  duration best = duration::zero();
  auto consider = [&best](duration d) {
    if (d > duration::zero() && (best == duration::zero() || d < best)) best = d;
  };
  consider(max_idle_time / 2);
  consider(max_age / 2);
  consider(health_check_interval);
  if (best == duration::zero()) return best;
  return std::max<duration>(best, std::chrono::milliseconds(1));
}

} // namespace connpool::detail
