// SPDX-License-Identifier: MIT
// Private: the lease implementation. PooledLease is a pure pool lease behind
// a SocketLease: it returns (or discards) the socket in its own thread, and in
// a thread whose event loop runs it defers the return to that loop.
// failedLease() is the lease of a failed acquire.
#pragma once

#include <connpool/qt/socketlease.h>

#include <QtCore/qlist.h>
#include <QtCore/qstring.h>
#include <QtNetwork/qabstractsocket.h>
#include <QtNetwork/qsslerror.h>

#include <memory>

#include "runningpool_p.h"
#include "socketlease_p.h"

QT_BEGIN_NAMESPACE
class QTcpSocket;
QT_END_NAMESPACE

namespace connpool::qt {

/// The lease of a failed acquire: no socket, only why.
std::unique_ptr<SocketLeasePrivate>
failedLease(SocketLease::Error error, QString message,
            QAbstractSocket::SocketError socketError = QAbstractSocket::UnknownSocketError,
            QList<QSslError> sslErrors = {});

/// Returns the leases this thread released while its event loop ran and
/// whose return still waits for control to come back to the loop. Called by
/// every blocking acquire, so that it cannot wait for its own socket.
void returnDeferredLeases();

/// A lease of the pure pool behind a SocketLease.
class PooledLease final : public SocketLeasePrivate {
public:
  PooledLease(std::shared_ptr<RunningPool> running, connpool::lease<SocketHolder> lease)
      : running_(std::move(running)), lease_(std::move(lease)) {}
  ~PooledLease() override { release(); }

  QTcpSocket* socket() const noexcept override { return lease_ ? lease_->socket.get() : nullptr; }

  void release() override;
  void discard() override;

  /// The put itself: never inside one of the socket's signals.
  void returnNow();
  /// At the exit of the socket's thread, with a return still deferred: no
  /// event loop or current-thread bookkeeping to rely on any more.
  void closeAtThreadExit();

private:
  // What the borrower's socket last failed on (e.g. a read timeout), kept for
  // SocketPool::connections().
  void noteError();

  std::shared_ptr<RunningPool> running_;
  connpool::lease<SocketHolder> lease_;
};

} // namespace connpool::qt
