// SPDX-License-Identifier: MIT
#include <QtCore/qabstracteventdispatcher.h>
#include <QtCore/qlogging.h>
#include <QtCore/qthread.h>
#include <QtNetwork/qtcpsocket.h>

#include <system_error>
#include <utility>
#include <vector>

#include "pooledlease_p.h"

namespace connpool::qt {

namespace {

bool ownedByThisThread(const QTcpSocket& s) { return !s.thread() || s.thread() == QThread::currentThread(); }

/// Leases released in a thread while its event loop runs: their put waits
/// until control is back in that loop. The release may come from inside one of
/// the socket's own signals, after which QtNetwork still uses the socket; it
/// must not reach another thread before that. Every acquire in the thread
/// returns them first (so it cannot wait for its own socket).
class DeferredReturns {
public:
  void add(std::unique_ptr<PooledLease> lease) {
    leases_.push_back(std::move(lease));
    if (posted_) return;
    posted_ = true;
    // The dispatcher is a QObject of this thread that outlives its loop.
    QMetaObject::invokeMethod(
        QAbstractEventDispatcher::instance(),
        [this] {
          posted_ = false;
          returnAll();
        },
        Qt::QueuedConnection);
  }
  /// Also called by acquires; the event already posted stays (one per turn
  /// of the loop, however many leases go through meanwhile).
  void returnAll() {
    if (leases_.empty()) return;
    for (auto& lease : std::exchange(leases_, {}))
      lease->returnNow();
  }
  ~DeferredReturns() {
    for (auto& lease : leases_)
      lease->closeAtThreadExit();
  }

private:
  std::vector<std::unique_ptr<PooledLease>> leases_;
  bool posted_ = false;
};
thread_local DeferredReturns deferredReturns;

} // namespace

std::unique_ptr<SocketLeasePrivate> failedLease(SocketLease::Error error, QString message,
                                                QAbstractSocket::SocketError socketError, QList<QSslError> sslErrors) {
  return std::make_unique<SocketLeasePrivate>(error, socketError, std::move(message), std::move(sslErrors));
}

void returnDeferredLeases() { deferredReturns.returnAll(); }

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
  deferredReturns.add(std::make_unique<PooledLease>(std::move(running_), std::move(lease_)));
}

void PooledLease::returnNow() {
  if (!lease_) return;
  QTcpSocket& s = *lease_->socket;
  noteError();
  if (!detail::isReusable(s)) {
    discard();
    return;
  }
  // The next borrower, maybe in another thread, must not run this one's slots.
  s.disconnect();
  // Push: while idle no thread owns it; the next borrower pulls it.
  if (s.thread()) detail::pushToNoThread(s);
  std::error_code ec;
  // The pool may close it right here (closed pool, idle overflow, max age).
  detail::ReturnScope mayBeInsideItsSignal;
  running_->pool->put(lease_, ec); // pool_closed: it was closed instead, all a late return can get
}

void PooledLease::closeAtThreadExit() {
  if (!lease_) return;
  delete lease_->socket.release(); // owned by this (exiting) thread
  std::error_code ec;
  running_->pool->discard(lease_, ec);
}

void PooledLease::discard() {
  if (!lease_) return;
  if (ownedByThisThread(*lease_->socket)) {
    noteError();
    // This may run inside one of the socket's own signals: closed now,
    // deleted once QtNetwork is done with it. (With no thread, nobody can be
    // inside its signals: the pool deletes it right here.)
    if (lease_->socket->thread()) detail::closeInThisThread(std::move(lease_->socket));
  }
  std::error_code ec;
  // Otherwise the socket is deleted here, or by its owner thread if that is not us.
  running_->pool->discard(lease_, ec);
}

void PooledLease::noteError() {
  const QTcpSocket& s = *lease_->socket;
  if (s.error() != QAbstractSocket::UnknownSocketError) running_->errorLog->note(lease_->id, s.errorString());
}

} // namespace connpool::qt
