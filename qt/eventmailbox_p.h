// SPDX-License-Identifier: MIT
// Private: EventMailbox, which carries the pure pool's events from any thread
// to the SocketPool's (or SqlPool's) thread, where they become signals.
#pragma once

#include <connpool/qt/socketpool.h>

#include <QtCore/qobject.h>

#include <mutex>
#include <utility>

namespace connpool::qt {

/// Posts work to run in the pool object's thread. Shared with the pure pool's
/// callbacks, which may run after the pool object is gone: then nothing runs.
template <class Q> class BasicEventMailbox {
public:
  explicit BasicEventMailbox(Q* q) : q_(q) {}

  /// Runs `f(q)` in q's thread later, unless q is gone by then.
  template <class F> void post(F f) {
    std::lock_guard lk(mutex_);
    if (!q_) return;
    // Posted under mutex_, and the slot takes it first: ThreadSanitizer sees
    // the order (Qt's own event-queue lock is invisible to it).
    QMetaObject::invokeMethod(
        q_,
        [this, q = q_, f = std::move(f)] {
          {
            std::lock_guard lk(mutex_);
          }
          f(q);
        },
        Qt::QueuedConnection);
  }
  /// q's thread, while q is being destroyed: no more posts.
  void detach() {
    std::lock_guard lk(mutex_);
    q_ = nullptr;
  }

private:
  std::mutex mutex_;
  Q* q_; // guarded by mutex_; null once q is gone
};

using EventMailbox = BasicEventMailbox<SocketPool>;

} // namespace connpool::qt
