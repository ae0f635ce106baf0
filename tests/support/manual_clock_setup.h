// SPDX-License-Identifier: MIT
// Test support: the start of a test that drives time and maintenance by
// hand. A tracker (support/fake_connection.h), a manual clock, and `cfg`, the
// tracker's config of `max_size` connections on that clock with background
// maintenance off (maintain() runs when the test calls it). Bind its parts
// by name, set limits on cfg, then build the pool from it:
//
//   auto&& [t, clock, cfg] = manual_clock_setup(2);
//   cfg.max_idle_time = 10s;
//   Pool p(cfg);
//
// Include after `import connpool;` and support/fake_connection.h.
#pragma once

#include <cstddef>

namespace testing_support {

struct manual_clock_setup {
  tracker t;
  connpool::manual_clock clock;
  connpool::config<fake_conn> cfg; // records into t, runs on clock

  explicit manual_clock_setup(std::size_t max_size) : cfg(t.manual_config(max_size, clock)) {}
  manual_clock_setup(const manual_clock_setup&) = delete;
  manual_clock_setup& operator=(const manual_clock_setup&) = delete;
};

} // namespace testing_support
