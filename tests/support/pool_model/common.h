// SPDX-License-Identifier: MIT
// Test support, pool model: what every part of it shares: the connection
// type the pool under test holds, the exception its factory throws when told
// to fail, the connpool names used unqualified, and two small helpers
// (a close reason as an index, an error code as text). Include after
// `import connpool;`.
#pragma once

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <system_error>

namespace pool_model {

using namespace std::chrono_literals;
using connpool::close_reason;
using connpool::context;
using connpool::duration;
using connpool::errc;
using connpool::time_point;

struct conn {
  int id = 0;
};
struct factory_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A close reason as an index into metrics::closed_by.
inline std::size_t reason(close_reason r) { return static_cast<std::size_t>(r); }
/// An error code for a failure message: "success", or its message and value.
inline std::string ec_name(std::error_code ec) {
  if (!ec) return "success";
  return ec.message() + " (" + std::to_string(ec.value()) + ")";
}

} // namespace pool_model
