#include <QtCore/qabstracteventdispatcher.h>
#include <QtCore/qlogging.h>
#include <QtCore/qthread.h>

#include "pooledlease_p.h"

namespace connpool::qt {

std::unique_ptr<SocketLeasePrivate> failedLease(SocketLease::Error error, QString message,
                                                QAbstractSocket::SocketError socketError, QList<QSslError> sslErrors) {
  return std::make_unique<SocketLeasePrivate>(error, socketError, std::move(message), std::move(sslErrors));
}

thread_local DeferredReturns deferredReturns;

void PooledLease::release() {
  if (!lease_) return;
  QTcpSocket& s = *lease_->socket;
  if (!ownedByThisThread(s)) {
    qWarning("connpool::qt::SocketLease: returned outside its socket's thread; the socket is closed, not pooled");
    discard();
    return;
  }
  // A thread without a running event loop emits the socket's signals only
  // inside its own calls on the socket (waitFor...(), flush()); the put is
  // not deferred there (README: what that leaves).
  if (!s.thread() || QThread::currentThread()->loopLevel() == 0 || !QAbstractEventDispatcher::instance()) {
    returnNow();
    return;
  }
  // Broken already: closed (and its slot freed) now, not on the next turn.
  if (!detail::isReusable(s)) {
    discard();
    return;
  }
  s.disconnect(); // the borrower's slots must not run once it has let go
  deferredReturns.add(std::make_unique<PooledLease>(std::move(engine_), std::move(lease_)));
}

} // namespace connpool::qt
