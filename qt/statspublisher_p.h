// SPDX-License-Identifier: MIT
// Private: the per-property NOTIFY signals and statsChanged of a pool object
// (SocketPool, SqlPool: the same statistics properties), emitted for the
// change from one published snapshot to the next.
#pragma once

#include <connpool/qt/socketpoolstats.h>

namespace connpool::qt {

/// Emits each changed property's signal, then statsChanged(now). Nothing
/// when nothing changed. In q's thread.
template <class Q> void emitStatsChange(Q* q, const SocketPoolStats& old, const SocketPoolStats& now) {
  if (old == now) return;
  if (old.openCount != now.openCount) emit q->openCountChanged(now.openCount);
  if (old.idleCount != now.idleCount) emit q->idleCountChanged(now.idleCount);
  if (old.activeCount != now.activeCount) emit q->activeCountChanged(now.activeCount);
  if (old.waitingCount != now.waitingCount) emit q->waitingCountChanged(now.waitingCount);
  if (old.gets != now.gets) emit q->getsChanged(now.gets);
  if (old.puts != now.puts) emit q->putsChanged(now.puts);
  if (old.discards != now.discards) emit q->discardsChanged(now.discards);
  if (old.hits != now.hits) emit q->hitsChanged(now.hits);
  if (old.misses != now.misses) emit q->missesChanged(now.misses);
  if (old.waits != now.waits) emit q->waitsChanged(now.waits);
  if (old.timeouts != now.timeouts) emit q->timeoutsChanged(now.timeouts);
  if (old.pingFailures != now.pingFailures) emit q->pingFailuresChanged(now.pingFailures);
  if (old.idleClosed != now.idleClosed) emit q->idleClosedChanged(now.idleClosed);
  if (old.ageClosed != now.ageClosed) emit q->ageClosedChanged(now.ageClosed);
  if (old.factoryFailures != now.factoryFailures) emit q->factoryFailuresChanged(now.factoryFailures);
  if (old.closeTimeouts != now.closeTimeouts) emit q->closeTimeoutsChanged(now.closeTimeouts);
  if (old.maxActive != now.maxActive) emit q->maxActiveChanged(now.maxActive);
  emit q->statsChanged(now);
}

} // namespace connpool::qt
