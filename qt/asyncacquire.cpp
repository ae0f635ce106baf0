// SPDX-License-Identifier: MIT
#include <QtCore/qcoreapplication.h>
#include <QtCore/qcoreevent.h>
#include <QtCore/qobject.h>
#include <QtNetwork/qtcpsocket.h>

#include <memory>
#include <mutex>
#include <stop_token>
#include <utility>

#include "asyncacquire_p.h"
#include "pooledlease_p.h"
#include "socketpool_p.h"

namespace connpool::qt {

namespace {

/// Orders a startAsyncAcquire() call before its task on the helper thread (see there).
std::mutex asyncHandoff;

/// One acquireAsync() in flight, shared by the helper thread and the proxy.
struct PendingAcquire {
  std::mutex mutex;
  QObject* proxy = nullptr; // guarded by mutex; null once the proxy is gone
  std::stop_source stop;    // cancels the pool wait when the proxy goes

  // Helper thread: post the lease to the proxy, or, when it is gone, return
  // the socket to the pool right here.
  void deliver(SocketLease lease);
  // Proxy's thread: no more deliveries; cancel the wait if still waiting.
  void detach() {
    {
      std::lock_guard lk(mutex);
      proxy = nullptr;
    }
    stop.request_stop();
  }
};

class AcquireResultEvent final : public QEvent {
public:
  static QEvent::Type eventType() {
    static const auto type = static_cast<QEvent::Type>(QEvent::registerEventType());
    return type;
  }
  explicit AcquireResultEvent(SocketLease l) : QEvent(eventType()), lease(std::move(l)) {}
  SocketLease lease; // its socket is owned by no thread until the proxy pulls it
};

void PendingAcquire::deliver(SocketLease lease) {
  {
    // Posting under the lock: the proxy cannot be destroyed meanwhile; once
    // posted, destroying it drops the event and so returns the lease.
    std::lock_guard lk(mutex);
    if (proxy) {
      QCoreApplication::postEvent(proxy, new AcquireResultEvent(std::move(lease)));
      return;
    }
  }
  // The receiver is gone: `lease` returns its socket (owned by no thread) here.
}

/// Stands in for the receiver: lives in its thread as its child, so it dies
/// with it (cancelling), and receives the result there.
class AcquireReceiverProxy final : public QObject {
public:
  AcquireReceiverProxy(std::shared_ptr<PendingAcquire> op, SocketPool::AcquireCallback callback, QObject* receiver)
      : QObject(receiver), op_(std::move(op)), callback_(std::move(callback)) {}
  ~AcquireReceiverProxy() override { op_->detach(); }

protected:
  void customEvent(QEvent* event) override {
    {
      // The helper thread built and posted the event under this mutex: taking
      // it orders all of that before what follows in a way ThreadSanitizer
      // can see (Qt's own event-queue lock is invisible to it).
      std::lock_guard lk(op_->mutex);
    }
    if (event->type() != AcquireResultEvent::eventType()) return;
    SocketLease lease = std::move(static_cast<AcquireResultEvent*>(event)->lease);
    // Pull: from now on the receiver's thread owns the socket.
    if (QTcpSocket* s = lease.socket(); s && !s->thread()) detail::pullToThisThread(*s);
    auto callback = std::move(callback_);
    op_->detach();
    // Outlive the callback even if it destroys the receiver.
    setParent(nullptr);
    deleteLater();
    callback(std::move(lease));
  }

private:
  std::shared_ptr<PendingAcquire> op_;
  SocketPool::AcquireCallback callback_;
};

} // namespace

void startAsyncAcquire(SocketPoolPrivate& d, QObject* receiver, SocketPool::AcquireCallback callback,
                       QDeadlineTimer deadline, const std::source_location& where) {
  // Deferred returns stay deferred: this may be inside a socket's signal,
  // and an async acquire never waits in this thread for its own socket.
  detail::collectClosedSockets();
  auto op = std::make_shared<PendingAcquire>();
  op->proxy = new AcquireReceiverProxy(op, std::move(callback), receiver);
  d.start(nullptr); // sizes the helper pool before the first task queues
  // Submitted under asyncHandoff, which the task takes first: the task's
  // captures are written here and read there, and QThreadPool's own hand-over
  // (Qt's futex-based lock) is invisible to ThreadSanitizer.
  std::lock_guard handoff(asyncHandoff);
  d.workers.start([d = &d, op, deadline, where] {
    {
      std::lock_guard handedOver(asyncHandoff);
    }
    // The raw `d` is safe: its destructor waits for every task.
    std::stop_callback cancelOnClose(d->stopOnClose.get_token(), [op] { op->stop.request_stop(); });
    // The socket stays in no thread; the proxy pulls it into the receiver's.
    SocketLease lease = d->acquire(deadline, op->stop.get_token(), where, false);
    if (!lease.isValid() && d->stopOnClose.stop_requested())
      lease = SocketLease(failedLease(SocketLease::Error::Cancelled, QStringLiteral("the pool was destroyed")));
    op->deliver(std::move(lease));
  });
}

} // namespace connpool::qt
