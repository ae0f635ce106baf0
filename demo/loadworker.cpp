#include "loadworker.h"

#include "loadgenerator.h"
#include <connpool/qt/socketpool.h>

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qelapsedtimer.h>
#include <QtNetwork/qtcpsocket.h>

#include <chrono>

using connpool::qt::SocketLease;
using connpool::qt::SocketPool;

LoadWorker::LoadWorker(SocketPool* pool, LoadGenerator* generator, int index)
    : pool_(pool), generator_(generator), index_(index) {
  setObjectName(QStringLiteral("load worker %1").arg(index));
}

LoadWorker::~LoadWorker() {
  requestStop();
  wait();
}

SocketPool* LoadWorker::pool() const { return pool_; }

void LoadWorker::requestStop() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
}

bool LoadWorker::stopping() {
  const std::lock_guard lock(mutex_);
  return stop_;
}

bool LoadWorker::pause(int msecs) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, std::chrono::milliseconds(qMax(0, msecs)), [this] { return stop_; });
  return !stop_;
}

void LoadWorker::run() {
  // After a failure, wait before trying again rather than spin on a dead server.
  constexpr int backoffMs = 250;
  for (quint64 n = 0; !stopping(); ++n) {
    QElapsedTimer clock;
    clock.start();
    SocketLease lease = pool_->acquire(QDeadlineTimer(generator_->acquireTimeout()));
    if (!lease) {
      generator_->reportLeaseError(lease);
      if (!pause(backoffMs)) break;
      continue;
    }
    generator_->recordLatency(clock.nsecsElapsed() / 1000);

    const QByteArray message = QStringLiteral("worker %1 request %2\n").arg(index_).arg(n).toLatin1();
    QString failure;
    if (!LoadGenerator::echo(*lease.socket(), message, &failure)) {
      lease.discard(); // an unfinished exchange is never pooled
      generator_->reportError(QStringLiteral("echo failed (%1): %2").arg(objectName(), failure));
      if (!pause(backoffMs)) break;
      continue;
    }
    generator_->countRoundTrip();
    const bool keepGoing = pause(generator_->holdTime());
    lease.release();
    if (!keepGoing || !pause(generator_->thinkTime())) break;
  }
}
