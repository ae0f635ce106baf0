// connpool:config — config<T>, the origin's Config, and its validation.
//
// Zero durations mean "off". An invalid config is refused at construction:
// validate() names the field, the pool throws std::system_error with that
// message (or make_pool() reports it through std::error_code).
module;
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
export module connpool:config;
import :errors;
import :context;
import :clock;

export namespace connpool {

template <class T> struct config {
  /// Creates a connection (origin: Factory, required). Called outside any
  /// pool lock with the caller's context; signals failure by throwing.
  std::function<T(const context&)> factory;
  /// Closes a connection (origin: Close). Optional: when empty, destroying
  /// the T is its close (RAII). Called exactly once per connection the
  /// factory made, outside any pool lock. May throw: counted in close_errors.
  std::function<void(T&)> close;
  /// Checks a connection (origin: Ping). Optional. Returns false (or throws)
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
  };
  for (const auto& [name, d] : durations)
    if (d < duration::zero())
      return fail(errc::invalid_config, std::string("config.") + name + " must not be negative");
  if (cfg.health_check_interval > duration::zero() && !cfg.ping)
    return fail(errc::invalid_config, "config.health_check_interval is set but config.ping is empty");
  if (why) why->clear();
  return {};
}

} // namespace connpool
