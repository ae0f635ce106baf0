// SPDX-License-Identifier: MIT
#include "loadworker.h"

#include "loadsettings.h"
#include "loadstats.h"
#include <connpool/qt/socketpool.h>

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qelapsedtimer.h>
#include <QtNetwork/qtcpsocket.h>

#include <chrono>

using connpool::qt::SocketLease;
using connpool::qt::SocketPool;

namespace {

// One blocking echo round trip; false (with the reason) on failure.
bool echo(QTcpSocket& socket, const QByteArray& message, QString* failure) {
  if (socket.write(message) != message.size()) {
    *failure = socket.errorString();
    return false;
  }
  const QDeadlineTimer deadline(LoadSettings::echoTimeout);
  QByteArray echoed;
  while (echoed.size() < message.size()) {
    if (socket.bytesAvailable() == 0 && !socket.waitForReadyRead(static_cast<int>(deadline.remainingTime()))) {
      *failure = deadline.hasExpired() ? QStringLiteral("no reply within %1 ms").arg(LoadSettings::echoTimeout)
                                       : socket.errorString();
      return false;
    }
    echoed += socket.read(message.size() - echoed.size());
  }
  if (echoed != message) *failure = QStringLiteral("wrong reply");
  return echoed == message;
}

} // namespace

LoadWorker::LoadWorker(SocketPool* pool, const LoadSettings& settings, LoadStats& stats, int index)
    : pool_(pool), settings_(settings), stats_(stats), index_(index) {
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
    SocketLease lease = pool_->acquire(QDeadlineTimer(settings_.acquireTimeout.load()));
    if (!lease) {
      stats_.reportLeaseError(lease, settings_.acquireTimeout.load());
      if (!pause(backoffMs)) break;
      continue;
    }
    stats_.recordLatency(clock.nsecsElapsed() / 1000);

    const QByteArray message = QStringLiteral("worker %1 request %2\n").arg(index_).arg(n).toLatin1();
    QString failure;
    if (!echo(*lease.socket(), message, &failure)) {
      lease.discard(); // an unfinished exchange is never pooled
      stats_.reportError(QStringLiteral("echo failed (%1): %2").arg(objectName(), failure));
      if (!pause(backoffMs)) break;
      continue;
    }
    stats_.countRoundTrip();
    const bool keepGoing = pause(settings_.holdTime.load());
    lease.release();
    if (!keepGoing || !pause(settings_.thinkTime.load())) break;
  }
}
