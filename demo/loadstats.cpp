// SPDX-License-Identifier: MIT
#include "loadstats.h"

#include <connpool/qt/socketlease.h>

using connpool::qt::SocketLease;

LoadStats::LoadStats(QObject* parent) : QObject(parent) {}

void LoadStats::recordLatency(qint64 usecs) {
  const std::lock_guard lock(latencyMutex_);
  latencies_.push_back(usecs);
}

void LoadStats::countRoundTrip() { ++roundTrips_; }

void LoadStats::reportLeaseError(const SocketLease& lease, int acquireTimeout) {
  switch (lease.error()) {
  case SocketLease::Error::Timeout:
    reportError(QStringLiteral("acquire timed out after %1 ms (pool exhausted)").arg(acquireTimeout));
    break;
  case SocketLease::Error::PoolClosed: reportError(QStringLiteral("acquire failed: pool closed")); break;
  // Reported by the pool's connectFailed signal; cancellations are ours.
  case SocketLease::Error::ConnectFailed:
  case SocketLease::Error::Cancelled:
  case SocketLease::Error::NoError: break;
  }
}

void LoadStats::reportError(const QString& text) {
  QMetaObject::invokeMethod(this, [this, text] { emit error(text); }, Qt::QueuedConnection);
}

std::vector<qint64> LoadStats::takeLatencies() {
  std::vector<qint64> taken;
  const std::lock_guard lock(latencyMutex_);
  taken.swap(latencies_);
  return taken;
}

quint64 LoadStats::roundTrips() const { return roundTrips_.load(); }
