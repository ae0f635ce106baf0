// SPDX-License-Identifier: MIT
// Private: MaintenanceDriver, the QThread that runs the pure pool's
// maintenance passes (expiry, health checks, minIdle) on a QTimer in its own
// event loop; the pure pool's own maintenance thread is off
// (config.background_maintenance = false).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>

import connpool;

QT_BEGIN_NAMESPACE
class QThread;
class QTimer;
QT_END_NAMESPACE

namespace connpool::qt {

/// QTimer counts whole milliseconds; never round a due pass down to "off".
int timerMsecs(connpool::duration interval);

/// Started only when the pool needs passes (maintenance_interval() > 0), so
/// a pool with no time limits, health check, minIdle, leak threshold or
/// breaker has no extra thread. Each pass re-reads the interval, which live
/// settings change. Stopped with quit() + wait().
class MaintenanceDriver {
public:
  MaintenanceDriver();
  MaintenanceDriver(const MaintenanceDriver&) = delete;
  MaintenanceDriver& operator=(const MaintenanceDriver&) = delete;
  ~MaintenanceDriver(); // stop()

  /// Runs a pass now. Starts the thread first when it is not running and
  /// `pool` needs passes (its first pass runs at once); `pool` must outlive
  /// the thread (stop() joins it), `stop` ends a pass in flight. Nothing
  /// after stop().
  template <class T> void kick(connpool::pool<T>& pool, std::stop_token stop) {
    kick(Passes{[p = &pool](const connpool::context& ctx) { p->maintain(ctx); },
                [p = &pool] { return p->maintenance_interval(); }},
         std::move(stop));
  }
  /// Quits and joins the thread, if any; every later kick does nothing.
  void stop();

private:
  /// One pool's maintain() and maintenance_interval(), whatever it pools.
  struct Passes {
    std::function<void(const connpool::context&)> maintain;
    std::function<connpool::duration()> interval;
  };
  void kick(Passes passes, std::stop_token stop);
  void startLocked(Passes passes, std::stop_token stop);

  std::mutex mutex_;
  std::unique_ptr<QThread> thread_; // guarded by mutex_; set when passes are first needed
  QTimer* timer_ = nullptr;         // guarded by mutex_; lives in thread_ while its loop runs
  bool stopped_ = false;            // guarded by mutex_
  std::atomic<bool> done_{false};   // set by the thread as its last act
};

} // namespace connpool::qt
