// SPDX-License-Identifier: MIT
// connpool:config — config<T> (Go connpool's Config) and its validation.
//
// Zero durations mean "off". An invalid config is refused at construction:
// validate() names the field, the pool throws std::system_error with that
// message (or make_pool() reports it through std::error_code).
module;
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
export module connpool:config;
import :errors;
import :context;
import :clock;
import :events;

export namespace connpool {

/// Which idle connection a get takes.
enum class idle_order : std::uint8_t {
  /// The calling thread's most recently returned connection, else any idle
  /// one (lowest slot first): hot connections stay hot. Lock-free.
  lifo,
  /// The connection idle the longest: spreads use over every connection
  /// (load balancers see them all). Scans the idle slots: O(max_size) per get.
  fifo,
};

/// How a returned connection is shared between callers that are running
/// and callers that wait (more callers than connections).
enum class fairness_mode : std::uint8_t {
  /// A running caller may take a returned connection ahead of the waiters
  /// while none of them has waited config.fairness_bound; the waiters hear
  /// of every return and compete for it. Once the longest waiter has waited
  /// that long, returned connections go to the waiters in FIFO order, until
  /// one is served that waited less than the bound (or none is left). No
  /// waiter waits more than the bound longer than it would under strict.
  bounded,
  /// Every returned connection goes to the longest waiter (FIFO hand-over):
  /// the shortest tail, but each hand-over waits for a sleeping thread to
  /// wake, so with short holds it costs a thread wake-up per get.
  strict,
};

template <class T> struct config {
  /// Creates a connection (Go: Factory, required). Called outside any
  /// pool lock with the caller's context; signals failure by throwing.
  std::function<T(const context&)> factory;
  /// Closes a connection (Go: Close). Optional: when empty, destroying
  /// the T is its close (RAII). Called exactly once per connection the
  /// factory made, outside any pool lock. May throw: counted in close_errors.
  std::function<void(T&)> close;
  /// Checks a connection (Go: Ping). Optional. Returns false (or throws)
  /// when the connection is broken. Called on get (ping-on-get) and by the
  /// health check, outside any pool lock. A ping that returns after its
  /// context ended counts as failed.
  std::function<bool(T&, const context&)> ping;

  std::size_t max_size = 0;            ///< active + idle limit (> 0)
  std::optional<std::size_t> max_idle; ///< idle limit; unset means max_size
  duration max_idle_time{};            ///< close idle connections older than this
  duration max_age{};                  ///< close connections that lived longer than this
  duration health_check_interval{};    ///< ping idle connections this often (needs ping)
  duration health_check_timeout{};     ///< deadline of one health-check ping; 0 = none
  duration cleanup_interval{};         ///< maintenance period; 0 = derived from the above

  /// C++ additions. The pool's clock (idle time, age, health schedule).
  clock_function clock;
  /// Run maintenance on the pool's own std::jthread. Set false when the owner
  /// drives pool::maintain() itself (the Qt layer does, on a QThread).
  bool background_maintenance = true;

  // ---- Resilience (all off unless set) ----------------------------------
  /// Keep at least this many connections idle: created in the background at
  /// start and topped up by maintenance, never beyond max_size (see also
  /// pool::warm_up). Expired ones are replaced before they are closed.
  std::size_t min_idle = 0;
  /// The largest max_size that pool::set_max_size may set later. Slots are
  /// allocated up front (128-192 bytes each) so the lock-free paths never see them
  /// move; 0 means max_size.
  std::size_t max_size_limit = 0;
  /// Dial on a pool thread: a get that needs a new connection queues while
  /// the dial runs; a dial outlives the get that asked for it (a timed-out
  /// or cancelled get does not waste it: it goes to the next waiter or idle).
  bool background_dials = false;
  /// Deadline of a background dial (the factory's context); 0 = none.
  duration dial_timeout{};
  /// Most factory calls running at once (0 = no cap); other gets queue.
  std::size_t max_connecting = 0;
  /// Circuit breaker: after a factory failure, gets that need a new
  /// connection fail fast (the throwing get rethrows the last factory error,
  /// the error_code form reports circuit_open) for this long, then one
  /// probe dial is let through; each further failure doubles the delay (up
  /// to backoff_max) with jitter. 0 = off.
  duration backoff_initial{};
  /// Longest breaker delay; 0 means 32 x backoff_initial.
  duration backoff_max{};
  /// Each connection's max_age is shortened by a random 0..max_age_jitter, so
  /// connections created together do not all expire together.
  duration max_age_jitter{};
  /// At most this many max_age retirements per second (0 = no cap); an
  /// expired connection over the budget stays in use until the next pass.
  double max_retirements_per_second = 0;
  /// A lease held longer than this is reported once (observer::on_leak with
  /// the get's std::source_location; metrics::leaks_suspected) and again
  /// when it comes back. 0 = off.
  duration leak_threshold{};
  /// Which idle connection a get takes.
  idle_order order = idle_order::lifo;
  /// Who gets a returned connection while gets wait (see fairness_mode).
  fairness_mode fairness = fairness_mode::bounded;
  /// fairness_mode::bounded: how long the longest waiter may be overtaken
  /// before connections go to the waiters in order (> 0). One millisecond
  /// is a few dozen thread wake-ups: long enough that running callers keep
  /// the connections busy, short next to the network round trips a
  /// connection's user waits for anyway.
  duration fairness_bound = std::chrono::milliseconds(1);

  // ---- Observability ----------------------------------------------------
  /// Receives events (connection created/acquired/returned/closed, timeouts,
  /// leaks, breaker). Empty = no cost.
  std::shared_ptr<connpool::observer> observer;
  /// Record the hold (use) time histogram: two clock reads per lease, so it
  /// takes the pool off its lock-free fast path. The wait, create and ping
  /// histograms are always on (they cost nothing on the fast path).
  bool track_hold_time = false;
};

/// Why `cfg` is invalid, naming the field; an empty code when it is valid.
template <class T> std::error_code validate(const config<T>& cfg, std::string* why = nullptr) {
  auto fail = [why](errc e, std::string msg) -> std::error_code {
    if (why) *why = std::move(msg);
    return e;
  };
  if (!cfg.factory) return fail(errc::factory_required, "config.factory is required");
  if (cfg.max_size == 0) return fail(errc::invalid_config_max_size, "config.max_size must be greater than 0");
  if (cfg.max_idle && *cfg.max_idle > cfg.max_size)
    return fail(errc::invalid_config, "config.max_idle (" + std::to_string(*cfg.max_idle) +
                                          ") must not exceed config.max_size (" + std::to_string(cfg.max_size) + ")");
  const std::pair<const char*, duration> durations[] = {
      {"max_idle_time", cfg.max_idle_time},
      {"max_age", cfg.max_age},
      {"health_check_interval", cfg.health_check_interval},
      {"health_check_timeout", cfg.health_check_timeout},
      {"cleanup_interval", cfg.cleanup_interval},
      {"dial_timeout", cfg.dial_timeout},
      {"backoff_initial", cfg.backoff_initial},
      {"backoff_max", cfg.backoff_max},
      {"max_age_jitter", cfg.max_age_jitter},
      {"leak_threshold", cfg.leak_threshold},
  };
  for (const auto& [name, d] : durations)
    if (d < duration::zero())
      return fail(errc::invalid_config, std::string("config.") + name + " must not be negative");
  if (cfg.max_size_limit && cfg.max_size_limit < cfg.max_size)
    return fail(errc::invalid_config, "config.max_size_limit (" + std::to_string(cfg.max_size_limit) +
                                          ") must be 0 or at least config.max_size (" + std::to_string(cfg.max_size) +
                                          ")");
  if (cfg.min_idle > cfg.max_size)
    return fail(errc::invalid_config, "config.min_idle (" + std::to_string(cfg.min_idle) +
                                          ") must not exceed config.max_size (" + std::to_string(cfg.max_size) + ")");
  if (cfg.max_idle && cfg.min_idle > *cfg.max_idle)
    return fail(errc::invalid_config, "config.min_idle (" + std::to_string(cfg.min_idle) +
                                          ") must not exceed config.max_idle (" + std::to_string(*cfg.max_idle) + ")");
  if (cfg.backoff_max > duration::zero() && cfg.backoff_max < cfg.backoff_initial)
    return fail(errc::invalid_config, "config.backoff_max must be 0 or at least config.backoff_initial");
  if (cfg.max_age_jitter > duration::zero() && cfg.max_age_jitter >= cfg.max_age)
    return fail(errc::invalid_config, "config.max_age_jitter needs config.max_age, and must be shorter than it");
  if (!(cfg.max_retirements_per_second >= 0) || !std::isfinite(cfg.max_retirements_per_second))
    return fail(errc::invalid_config, "config.max_retirements_per_second must be a finite number >= 0");
  if (cfg.fairness != fairness_mode::bounded && cfg.fairness != fairness_mode::strict)
    return fail(errc::invalid_config, "config.fairness must be fairness_mode::bounded or fairness_mode::strict");
  if (cfg.fairness == fairness_mode::bounded && cfg.fairness_bound <= duration::zero())
    return fail(errc::invalid_config, "config.fairness_bound must be greater than 0 with fairness_mode::bounded");
  if (cfg.health_check_interval > duration::zero() && !cfg.ping)
    return fail(errc::invalid_config, "config.health_check_interval is set but config.ping is empty");
  if (why) why->clear();
  return {};
}

} // namespace connpool
