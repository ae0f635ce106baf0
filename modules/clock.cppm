// SPDX-License-Identifier: MIT
// connpool:clock — the pool's notion of "now" for idle time, age and
// health-check scheduling. Injectable so tests (and simulations) advance time
// by hand instead of sleeping. Context deadlines do not use it (see context).
module;
#include <atomic>
#include <chrono>
#include <functional>
export module connpool:clock;

export namespace connpool {

using time_point = std::chrono::steady_clock::time_point;
using duration = std::chrono::steady_clock::duration;

/// A source of time points; empty means std::chrono::steady_clock::now.
using clock_function = std::function<time_point()>;

/// A clock that only moves when told to. Thread-safe. Keep it alive for as
/// long as any pool that uses function() is alive.
class manual_clock {
public:
  explicit manual_clock(time_point start = time_point{} + std::chrono::hours(1)) noexcept : now_(start) {}
  manual_clock(const manual_clock&) = delete;
  manual_clock& operator=(const manual_clock&) = delete;

  [[nodiscard]] time_point now() const noexcept { return now_.load(std::memory_order_acquire); }
  void advance(duration d) noexcept {
    time_point cur = now_.load(std::memory_order_relaxed);
    while (!now_.compare_exchange_weak(cur, cur + d, std::memory_order_acq_rel)) {
    }
  }
  /// A clock_function reading this clock (for config<T>::clock).
  [[nodiscard]] clock_function function() const {
    return [this] { return now(); };
  }

private:
  std::atomic<time_point> now_;
};

} // namespace connpool
