// connpool:policy — the pool's decisions as pure, I/O-free functions.
//
// The core asks these questions under its lock and then acts (calling user
// callbacks only after unlocking). Tests drive them directly, with no
// threads, sockets or clocks (tests/tst_policy.cpp).
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
  std::size_t open = 0; ///< slots in use: idle + active + creating + checking
  std::size_t idle = 0;
  std::size_t waiting = 0;
  std::size_t max_size = 0;
  std::size_t max_idle = 0;
};

/// Is a connection still usable, and if not, which limit did it pass?
enum class expiry { fresh, idle_time, max_age };

inline expiry check_expiry(time_point created, time_point last_returned, time_point now, duration max_idle_time,
                           duration max_age) noexcept {
  if (max_age > duration::zero() && now - created >= max_age) return expiry::max_age;
  if (max_idle_time > duration::zero() && now - last_returned >= max_idle_time) return expiry::idle_time;
  return expiry::fresh;
}

/// get(): serve from idle, create in a free slot, or queue.
enum class get_action { fail_closed, take_idle, create, wait };

inline get_action decide_get(const pool_view& p) noexcept {
  if (p.closed) return get_action::fail_closed;
  // FIFO: while anyone queues, a newcomer queues behind them. (Idle is then
  // empty anyway: every returned connection goes to a waiter first.)
  if (p.waiting > 0) return get_action::wait;
  if (p.idle > 0) return get_action::take_idle;
  if (p.open < p.max_size) return get_action::create;
  return get_action::wait;
}

/// A connection comes back (put, or the end of its health check).
enum class return_action { close_pool_closed, close_max_age, hand_over, keep_idle, close_idle_full };

inline return_action decide_return(const pool_view& p, bool past_max_age) noexcept {
  if (p.closed) return return_action::close_pool_closed;
  if (past_max_age) return return_action::close_max_age;
  if (p.waiting > 0) return return_action::hand_over;
  if (p.idle < p.max_idle) return return_action::keep_idle;
  return return_action::close_idle_full;
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
