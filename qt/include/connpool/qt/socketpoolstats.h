// SPDX-License-Identifier: MIT
// SocketPoolStats: one consistent snapshot of a SocketPool's gauges and
// counters (the pure pool's connpool::metrics, in Qt types).
#pragma once

#include <connpool/qt/global.h>

#include <QtCore/qglobal.h>
#include <QtCore/qmetatype.h>
#include <QtCore/qobjectdefs.h>

namespace connpool::qt {

class CONNPOOL_QT_EXPORT SocketPoolStats {
  Q_GADGET

  Q_PROPERTY(int openCount MEMBER openCount)
  Q_PROPERTY(int idleCount MEMBER idleCount)
  Q_PROPERTY(int activeCount MEMBER activeCount)
  Q_PROPERTY(int waitingCount MEMBER waitingCount)
  Q_PROPERTY(quint64 gets MEMBER gets)
  Q_PROPERTY(quint64 puts MEMBER puts)
  Q_PROPERTY(quint64 discards MEMBER discards)
  Q_PROPERTY(quint64 hits MEMBER hits)
  Q_PROPERTY(quint64 misses MEMBER misses)
  Q_PROPERTY(quint64 waits MEMBER waits)
  Q_PROPERTY(quint64 timeouts MEMBER timeouts)
  Q_PROPERTY(quint64 pingFailures MEMBER pingFailures)
  Q_PROPERTY(quint64 idleClosed MEMBER idleClosed)
  Q_PROPERTY(quint64 ageClosed MEMBER ageClosed)
  Q_PROPERTY(quint64 factoryFailures MEMBER factoryFailures)
  Q_PROPERTY(quint64 closeTimeouts MEMBER closeTimeouts)
  Q_PROPERTY(quint64 maxActive MEMBER maxActive)
  Q_PROPERTY(quint64 cancellations MEMBER cancellations)
  Q_PROPERTY(quint64 created MEMBER created)
  Q_PROPERTY(quint64 closed MEMBER closed)
  Q_PROPERTY(quint64 closeErrors MEMBER closeErrors)
  Q_PROPERTY(quint64 closedIdleTime MEMBER closedIdleTime)
  Q_PROPERTY(quint64 closedMaxAge MEMBER closedMaxAge)
  Q_PROPERTY(quint64 closedPingFailed MEMBER closedPingFailed)
  Q_PROPERTY(quint64 closedDiscarded MEMBER closedDiscarded)
  Q_PROPERTY(quint64 closedIdleOverflow MEMBER closedIdleOverflow)
  Q_PROPERTY(quint64 closedPoolClosed MEMBER closedPoolClosed)
  Q_PROPERTY(quint64 closedDrained MEMBER closedDrained)
  Q_PROPERTY(quint64 closedResized MEMBER closedResized)
  Q_PROPERTY(quint64 leaksSuspected MEMBER leaksSuspected)
  Q_PROPERTY(quint64 circuitOpens MEMBER circuitOpens)
  Q_PROPERTY(quint64 circuitRejects MEMBER circuitRejects)
  Q_PROPERTY(quint64 observerErrors MEMBER observerErrors)
  Q_PROPERTY(quint64 overtaken MEMBER overtaken)
  Q_PROPERTY(int creatingCount MEMBER creatingCount)
  Q_PROPERTY(int currentMaxSize MEMBER currentMaxSize)
  Q_PROPERTY(int currentMaxIdle MEMBER currentMaxIdle)
  Q_PROPERTY(bool circuitOpen MEMBER circuitOpen)
  Q_PROPERTY(qint64 waitP50Usecs MEMBER waitP50Usecs)
  Q_PROPERTY(qint64 waitP90Usecs MEMBER waitP90Usecs)
  Q_PROPERTY(qint64 waitP99Usecs MEMBER waitP99Usecs)
  Q_PROPERTY(qint64 waitMaxUsecs MEMBER waitMaxUsecs)
  Q_PROPERTY(quint64 waitCount MEMBER waitCount)
  Q_PROPERTY(qint64 createP50Usecs MEMBER createP50Usecs)
  Q_PROPERTY(qint64 createP90Usecs MEMBER createP90Usecs)
  Q_PROPERTY(qint64 createP99Usecs MEMBER createP99Usecs)
  Q_PROPERTY(qint64 createMaxUsecs MEMBER createMaxUsecs)
  Q_PROPERTY(quint64 createCount MEMBER createCount)
  Q_PROPERTY(qint64 holdP50Usecs MEMBER holdP50Usecs)
  Q_PROPERTY(qint64 holdP90Usecs MEMBER holdP90Usecs)
  Q_PROPERTY(qint64 holdP99Usecs MEMBER holdP99Usecs)
  Q_PROPERTY(qint64 holdMaxUsecs MEMBER holdMaxUsecs)
  Q_PROPERTY(quint64 holdCount MEMBER holdCount)
  Q_PROPERTY(qint64 pingP50Usecs MEMBER pingP50Usecs)
  Q_PROPERTY(qint64 pingP90Usecs MEMBER pingP90Usecs)
  Q_PROPERTY(qint64 pingP99Usecs MEMBER pingP99Usecs)
  Q_PROPERTY(qint64 pingMaxUsecs MEMBER pingMaxUsecs)
  Q_PROPERTY(quint64 pingCount MEMBER pingCount)

public:
  // Gauges.
  int openCount = 0;    ///< idle + active + being connected or health-checked
  int idleCount = 0;    ///< connected and ready in the pool
  int activeCount = 0;  ///< leased out
  int waitingCount = 0; ///< acquires blocked at maxSize right now
  // The counters Go's connpool keeps too (each also a SocketPool property).
  quint64 gets = 0;
  quint64 puts = 0;
  quint64 discards = 0;
  quint64 hits = 0;
  quint64 misses = 0;
  quint64 waits = 0;
  quint64 timeouts = 0;
  quint64 pingFailures = 0;
  quint64 idleClosed = 0;
  quint64 ageClosed = 0;
  quint64 factoryFailures = 0;
  quint64 closeTimeouts = 0;
  quint64 maxActive = 0;
  // The C++ pool's additions.
  quint64 cancellations = 0;
  quint64 created = 0;
  quint64 closed = 0;
  quint64 closeErrors = 0;
  // Closes by reason (they sum to `closed`): the pure pool's close_reason.
  quint64 closedIdleTime = 0;     ///< idle longer than maxIdleTime
  quint64 closedMaxAge = 0;       ///< older than maxAge (minus its jitter)
  quint64 closedPingFailed = 0;   ///< probe or ping failed
  quint64 closedDiscarded = 0;    ///< discarded (also: returned unusable)
  quint64 closedIdleOverflow = 0; ///< returned while maxIdle were idle
  quint64 closedPoolClosed = 0;   ///< the pool was destroyed
  quint64 closedDrained = 0;      ///< retired by drain()
  quint64 closedResized = 0;      ///< closed to shrink maxSize / maxIdle
  // Resilience and observability.
  quint64 leaksSuspected = 0; ///< leases held past leakThreshold
  quint64 circuitOpens = 0;   ///< times the circuit breaker opened
  quint64 circuitRejects = 0; ///< acquires failed fast while it was open
  quint64 observerErrors = 0; ///< observer callbacks that threw
  quint64 overtaken = 0;      ///< Bounded fairness: the first waiter woke to a return a running caller took first
  int creatingCount = 0;      ///< connects running now
  int currentMaxSize = 0;     ///< the pool's limit now (0 before it starts)
  int currentMaxIdle = 0;     ///< the pool's idle limit now
  bool circuitOpen = false;   ///< acquires that need a new connection fail fast
  // Latency percentiles in microseconds (histogram buckets: within 12.5%):
  // wait = acquire until a socket is in hand; create = one connect (failed
  // ones too); hold = lease held; ping = one probe of an idle socket.
  qint64 waitP50Usecs = 0, waitP90Usecs = 0, waitP99Usecs = 0, waitMaxUsecs = 0;
  qint64 createP50Usecs = 0, createP90Usecs = 0, createP99Usecs = 0, createMaxUsecs = 0;
  qint64 holdP50Usecs = 0, holdP90Usecs = 0, holdP99Usecs = 0, holdMaxUsecs = 0;
  qint64 pingP50Usecs = 0, pingP90Usecs = 0, pingP99Usecs = 0, pingMaxUsecs = 0;
  quint64 waitCount = 0, createCount = 0, holdCount = 0, pingCount = 0; ///< values recorded

  friend bool operator==(const SocketPoolStats&, const SocketPoolStats&) = default;
};

} // namespace connpool::qt

Q_DECLARE_METATYPE(connpool::qt::SocketPoolStats)
