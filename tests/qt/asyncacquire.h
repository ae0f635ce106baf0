// SPDX-License-Identifier: MIT
// Test helper: one SocketPool::acquireAsync() whose outcome a test then
// checks. Constructing it sends the request on behalf of its own receiver
// (so destroying it cancels a request still pending); `called` says whether
// the callback ran, `lease` is what it was handed.
#pragma once

#include <connpool/qt/socketpool.h>

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qobject.h>

#include <source_location>
#include <utility>

struct AsyncAcquire {
  QObject receiver;
  bool called = false;
  connpool::qt::SocketLease lease; // declared after receiver: returned first

  explicit AsyncAcquire(connpool::qt::SocketPool& pool,
                        QDeadlineTimer deadline = QDeadlineTimer(QDeadlineTimer::Forever),
                        const std::source_location& where = std::source_location::current()) {
    pool.acquireAsync(
        &receiver,
        [this](connpool::qt::SocketLease handed) {
          called = true;
          lease = std::move(handed);
        },
        deadline, where);
  }
  AsyncAcquire(const AsyncAcquire&) = delete;
  AsyncAcquire& operator=(const AsyncAcquire&) = delete;
};
