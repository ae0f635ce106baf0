// SPDX-License-Identifier: MIT
// Private: SocketPoolPrivate, the state behind a SocketPool: what every pool
// object has (PoolObjectPrivate: settings, the running pool, maintenance,
// the published stats) plus the event mailbox, the connection error log and
// the async-acquire workers.
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
// Imports connpool: after every other include.
#include "poolobject_p.h"

namespace connpool::qt {

class SocketPoolPrivate : public PoolObjectPrivate<SocketPoolPrivate, SocketPool, PoolSettings, RunningPool> {
public:
  explicit SocketPoolPrivate(SocketPool* q);

  static SocketPoolPrivate* get(SocketPool* q) { return q->d.get(); }

  /// Starts the pool with the current settings unless it runs already. Null
  /// after close(), or when the settings are invalid (`why` says which rule).
  std::shared_ptr<RunningPool> start(QString* why);
  /// `pull`: move the socket into the calling thread (false: it stays in no
  /// thread, for the async path to hand on).
  SocketLease acquire(QDeadlineTimer deadline, std::stop_token stop, const std::source_location& where, bool pull);
  /// What ~SocketPool does: no more events or starts, async waits and the
  /// maintenance pass cancelled, threads joined, idle sockets closed.
  void close();
  /// setLive's step on the running pool (PoolObjectPrivate).
  bool applyLive(connpool::pool<SocketHolder>& pool, int PoolSettings::* field, const PoolSettings& now, int value,
                 QString* why);

  // Shared with the pure pool's callbacks (and the error log with the leases):
  const std::shared_ptr<EventMailbox> mailbox;
  const std::shared_ptr<ConnectionErrorLog> errorLog;
  QThreadPool workers; // runs async acquires; waited for by close()
};

} // namespace connpool::qt
