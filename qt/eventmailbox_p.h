// Private: carries the pure pool's events from any thread to the
// SocketPool's thread.
#pragma once

#include <connpool/qt/socketpool.h>

#include <QtCore/qstring.h>

#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace connpool::qt {

/// Carries the pool's events from any thread to the SocketPool's thread, and
/// keeps the last socket error seen per connection. Shared with the pure
/// pool's callbacks, which may run after the SocketPool is gone.
class Relay {
public:
  explicit Relay(SocketPool* q) : q_(q) {}

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

  void noteError(std::uint64_t id, QString error) {
    if (id == 0 || error.isEmpty()) return;
    std::lock_guard lk(mutex_);
    lastErrors_[id] = std::move(error);
  }
  void forget(std::uint64_t id) {
    std::lock_guard lk(mutex_);
    lastErrors_.erase(id);
  }
  QString lastError(std::uint64_t id) const {
    std::lock_guard lk(mutex_);
    const auto it = lastErrors_.find(id);
    return it == lastErrors_.end() ? QString() : it->second;
  }

private:
  mutable std::mutex mutex_;
  SocketPool* q_;                                         // guarded by mutex_; null once q is gone
  std::unordered_map<std::uint64_t, QString> lastErrors_; // guarded by mutex_; open connections only
};

} // namespace connpool::qt
