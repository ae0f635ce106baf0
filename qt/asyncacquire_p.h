// Private: the machinery of SocketPool::acquireAsync(): the request shared by
// the helper thread and the receiver's side (AsyncAcquire), the event that
// carries the result, and the QObject that receives it in the receiver's
// thread (AcquireRelay).
#pragma once

#include <connpool/qt/socketlease.h>
#include <connpool/qt/socketpool.h>

#include <QtCore/qcoreevent.h>
#include <QtCore/qobject.h>
#include <QtNetwork/qtcpsocket.h>

#include <memory>
#include <mutex>
#include <stop_token>

#include "socketprobe_p.h"

namespace connpool::qt {

/// Orders an acquireAsync() call before its task on the helper thread (see there).
extern std::mutex asyncHandoff;

/// One acquireAsync() in flight, shared by the helper thread and the relay.
struct AsyncAcquire {
  std::mutex mutex;
  QObject* relay = nullptr; // guarded by mutex; null once the relay is gone
  std::stop_source stop;    // cancels the pool wait when the relay goes

  // Helper thread: post the lease to the relay, or, when it is gone, return
  // the socket to the pool right here.
  void deliver(SocketLease lease);
  // Relay's thread: no more deliveries; cancel the wait if still waiting.
  void detach() {
    {
      std::lock_guard lk(mutex);
      relay = nullptr;
    }
    stop.request_stop();
  }
};

class AcquireDoneEvent final : public QEvent {
public:
  static QEvent::Type eventType() {
    static const auto type = static_cast<QEvent::Type>(QEvent::registerEventType());
    return type;
  }
  explicit AcquireDoneEvent(SocketLease l) : QEvent(eventType()), lease(std::move(l)) {}
  SocketLease lease; // its socket is owned by no thread until the relay pulls it
};

/// Lives in the receiver's thread as its child: dies with it (cancelling),
/// and receives the result there.
class AcquireRelay final : public QObject {
public:
  AcquireRelay(std::shared_ptr<AsyncAcquire> op, SocketPool::AcquireCallback callback, QObject* receiver)
      : QObject(receiver), op_(std::move(op)), callback_(std::move(callback)) {}
  ~AcquireRelay() override { op_->detach(); }

protected:
  void customEvent(QEvent* event) override {
    {
      // The helper thread built and posted the event under this mutex: taking
      // it orders all of that before what follows in a way ThreadSanitizer
      // can see (Qt's own event-queue lock is invisible to it).
      std::lock_guard lk(op_->mutex);
    }
    if (event->type() != AcquireDoneEvent::eventType()) return;
    SocketLease lease = std::move(static_cast<AcquireDoneEvent*>(event)->lease);
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
  std::shared_ptr<AsyncAcquire> op_;
  SocketPool::AcquireCallback callback_;
};

} // namespace connpool::qt
