// SPDX-License-Identifier: MIT
// connpool:policy — the pool's decisions that need no state of their own, as
// pure, I/O-free code: is a connection expired, may a waiter get a new
// connection, how often maintenance runs, the circuit breaker, the
// retirement budget, the max_age jitter. Tests drive them directly, with no threads,
// sockets or clocks (tests/tst_policy.cpp). (Which idle connection a get
// takes and where a returned one goes are decided by the slot state machine
// in core.cppm: they are tested through the pool, tests/tst_pool.cpp and the
// model test.)
module;
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <utility>
export module connpool:policy;
import :clock;

namespace connpool::detail {

/// What the pool looks like to a waiter decision (read under the core's lock).
struct pool_view {
  bool closed = false;
  std::size_t waiting = 0; ///< queued gets
  std::size_t covered = 0; ///< of which background dials already in flight will serve
  std::size_t open = 0;    ///< connections plus capacity granted
  std::size_t max_size = 0;
  std::size_t dialing = 0;        ///< factory calls running or granted
  std::size_t max_connecting = 0; ///< 0 = no cap
};

/// Is a connection still usable, and if not, which limit did it pass?
enum class expiry { fresh, idle_time, max_age };

inline expiry check_expiry(time_point created, time_point last_returned, time_point now, duration max_idle_time,
                           duration max_age) noexcept {
  if (max_age > duration::zero() && now - created >= max_age) return expiry::max_age;
  if (max_idle_time > duration::zero() && now - last_returned >= max_idle_time) return expiry::idle_time;
  return expiry::fresh;
}

/// Capacity freed, a dial ended or the pool grew: may the first waiter not
/// yet covered by a dial in flight get a new connection (capacity to dial,
/// or a background dial)? The breaker has the last word (see breaker).
inline bool room_for_waiter(const pool_view& p) noexcept {
  return !p.closed && p.waiting > p.covered && p.open < p.max_size &&
         (p.max_connecting == 0 || p.dialing < p.max_connecting);
}

/// What the slots signal to the lock-free put while gets wait (the flag a
/// put's CAS trips on, so it takes the lock):
///  - hand_over: every put hands its connection to the first waiter
///    (fairness_mode::strict, or bounded once the first has waited the bound);
///  - nudge: a put makes its connection idle for anyone and wakes the first
///    waiter to compete for it (bounded, the first waiter asleep);
///  - none: nobody waits, or the first waiter is awake and looking (bounded):
///    puts stay lock-free.
enum class wait_signal { none, hand_over, nudge };

inline wait_signal wait_signal_for(bool waiting, bool in_order, bool first_awake) noexcept {
  if (!waiting) return wait_signal::none;
  if (in_order) return wait_signal::hand_over;
  return first_awake ? wait_signal::none : wait_signal::nudge;
}

/// fairness_mode::bounded: the first waiter has waited `waited`; must
/// connections now go to the waiters in order?
inline bool must_serve_in_order(duration waited, duration bound) noexcept { return waited >= bound; }

/// Serving in order, a waiter that waited `waited` was just served and
/// `left` still wait: may running callers take connections again? (Once
/// the queue is short enough that its new first has waited less than the
/// bound, or empty.)
inline bool may_overtake_again(duration waited, duration bound, std::size_t left) noexcept {
  return left == 0 || waited < bound;
}

/// The period of the maintenance pass: config.cleanup_interval when set,
/// else the shortest of max_idle_time/2, max_age/2 and health_check_interval
/// (so an idle connection outlives its limit by at most half of it), floored
/// at 1 ms; zero (no maintenance) when nothing needs it.
/// `leak_threshold` (when set) adds leak_threshold/2; `keep_filled` (min_idle
/// or a circuit breaker: something to create or retry in the background)
/// adds a 250 ms floor on the period.
inline duration maintenance_interval(duration cleanup_interval, duration max_idle_time, duration max_age,
                                     duration health_check_interval, duration leak_threshold = {},
                                     bool keep_filled = false) noexcept {
  if (cleanup_interval > duration::zero()) return cleanup_interval;
  duration best = duration::zero();
  auto consider = [&best](duration d) {
    if (d > duration::zero() && (best == duration::zero() || d < best)) best = d;
  };
  consider(max_idle_time / 2);
  consider(max_age / 2);
  consider(health_check_interval);
  consider(leak_threshold / 2);
  if (keep_filled) consider(std::chrono::milliseconds(250));
  if (best == duration::zero()) return best;
  return std::max<duration>(best, std::chrono::milliseconds(1));
}

/// The circuit breaker's state machine (caller holds the pool's lock). Closed:
/// every dial goes. After a failure it opens for `delay` (jittered to
/// [delay/2, delay]); a dial asked for meanwhile is rejected. Once the delay
/// has passed one dial goes through as the probe: success closes the breaker
/// and resets the delay, failure reopens it with the delay doubled (up to
/// `max_delay`).
struct breaker {
  duration initial{};   ///< first delay; zero = the breaker is off
  duration max_delay{}; ///< cap on the delay
  bool open = false;
  bool probing = false;  ///< the probe dial is in flight
  duration delay{};      ///< the delay used when it last opened
  time_point retry_at{}; ///< while open: when the probe may go

  enum class verdict { dial, probe, reject };
  [[nodiscard]] bool enabled() const noexcept { return initial > duration::zero(); }
  verdict may_dial(time_point now) noexcept {
    if (!open) return verdict::dial;
    if (probing || now < retry_at) return verdict::reject;
    probing = true;
    return verdict::probe;
  }
  /// A dial failed; `u01` is uniform in [0, 1). True when it just opened.
  bool on_failure(time_point now, double u01) noexcept {
    if (!enabled()) return false;
    const bool was_open = open;
    delay = was_open ? std::min<duration>(delay * 2, max_delay) : initial;
    const auto span = std::chrono::duration<double, duration::period>(delay) * (0.5 + 0.5 * u01);
    retry_at = now + std::chrono::duration_cast<duration>(span);
    open = true;
    probing = false;
    return !was_open;
  }
  /// A dial succeeded. True when that closed it.
  bool on_success() noexcept {
    probing = false;
    return std::exchange(open, false);
  }
  /// A dial that was let through did not happen after all.
  void on_abandoned() noexcept { probing = false; }
};

/// A token bucket on the pool clock: at most `rate` takes per second, with a
/// burst of one second's worth. rate 0 = unlimited. Caller holds the lock.
struct retirement_budget {
  double rate = 0;
  double tokens = 0;
  time_point last{};
  bool started = false;

  bool take(time_point now) noexcept {
    if (rate <= 0) return true;
    if (!started) {
      started = true;
      tokens = rate;
    } else if (now > last) {
      tokens = std::min(rate, tokens + rate * std::chrono::duration<double>(now - last).count());
    }
    last = std::max(last, now);
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }
};

/// How much a connection's max_age is shortened: `u01` (uniform in [0, 1))
/// of `jitter`.
inline duration age_cut(duration jitter, double u01) noexcept {
  if (jitter <= duration::zero()) return duration::zero();
  return std::chrono::duration_cast<duration>(std::chrono::duration<double, duration::period>(jitter) * u01);
}

} // namespace connpool::detail
