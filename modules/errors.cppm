// SPDX-License-Identifier: MIT
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

/// The category of connpool::errc; name() is "connpool" (defined in errors.cpp).
const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), error_category()}; }

} // namespace connpool

export template <> struct std::is_error_code_enum<connpool::errc> : std::true_type {};
