#include <QtCore/qeventloop.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <mutex>

#include "maintenancedriver_p.h"
#include "socketpool_p.h"

namespace connpool::qt {

using std::chrono::milliseconds;

int timerMsecs(connpool::duration interval) {
  if (interval <= connpool::duration::zero()) return 0;
  const auto ms = std::max(std::chrono::ceil<milliseconds>(interval), milliseconds(1)).count();
  return static_cast<int>(std::min<decltype(ms)>(ms, std::numeric_limits<int>::max()));
}

void SocketPoolPrivate::startMaintenanceLocked(Engine& started) {
  // Each pass re-reads maintenance_interval(), which live settings change;
  // kickMaintenance() runs one at once. The raw pointers are safe: the
  // thread is joined before `engine` goes, and `this` outlives it (shutDown).
  maintenance.reset(QThread::create([this, e = &started, token = shutdown.get_token()] {
    const auto ctx = connpool::context::background().with_stop_token(token);
    QTimer timer;
    timer.setSingleShot(true);
    QObject::connect(&timer, &QTimer::timeout, [e, &ctx, &timer] {
      e->pool->maintain(ctx);
      if (const int every = timerMsecs(e->pool->maintenance_interval())) timer.start(every);
    });
    timer.start(0); // the first pass at once: it makes the minIdle connections
    {
      std::lock_guard lk(mutex);
      maintenanceTimer = &timer;
    }
    QEventLoop loop;
    loop.exec(); // until quit()
    {
      std::lock_guard lk(mutex);
      maintenanceTimer = nullptr;
    }
    maintenanceDone.store(true, std::memory_order_release);
  }));
  maintenance->setObjectName(QStringLiteral("connpool maintenance"));
  maintenance->start();
}

void SocketPoolPrivate::kickMaintenance() {
  std::lock_guard lk(mutex);
  if (!maintenance) {
    if (engine && !shuttingDown && timerMsecs(engine->pool->maintenance_interval()) > 0)
      startMaintenanceLocked(*engine); // its first pass runs at once
    return;
  }
  // Under the lock: the thread clears the pointer (under it) before the timer goes.
  // The slot takes the lock first, so ThreadSanitizer sees the post happen
  // before it (Qt's event-queue lock is invisible to it).
  if (maintenanceTimer)
    QMetaObject::invokeMethod(
        maintenanceTimer,
        [this, t = maintenanceTimer] {
          {
            std::lock_guard lk(mutex);
          }
          t->start(0);
        },
        Qt::QueuedConnection);
}

} // namespace connpool::qt
