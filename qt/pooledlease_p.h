// Private: the lease implementation. PooledLease is a pure pool lease behind
// a SocketLease: it returns (or discards) the socket in its thread, and in a
// thread whose event loop runs it defers the return to that loop
// (DeferredReturns). failedLease() is the lease of a failed acquire.
#pragma once

#include <connpool/qt/socketlease.h>

#include <QtCore/qabstracteventdispatcher.h>
#include <QtCore/qlist.h>
#include <QtCore/qstring.h>
#include <QtCore/qthread.h>
#include <QtNetwork/qabstractsocket.h>
#include <QtNetwork/qsslerror.h>
#include <QtNetwork/qtcpsocket.h>

#include <memory>
#include <system_error>
#include <utility>
#include <vector>

#include "eventmailbox_p.h"
#include "runningpool_p.h"
#include "socketlease_p.h"

namespace connpool::qt {

std::unique_ptr<SocketLeasePrivate>
failedLease(SocketLease::Error error, QString message,
            QAbstractSocket::SocketError socketError = QAbstractSocket::UnknownSocketError,
            QList<QSslError> sslErrors = {});

/// A lease of the pure pool behind a SocketLease.
class PooledLease final : public SocketLeasePrivate {
public:
  PooledLease(std::shared_ptr<Engine> engine, connpool::lease<SocketHolder> lease)
      : engine_(std::move(engine)), lease_(std::move(lease)) {}
  ~PooledLease() override { release(); }

  QTcpSocket* socket() const noexcept override { return lease_ ? lease_->socket.get() : nullptr; }

  void release() override;

  /// The put itself: never inside one of the socket's signals.
  void returnNow() {
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
    engine_->pool->put(lease_, ec); // pool_closed: it was closed instead, all a late return can get
  }

  /// At the exit of the socket's thread, with a return still deferred: no
  /// event loop or current-thread bookkeeping to rely on any more.
  void closeAtThreadExit() {
    if (!lease_) return;
    delete lease_->socket.release(); // owned by this (exiting) thread
    std::error_code ec;
    engine_->pool->discard(lease_, ec);
  }

  void discard() override {
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
    engine_->pool->discard(lease_, ec);
  }

private:
  static bool ownedByThisThread(const QTcpSocket& s) { return !s.thread() || s.thread() == QThread::currentThread(); }
  // What the borrower's socket last failed on (e.g. a read timeout), kept for
  // SocketPool::connections().
  void noteError() {
    const QTcpSocket& s = *lease_->socket;
    if (s.error() != QAbstractSocket::UnknownSocketError) engine_->relay->noteError(lease_->id, s.errorString());
  }

  std::shared_ptr<Engine> engine_;
  connpool::lease<SocketHolder> lease_;
};

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
extern thread_local DeferredReturns deferredReturns;

} // namespace connpool::qt
