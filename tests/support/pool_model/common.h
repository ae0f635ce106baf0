// Test support, pool model: what every part of it shares: the connection
// type the pool under test holds, the exception its factory throws when told
// to fail, and the connpool names used unqualified. Include after
// `import connpool;`.
#pragma once

#include <chrono>
#include <stdexcept>

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

} // namespace pool_model
