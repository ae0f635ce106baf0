// SPDX-License-Identifier: MIT
// Private: the pool settings every Qt pool object shares (SocketPool,
// SqlPool: maxSize, maxIdle, minIdle, the time limits, the breaker, leaks,
// fairness) and how they map onto the pure pool: its config at start
// (applyPoolLimits) and, for the live ones, its setters once running
// (applyLiveLimit). `S` is the object's settings struct; it names these
// fields as PoolSettings does. Imports connpool: include it last.
#pragma once

#include <QtCore/qstring.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <system_error>

import connpool;

namespace connpool::qt {

namespace detail {
inline connpool::duration nonNegativeMsecs(int value) { return std::chrono::milliseconds(std::max(value, 0)); }
} // namespace detail

/// Copies the shared settings of `s` into `cfg`; the factory, ping, close
/// and observer are the caller's.
template <class S, class T> void applyPoolLimits(connpool::config<T>& cfg, const S& s) {
  using detail::nonNegativeMsecs;
  cfg.max_size = s.maxSize > 0 ? static_cast<std::size_t>(s.maxSize) : 0;
  // Always tracked (not left unset), so that maxIdle can change later.
  cfg.max_idle = static_cast<std::size_t>(s.maxIdle >= 0 ? s.maxIdle : std::max(s.maxSize, 0));
  cfg.max_size_limit =
      s.maxSizeLimit > 0 ? static_cast<std::size_t>(s.maxSizeLimit) : std::max<std::size_t>(cfg.max_size, 64);
  cfg.min_idle = static_cast<std::size_t>(std::max(s.minIdle, 0));
  cfg.max_idle_time = nonNegativeMsecs(s.maxIdleTime);
  cfg.max_age = nonNegativeMsecs(s.maxAge);
  cfg.health_check_interval = nonNegativeMsecs(s.healthCheckInterval);
  cfg.health_check_timeout = nonNegativeMsecs(s.healthCheckTimeout);
  cfg.max_connecting = static_cast<std::size_t>(std::max(s.maxConnecting, 0));
  cfg.backoff_initial = nonNegativeMsecs(s.backoffInitial);
  cfg.backoff_max = nonNegativeMsecs(s.backoffMax);
  cfg.max_age_jitter = nonNegativeMsecs(s.maxAgeJitter);
  cfg.max_retirements_per_second = s.maxRetirementsPerSecond;
  cfg.leak_threshold = nonNegativeMsecs(s.leakThreshold);
  cfg.track_hold_time = true;
  cfg.background_maintenance = false; // driven from our own QThread instead (MaintenanceDriver)
}

/// Applies a live setting (`field` of S) to the running pool; `now` holds
/// the settings in force. False, with the rule broken in `why`, when the
/// pool refuses the value (it is then left as it was).
template <class S, class T>
bool applyLiveLimit(connpool::pool<T>& pool, int S::* field, const S& now, int value, QString* why) {
  using std::chrono::milliseconds;
  try {
    if (field == &S::maxSize) {
      if (value <= 0) throw std::system_error(connpool::errc::invalid_config, "maxSize must be greater than 0");
      const auto n = static_cast<std::size_t>(value);
      if (now.maxIdle >= 0) {
        pool.set_max_size(n);
      } else if (value >= now.maxSize) { // maxIdle follows maxSize: keep max_idle <= max_size throughout
        pool.set_max_size(n);
        pool.set_max_idle(n);
      } else {
        pool.set_max_idle(n);
        try {
          pool.set_max_size(n);
        } catch (...) {
          pool.set_max_idle(static_cast<std::size_t>(now.maxSize));
          throw;
        }
      }
    } else if (field == &S::maxIdle) {
      if (value < -1) throw std::system_error(connpool::errc::invalid_config, "maxIdle must be -1 (maxSize) or >= 0");
      pool.set_max_idle(static_cast<std::size_t>(value < 0 ? now.maxSize : value));
    } else if (field == &S::minIdle) {
      if (value < 0) throw std::system_error(connpool::errc::invalid_config, "minIdle must not be negative");
      pool.set_min_idle(static_cast<std::size_t>(value));
    } else if (field == &S::maxIdleTime) {
      pool.set_max_idle_time(milliseconds(value));
    } else if (field == &S::maxAge) {
      pool.set_max_age(milliseconds(value));
    } else if (field == &S::healthCheckInterval) {
      pool.set_health_check_interval(milliseconds(value));
    }
    return true;
  } catch (const std::system_error& x) {
    *why = QString::fromUtf8(x.what());
    return false;
  }
}

} // namespace connpool::qt
