// SPDX-License-Identifier: MIT
// Test support, pool model: the pool configurations a run may get.
// `settings::from_seed` turns a config seed into a configuration (max_size,
// max_idle, idle and age limits, pings and health checks, max_size_limit,
// min_idle, idle order, breaker, retirement cap); `describe` prints it for a
// failure report.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <random>
#include <string>

#include "common.h"

namespace pool_model {

struct settings {
  std::size_t max_size = 2;
  std::optional<std::size_t> max_idle;
  duration max_idle_time{};
  duration max_age{};
  bool ping = false;
  duration health_check_interval{};
  duration health_check_timeout{};
  std::size_t max_size_limit = 0; // 0: max_size
  std::size_t min_idle = 0;
  bool fifo = false;
  duration backoff_initial{}, backoff_max{};
  double max_retirements_per_second = 0;
  bool strict = false; // fairness_mode::strict, else bounded (the pool clock stands still while a get waits)

  std::size_t capacity() const { return max_size_limit ? max_size_limit : max_size; }

  static settings from_seed(std::uint32_t seed) {
    std::mt19937 r(seed);
    settings s;
    s.max_size = 1 + r() % (r() % 4 == 0 ? 8 : 4);
    if (r() % 2) s.max_idle = r() % (s.max_size + 1);
    static constexpr int idle_times[] = {0, 0, 5, 10, 30};
    s.max_idle_time = std::chrono::seconds(idle_times[r() % 5]);
    static constexpr int ages[] = {0, 0, 20, 60};
    s.max_age = std::chrono::seconds(ages[r() % 4]);
    s.ping = r() % 10 < 7;
    if (s.ping && r() % 2) {
      s.health_check_interval = std::chrono::seconds(r() % 2 ? 5 : 15);
      if (r() % 2) s.health_check_timeout = 50us; // real time: a slow ping outlasts it
    }
    if (r() % 3 == 0) s.max_size_limit = s.max_size + 1 + r() % 4;
    if (r() % 3 == 0) s.min_idle = r() % (std::min(s.max_size, s.max_idle.value_or(s.max_size)) + 1);
    s.fifo = r() % 4 == 0;
    if (r() % 4 == 0) {
      static constexpr int delays_ms[] = {100, 1000, 5000};
      s.backoff_initial = std::chrono::milliseconds(delays_ms[r() % 3]);
      if (r() % 2) s.backoff_max = s.backoff_initial * 4;
    }
    if (s.max_age > duration::zero() && r() % 3 == 0) {
      static constexpr double rates[] = {0.05, 0.5, 2};
      s.max_retirements_per_second = rates[r() % 3];
    }
    s.strict = r() % 2 == 0; // drawn last: the other choices of a seed stay what they were
    return s;
  }
  std::string describe() const {
    char buf[400];
    auto ms = [](duration d) {
      return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
    };
    std::snprintf(
        buf, sizeof buf,
        "max_size=%zu max_idle=%s max_idle_time=%lldms max_age=%lldms ping=%d "
        "health_check_interval=%lldms health_check_timeout=%lldus max_size_limit=%zu min_idle=%zu order=%s "
        "backoff_initial=%lldms backoff_max=%lldms max_retirements_per_second=%g fairness=%s",
        max_size, max_idle ? std::to_string(*max_idle).c_str() : "unset", ms(max_idle_time), ms(max_age), int(ping),
        ms(health_check_interval),
        static_cast<long long>(std::chrono::duration_cast<std::chrono::microseconds>(health_check_timeout).count()),
        max_size_limit, min_idle, fifo ? "fifo" : "lifo", ms(backoff_initial), ms(backoff_max),
        max_retirements_per_second, strict ? "strict" : "bounded");
    return buf;
  }
};

} // namespace pool_model
