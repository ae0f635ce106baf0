// SPDX-License-Identifier: MIT
// Private: SqlPoolPrivate, the state behind a SqlPool: what every pool
// object has (PoolObjectPrivate: settings, the running pool of
// SqlConnections, maintenance, the published stats) plus the queue of calls
// waiting for a connection and its dispatcher. Imports connpool (through
// poollimits_p.h and poolobject_p.h): include it last.
#pragma once

#include <connpool/qt/socketpoolstats.h>
#include <connpool/qt/sqlpool.h>

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qlogging.h>
#include <QtCore/qstring.h>
#include <QtCore/qtimer.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <source_location>
#include <stop_token>
#include <thread>
#include <utility>

#include "connectionerrorlog_p.h"
#include "eventmailbox_p.h"
#include "maintenancedriver_p.h"
#include "poollimits_p.h"
#include "sqlconnection_p.h"
// Imports connpool: after every other include.
#include "poolobject_p.h"

namespace connpool::qt {

/// The SqlPool's settings; the copy a pool starts with is frozen and shared
/// with the pure pool's callbacks.
struct SqlSettings {
  detail::SqlConnectOptions connect;
  int connectTimeout = 10000;
  int pingIdleThreshold = 500;
  int closeTimeout = 30000;
  // The pool settings SocketPool has (poollimits_p.h reads them by name).
  int maxSize = 4;
  int maxIdle = -1;
  int maxIdleTime = 0;
  int maxAge = 0;
  int healthCheckInterval = 0;
  int healthCheckTimeout = 0;
  int minIdle = 0;
  int maxSizeLimit = 0;
  int maxConnecting = 0;
  int backoffInitial = 0;
  int backoffMax = 0;
  int maxAgeJitter = 0;
  double maxRetirementsPerSecond = 0;
  int leakThreshold = 0;
  SqlPool::IdleOrder idleOrder = SqlPool::IdleOrder::Lifo;
};

using SqlMailbox = BasicEventMailbox<SqlPool>;

/// What the pure pool holds: a connection, its thread, and its pool id.
struct SqlHolder {
  std::shared_ptr<detail::SqlConnection> connection;
  std::uint64_t id = 0; ///< lease::id(), copied on every lease (pings see only the holder)
};

/// The started pool: shared by the SqlPool and every call in flight.
struct SqlRunningPool {
  std::unique_ptr<connpool::pool<SqlHolder>> pool;
  std::shared_ptr<ConnectionErrorLog> errorLog;
  std::shared_ptr<SqlMailbox> mailbox;
};

/// The pure pool's config for `s` (factory, round-trip ping, close, observer).
connpool::config<SqlHolder> makeSqlConfig(std::shared_ptr<const SqlSettings> s, std::shared_ptr<SqlMailbox> mailbox,
                                          std::shared_ptr<ConnectionErrorLog> errorLog,
                                          std::shared_ptr<detail::SqlThreadCount> threads);

/// Runs `call` on the leased connection, in its thread: the callable, then
/// the transaction check, rollback, broken-connection check, the return of
/// the connection, and last the future's result.
void runCallOnConnection(std::shared_ptr<SqlRunningPool> running, connpool::lease<SqlHolder> lease,
                         std::shared_ptr<detail::SqlCall> call, std::source_location where);

class SqlPoolPrivate : public PoolObjectPrivate<SqlPoolPrivate, SqlPool, SqlSettings, SqlRunningPool> {
public:
  explicit SqlPoolPrivate(SqlPool* q);

  static SqlPoolPrivate* get(SqlPool* q) { return q->d.get(); }

  /// Starts the pool (and its dispatcher) unless it runs already. Null after
  /// close(), or when the settings are invalid (`why` says which rule).
  std::shared_ptr<SqlRunningPool> start(QString* why);
  void submit(std::shared_ptr<detail::SqlCall> call, QDeadlineTimer deadline, const std::source_location& where);
  /// poolMetrics' step: every call not yet given a connection waits, the
  /// queued ones and the one the dispatcher gets a connection for (counted
  /// from the moment it leaves the queue, so the count never dips while it
  /// moves into the pure pool); the queue's timeouts and cancellations.
  void countQueued(connpool::metrics& m) const;
  /// What ~SqlPool does: waiting calls failed, running ones finished, every
  /// connection closed and its thread gone (up to closeTimeout).
  void close();
  /// setLive's step on the running pool (PoolObjectPrivate).
  static bool applyLive(connpool::pool<SqlHolder>& pool, int SqlSettings::* field, const SqlSettings& now, int value,
                        QString* why) {
    return applyLiveLimit(pool, field, now, value, why);
  }

  template <class T> T readConnect(T detail::SqlConnectOptions::* field) const {
    std::lock_guard lk(mutex);
    return settings.connect.*field;
  }
  template <class T> void setConnect(T detail::SqlConnectOptions::* field, T value, const char* name) {
    {
      std::lock_guard lk(mutex);
      if (!acceptsFixedSettingLocked(name) || settings.connect.*field == value) return;
      settings.connect.*field = std::move(value);
    }
    emit q->settingsChanged();
  }

  const std::shared_ptr<SqlMailbox> mailbox;
  const std::shared_ptr<ConnectionErrorLog> errorLog;
  const std::shared_ptr<detail::SqlThreadCount> threads;

  // Calls waiting for a connection, in the order run() was called. One
  // dispatcher thread takes the first, waits for a connection for it (the
  // pure pool's only waiter: FIFO holds), hands it on, takes the next.
  // QFuture::cancel() has no callback, and the calls behind the first have
  // deadlines too: a watcher checks them every 20 ms while any wait.
  struct Pending {
    std::shared_ptr<detail::SqlCall> call;
    QDeadlineTimer deadline;
    std::source_location where;
  };
  mutable std::mutex queueMutex;
  std::condition_variable_any queueChanged;
  std::deque<Pending> queue;             // guarded by queueMutex
  std::shared_ptr<detail::SqlCall> head; // guarded by queueMutex; the call the dispatcher waits for
  std::stop_source headStop;             // guarded by queueMutex; ends that wait
  std::atomic<quint64> queueTimeouts{0}; // calls whose deadline passed in the queue
  std::atomic<quint64> queueCancels{0};  // calls cancelled in the queue
  std::jthread dispatcher, watcher;      // started with the pool; joined by close()

private:
  void dispatch(std::stop_token stop, std::shared_ptr<SqlRunningPool> e);
  void watch(std::stop_token stop);
};

} // namespace connpool::qt
