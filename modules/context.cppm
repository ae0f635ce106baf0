// SPDX-License-Identifier: MIT
// connpool:context — what context.Context is to Go's connpool: an optional
// deadline on the steady clock and a std::stop_token. Passed to get(),
// close(), the factory and ping. A context is a small value; copy it freely.
//
// Deadlines are real (std::chrono::steady_clock) time, never the pool's
// injectable clock: they bound how long a caller blocks, and a blocked caller
// is woken by the deadline or by request_stop() directly (no polling).
module;
#include <chrono>
#include <optional>
#include <stop_token>
#include <system_error>
export module connpool:context;
import :errors;

export namespace connpool {

class context {
public:
  using clock = std::chrono::steady_clock;

  /// No deadline, no stop token: waits as long as it takes.
  static inline context background() noexcept { return {}; }
  /// Ends `d` from now.
  static context with_timeout(clock::duration d) noexcept { return with_deadline(clock::now() + d); }
  /// Ends at `t`.
  static context with_deadline(clock::time_point t) noexcept {
    context c;
    c.deadline_ = t;
    return c;
  }
  /// This context, also ended when `token` is stopped.
  [[nodiscard]] context with_stop_token(std::stop_token token) const noexcept {
    context c = *this;
    c.stop_ = std::move(token);
    return c;
  }

  [[nodiscard]] inline const std::optional<clock::time_point>& deadline() const noexcept { return deadline_; }
  [[nodiscard]] inline const std::stop_token& stop_token() const noexcept { return stop_; }

  /// Why the context has ended: `cancelled` (stop requested, checked first),
  /// `get_timeout` (deadline passed), or an empty code while it still runs.
  [[nodiscard]] std::error_code err() const noexcept {
    const errc e = ended();
    return e == errc{} ? std::error_code() : make_error_code(e);
  }
  [[nodiscard]] inline bool done() const noexcept { return ended() != errc{}; }
  /// err() as the bare enum; errc{} (zero) while the context runs.
  [[nodiscard]] inline errc ended() const noexcept {
    if (stop_.stop_requested()) return errc::cancelled;
    if (deadline_ && clock::now() >= *deadline_) return errc::get_timeout;
    return errc{};
  }

private:
  std::optional<clock::time_point> deadline_;
  std::stop_token stop_;
};

} // namespace connpool
