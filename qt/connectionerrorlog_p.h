// SPDX-License-Identifier: MIT
// Private: ConnectionErrorLog, the last socket error seen on each open
// connection, for SocketPool::connections().
#pragma once

#include <QtCore/qstring.h>

#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace connpool::qt {

/// Written by whichever thread sees the error (a borrower returning or
/// discarding its socket, a ping); read by connections() in any thread.
/// Shared with the pure pool's callbacks and the leases, which may outlive
/// the SocketPool.
class ConnectionErrorLog {
public:
  /// Keeps `error` as connection `id`'s last one (ignored when either is empty).
  void note(std::uint64_t id, QString error);
  /// The connection is closed: its entry goes.
  void forget(std::uint64_t id);
  /// Empty when none was seen.
  QString lastError(std::uint64_t id) const;

private:
  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, QString> lastErrors_; // guarded by mutex_; open connections only
};

} // namespace connpool::qt
