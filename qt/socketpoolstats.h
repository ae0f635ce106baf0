// SocketPoolStats: one consistent snapshot of a SocketPool's gauges and
// counters (the pure pool's connpool::metrics, in Qt types).
#pragma once

#include <QtCore/qglobal.h>
#include <QtCore/qmetatype.h>
#include <QtCore/qobjectdefs.h>
#include <QtQmlIntegration/qqmlintegration.h>

namespace connpool::qt {

class SocketPoolStats {
  Q_GADGET
  QML_VALUE_TYPE(socketPoolStats)

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

public:
  // Gauges.
  int openCount = 0;    ///< idle + active + being connected or health-checked
  int idleCount = 0;    ///< connected and ready in the pool
  int activeCount = 0;  ///< leased out
  int waitingCount = 0; ///< acquires blocked at maxSize right now
  // The origin's counters.
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

  friend bool operator==(const SocketPoolStats&, const SocketPoolStats&) = default;
};

} // namespace connpool::qt

Q_DECLARE_METATYPE(connpool::qt::SocketPoolStats)
