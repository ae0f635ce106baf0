// SPDX-License-Identifier: MIT
// LoadWorker: one load thread. It leases a socket (blocking acquire), does an
// echo round trip, holds the socket, returns it, pauses, and again, until
// asked to stop.
#pragma once

#include <QtCore/qthread.h>

#include <condition_variable>
#include <mutex>

namespace connpool::qt {
class SocketPool;
}
struct LoadSettings;
class LoadStats;

class LoadWorker : public QThread {
  Q_OBJECT

public:
  /// `pool`, `settings` and `stats` must outlive the thread's run (the load
  /// generator waits for it before any of them goes away).
  LoadWorker(connpool::qt::SocketPool* pool, const LoadSettings& settings, LoadStats& stats, int index);
  ~LoadWorker() override;

  connpool::qt::SocketPool* pool() const;
  /// Thread-safe; the worker finishes its current step and returns.
  void requestStop();

protected:
  void run() override;

private:
  /// Waits up to `msecs`; false when a stop was requested.
  bool pause(int msecs);
  bool stopping();

  connpool::qt::SocketPool* pool_;
  const LoadSettings& settings_;
  LoadStats& stats_;
  int index_;
  // Standard (not Qt) primitives: QWaitCondition unlocks the mutex inside
  // uninstrumented Qt code, which ThreadSanitizer reports as a double lock.
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
};
