// LoadWorker: one load-generator thread. It leases a socket (blocking
// acquire), does an echo round trip, holds the socket, returns it, pauses,
// and again, until asked to stop.
#pragma once

#include <QtCore/qmutex.h>
#include <QtCore/qthread.h>
#include <QtCore/qwaitcondition.h>

namespace connpool::qt {
class SocketPool;
}
class LoadGenerator;

class LoadWorker : public QThread {
  Q_OBJECT

public:
  /// `pool` and `generator` must outlive the thread's run (the generator
  /// waits for it before either goes away).
  LoadWorker(connpool::qt::SocketPool* pool, LoadGenerator* generator, int index);
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
  LoadGenerator* generator_;
  int index_;
  QMutex mutex_;
  QWaitCondition wake_;
  bool stop_ = false;
};
