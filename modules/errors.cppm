// connpool:errors — the error codes of the pool and their std::error_category.
//
// Every error of Go's connpool has an enumerator here (ErrPoolClosed ->
// pool_closed, ...), plus what C++ needs: `cancelled` (a stop request ended a
// wait), `factory_failed` (the non-throwing form's report of a factory that
// threw) and `invalid_config` (any other bad field; the message names it).
module;
#include <string>
#include <system_error>
#include <type_traits>
export module connpool:errors;

export namespace connpool {

enum class errc {
  pool_closed = 1,     ///< operation on a closed pool (ErrPoolClosed)
  factory_required,    ///< config.factory is empty (ErrFactoryRequired)
  close_func_required, ///< never returned: close is optional in C++ (RAII); kept so every Go error has a counterpart
  invalid_connection,  ///< empty, foreign or already returned lease (ErrInvalidConnection)
  invalid_config_max_size, ///< config.max_size == 0 (ErrInvalidConfigMaxSize)
  get_timeout,             ///< get's deadline passed (ErrGetTimeout)
  close_timeout,           ///< close's deadline passed before every lease came back (ErrCloseTimeout)
  cancelled,               ///< the context's stop token was triggered
  factory_failed,          ///< the factory threw (non-throwing overloads report this)
  invalid_config,          ///< any other invalid config field (the message names it)
  circuit_open,            ///< the breaker is open after a factory failure: no new connection until it retries
};

/// The category of connpool::errc; name() is "connpool".
const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), error_category()}; }

} // namespace connpool

export template <> struct std::is_error_code_enum<connpool::errc> : std::true_type {};

namespace connpool {

class category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "connpool"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
    case errc::pool_closed: return "pool is closed";
    case errc::factory_required: return "config.factory is required";
    case errc::close_func_required: return "config.close is required";
    case errc::invalid_connection: return "invalid connection: empty, foreign or already returned lease";
    case errc::invalid_config_max_size: return "config.max_size must be greater than 0";
    case errc::get_timeout: return "get timed out waiting for a connection";
    case errc::close_timeout: return "close timed out waiting for active connections";
    case errc::cancelled: return "operation cancelled by stop request";
    case errc::factory_failed: return "connection factory failed";
    case errc::invalid_config: return "invalid pool configuration";
    case errc::circuit_open: return "backend unavailable: the last connection attempt failed, retrying after a backoff";
    }
    return "unknown connpool error";
  }
};

const std::error_category& error_category() noexcept {
  static const category_impl instance;
  return instance;
}

} // namespace connpool
