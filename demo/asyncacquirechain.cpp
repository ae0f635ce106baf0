// SPDX-License-Identifier: MIT
#include "asyncacquirechain.h"

#include "loadsettings.h"
#include "loadstats.h"
#include <connpool/qt/socketpool.h>

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qtcpsocket.h>

using connpool::qt::SocketLease;
using connpool::qt::SocketPool;

namespace {
// After a failure the chain waits this long before its next acquire.
constexpr int backoffMs = 250;
} // namespace

AsyncAcquireChain::AsyncAcquireChain(const LoadSettings& settings, LoadStats& stats)
    : settings_(settings), stats_(stats), context_(std::make_unique<QObject>()) {}

bool AsyncAcquireChain::isEnabled() const { return enabled_; }

void AsyncAcquireChain::setEnabled(bool enabled) {
  enabled_ = enabled;
  restart();
}

void AsyncAcquireChain::setPool(SocketPool* pool) {
  pool_ = pool;
  restart();
}

void AsyncAcquireChain::restart() {
  // Destroying the context cancels its pending request and timers.
  context_ = std::make_unique<QObject>();
  ++sequence_;
  lease_.reset(); // GUI thread: the socket's own thread
  busy_ = false;
  if (enabled_) QTimer::singleShot(0, context_.get(), [this] { step(); });
}

void AsyncAcquireChain::step() {
  if (!enabled_ || !pool_ || busy_) return;
  busy_ = true;
  const quint64 sequence = ++sequence_;
  QElapsedTimer clock;
  clock.start();
  pool_->acquireAsync(
      context_.get(),
      [this, clock, sequence](SocketLease lease) { leased(std::move(lease), clock.nsecsElapsed() / 1000, sequence); },
      QDeadlineTimer(settings_.acquireTimeout.load()));
}

void AsyncAcquireChain::leased(SocketLease lease, qint64 usecs, quint64 sequence) {
  if (sequence != sequence_) return; // stale: the lease goes back
  if (!lease) {
    stats_.reportLeaseError(lease, settings_.acquireTimeout.load());
    next(backoffMs);
    return;
  }
  stats_.recordLatency(usecs);
  lease_.emplace(std::move(lease));
  QTcpSocket* socket = lease_->socket();
  message_ = QStringLiteral("gui request %1\n").arg(sequence).toLatin1();
  reply_.clear();
  // Dropped by the pool when the socket is returned.
  QObject::connect(socket, &QIODevice::readyRead, context_.get(), [this, socket, sequence] {
    reply_ += socket->readAll();
    if (reply_.size() >= message_.size()) echoed(sequence);
  });
  QTimer::singleShot(LoadSettings::echoTimeout, context_.get(), [this, sequence] {
    if (sequence != sequence_ || !lease_ || reply_.size() >= message_.size()) return;
    lease_->discard();
    lease_.reset();
    stats_.reportError(
        QStringLiteral("echo failed (GUI thread): no reply within %1 ms").arg(LoadSettings::echoTimeout));
    next(backoffMs);
  });
  socket->write(message_);
}

void AsyncAcquireChain::echoed(quint64 sequence) {
  if (reply_.left(message_.size()) != message_) {
    lease_->discard();
    lease_.reset();
    stats_.reportError(QStringLiteral("echo failed (GUI thread): wrong reply"));
    next(backoffMs);
    return;
  }
  stats_.countRoundTrip();
  QTimer::singleShot(settings_.holdTime.load(), context_.get(), [this, sequence] {
    if (sequence != sequence_) return;
    lease_.reset(); // back to the pool
    next(settings_.thinkTime.load());
  });
}

void AsyncAcquireChain::next(int msecs) {
  const quint64 sequence = sequence_;
  QTimer::singleShot(msecs, context_.get(), [this, sequence] {
    if (sequence != sequence_) return;
    busy_ = false;
    step();
  });
}
