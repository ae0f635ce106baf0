// SPDX-License-Identifier: MIT
// LoadStats: what the load measured, reported by every load thread: acquire
// latencies, completed round trips, and the failures the dashboard logs.
#pragma once

#include <QtCore/qobject.h>
#include <QtCore/qstring.h>

#include <atomic>
#include <mutex>
#include <vector>

namespace connpool::qt {
class SocketLease;
}

/// Lives in the GUI thread; every member function is thread-safe.
class LoadStats : public QObject {
  Q_OBJECT

public:
  explicit LoadStats(QObject* parent = nullptr);

  void recordLatency(qint64 usecs);
  void countRoundTrip();
  /// A failed acquire; `acquireTimeout` (ms) goes into a timeout's text.
  void reportLeaseError(const connpool::qt::SocketLease& lease, int acquireTimeout);
  /// A failure to log: error(text) follows, in this object's thread.
  void reportError(const QString& text);

  /// Acquire latencies (microseconds) recorded since the last call.
  std::vector<qint64> takeLatencies();
  /// Round trips completed so far.
  quint64 roundTrips() const;

Q_SIGNALS:
  /// A lease or echo failure, in this object's thread.
  void error(const QString& text);

private:
  std::mutex latencyMutex_;
  std::vector<qint64> latencies_; // guarded by latencyMutex_
  std::atomic<quint64> roundTrips_{0};
};
