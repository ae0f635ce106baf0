// SPDX-License-Identifier: MIT
#include <QtCore/qeventloop.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <utility>

#include "maintenancedriver_p.h"

namespace connpool::qt {

using std::chrono::milliseconds;

int timerMsecs(connpool::duration interval) {
  if (interval <= connpool::duration::zero()) return 0;
  const auto ms = std::max(std::chrono::ceil<milliseconds>(interval), milliseconds(1)).count();
  return static_cast<int>(std::min<decltype(ms)>(ms, std::numeric_limits<int>::max()));
}

MaintenanceDriver::MaintenanceDriver() = default;

MaintenanceDriver::~MaintenanceDriver() { stop(); }

void MaintenanceDriver::kick(Passes passes, std::stop_token stop) {
  std::lock_guard lk(mutex_);
  if (stopped_) return;
  if (!thread_) {
    if (timerMsecs(passes.interval()) > 0)
      startLocked(std::move(passes), std::move(stop)); // its first pass runs at once
    return;
  }
  // Under the lock: the thread clears the pointer (under it) before the timer goes.
  // The slot takes the lock first, so ThreadSanitizer sees the post happen
  // before it (Qt's event-queue lock is invisible to it).
  if (timer_)
    QMetaObject::invokeMethod(
        timer_,
        [this, t = timer_] {
          {
            std::lock_guard lk(mutex_);
          }
          t->start(0);
        },
        Qt::QueuedConnection);
}

void MaintenanceDriver::startLocked(Passes passes, std::stop_token stop) {
  // The pool the passes point to is safe: stop() joins the thread, before
  // the pool goes and before `this` does.
  thread_.reset(QThread::create([this, p = std::move(passes), stop = std::move(stop)] {
    const auto ctx = connpool::context::background().with_stop_token(stop);
    QTimer timer;
    timer.setSingleShot(true);
    QObject::connect(&timer, &QTimer::timeout, [&p, &ctx, &timer] {
      p.maintain(ctx);
      if (const int every = timerMsecs(p.interval())) timer.start(every);
    });
    timer.start(0); // the first pass at once: it makes the minIdle connections
    {
      std::lock_guard lk(mutex_);
      timer_ = &timer;
    }
    QEventLoop loop;
    loop.exec(); // until quit()
    {
      std::lock_guard lk(mutex_);
      timer_ = nullptr;
    }
    done_.store(true, std::memory_order_release);
  }));
  thread_->setObjectName(QStringLiteral("connpool maintenance"));
  thread_->start();
}

void MaintenanceDriver::stop() {
  std::unique_ptr<QThread> thread;
  {
    std::lock_guard lk(mutex_);
    stopped_ = true;
    thread = std::move(thread_);
  }
  if (!thread) return;
  thread->quit();
  thread->wait();
  // wait() already orders the thread's work before ours, but through Qt's
  // futex-based lock that ThreadSanitizer cannot see; this makes it visible.
  (void)done_.load(std::memory_order_acquire);
}

} // namespace connpool::qt
