// SPDX-License-Identifier: MIT
// The error category behind connpool:errors. An implementation unit:
// compiled once into the library, so a consumer that builds the module does
// not compile it.
module;
#include <string>
#include <system_error>
module connpool;

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
