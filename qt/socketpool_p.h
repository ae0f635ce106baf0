// SPDX-License-Identifier: MIT
// Private: SocketPoolPrivate, the state behind a SocketPool: its settings,
// the running pool, the maintenance driver, the async-acquire helpers and
// the published stats, and who may touch each.
#pragma once

#include <connpool/qt/socketlease.h>
#include <connpool/qt/socketpool.h>
#include <connpool/qt/socketpoolstats.h>

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qlogging.h>
#include <QtCore/qobject.h>
#include <QtCore/qstring.h>
#include <QtCore/qthreadpool.h>
#include <QtCore/qtimer.h>

#include <memory>
#include <mutex>
#include <source_location>
#include <stop_token>
#include <utility>

#include "connectionerrorlog_p.h"
#include "eventmailbox_p.h"
#include "maintenancedriver_p.h"
#include "poolsettings_p.h"
#include "runningpool_p.h"

namespace connpool::qt {

class SocketPoolPrivate {
public:
  explicit SocketPoolPrivate(SocketPool* q);

  static SocketPoolPrivate* get(SocketPool* q) { return q->d.get(); }

  /// Starts the pool with the current settings unless it runs already. Null
  /// after close(), or when the settings are invalid (`why` says which rule).
  std::shared_ptr<RunningPool> start(QString* why);
  /// The running pool, or null before the start.
  std::shared_ptr<RunningPool> runningPool() const;
  /// `pull`: move the socket into the calling thread (false: it stays in no
  /// thread, for the async path to hand on).
  SocketLease acquire(QDeadlineTimer deadline, std::stop_token stop, const std::source_location& where, bool pull);
  /// What ~SocketPool does: no more events or starts, async waits and the
  /// maintenance pass cancelled, threads joined, idle sockets closed.
  void close();
  void publishStats();
  void setCircuitOpen(bool open);
  /// Starts the pool for minIdle at the next turn of the event loop.
  void startSoon();

  template <class T> T read(T PoolSettings::* field) const {
    std::lock_guard lk(mutex);
    return settings.*field;
  }
  /// A setting fixed at start: stored before it, refused with a warning after.
  template <class T> void setFixed(T PoolSettings::* field, T value, const char* name) {
    {
      std::lock_guard lk(mutex);
      if (!acceptsFixedSettingLocked(name) || settings.*field == value) return;
      settings.*field = std::move(value);
    }
    emit q->settingsChanged();
  }
  bool acceptsFixedSettingLocked(const char* name) const {
    if (!running && !closed) return true;
    qWarning("connpool::qt::SocketPool: %s changed after the pool started; ignored", name);
    return false;
  }
  /// A live setting: stored before the start; applied to the running pool
  /// after it (refused with a warning naming the rule when it cannot be).
  void setLive(int PoolSettings::* field, int value, const char* name);

  SocketPool* const q;
  // Shared with the pure pool's callbacks (and the error log with the leases):
  const std::shared_ptr<EventMailbox> mailbox;
  const std::shared_ptr<ConnectionErrorLog> errorLog;

  mutable std::mutex mutex;
  PoolSettings settings;                // guarded by mutex; live ones written by q's thread only
  std::shared_ptr<RunningPool> running; // guarded by mutex; set once, at start
  bool closed = false;                  // guarded by mutex; set by close()

  std::stop_source stopOnClose;  // requested by close(): ends async waits and the maintenance pass in flight
  MaintenanceDriver maintenance; // started (under mutex) when the pool needs passes; stopped by close()
  QThreadPool workers;           // runs async acquires; waited for by close()

  // The SocketPool's thread only:
  QTimer* const statsTimer;
  int statsIntervalMs = 100;
  SocketPoolStats published;
  bool circuitOpen = false;
  bool startQueued = false;

private:
  void kickMaintenance();
};

} // namespace connpool::qt
