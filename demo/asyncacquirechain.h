// SPDX-License-Identifier: MIT
// AsyncAcquireChain: the GUI thread's share of the load. Asynchronous
// acquires one after another (one in flight); each lease gets an echo round
// trip driven by its socket's signals, is held and returned, and after a
// pause the next acquire starts, as a worker thread does with blocking calls.
#pragma once

#include <connpool/qt/socketlease.h>

#include <QtCore/qbytearray.h>
#include <QtCore/qobject.h>

#include <memory>
#include <optional>

namespace connpool::qt {
class SocketPool;
}
struct LoadSettings;
class LoadStats;

/// GUI thread only. `settings` and `stats` must outlive it.
class AsyncAcquireChain {
public:
  AsyncAcquireChain(const LoadSettings& settings, LoadStats& stats);

  bool isEnabled() const;
  /// Starts the chain anew (from the next event loop pass) or stops it.
  void setEnabled(bool enabled);
  /// Chains on `pool` (null: none); what was in flight is dropped.
  void setPool(connpool::qt::SocketPool* pool);

private:
  void restart();
  void step();
  void leased(connpool::qt::SocketLease lease, qint64 usecs, quint64 sequence);
  void echoed(quint64 sequence);
  void next(int msecs);

  const LoadSettings& settings_;
  LoadStats& stats_;
  connpool::qt::SocketPool* pool_ = nullptr;
  bool enabled_ = true;

  // The pending request's and the timers' context: replaced to drop them.
  std::unique_ptr<QObject> context_;
  bool busy_ = false;
  // Tells a callback of the current round from one of a dropped one.
  quint64 sequence_ = 0;
  std::optional<connpool::qt::SocketLease> lease_;
  QByteArray message_;
  QByteArray reply_;
};
