// SPDX-License-Identifier: MIT
// ConnectionInfo: one connection of a SocketPool, as SocketPool::connections()
// reports it (the pure pool's connection_info, in Qt types).
#pragma once

#include <connpool/qt/global.h>

#include <QtCore/qglobal.h>
#include <QtCore/qmetatype.h>
#include <QtCore/qobjectdefs.h>
#include <QtCore/qstring.h>

namespace connpool::qt {

class CONNPOOL_QT_EXPORT ConnectionInfo {
  Q_GADGET

  Q_PROPERTY(quint64 id MEMBER id)
  Q_PROPERTY(QString state MEMBER state)
  Q_PROPERTY(qint64 ageMsecs MEMBER ageMsecs)
  Q_PROPERTY(qint64 idleMsecs MEMBER idleMsecs)
  Q_PROPERTY(quint64 uses MEMBER uses)
  Q_PROPERTY(QString lastError MEMBER lastError)

public:
  /// Unique in its pool, from 1 in creation order; 0 while "creating" (the
  /// connection has no id until the connect succeeds).
  quint64 id = 0;
  /// "idle", "active" (leased), "checking" (being pinged or retired) or "creating".
  QString state;
  qint64 ageMsecs = 0;  ///< since it was created (0 while creating)
  qint64 idleMsecs = 0; ///< since it was last returned, when idle; else 0
  quint64 uses = 0;     ///< leases so far
  /// The last socket error the Qt layer saw on this connection: an error a
  /// borrower's socket carried when returned or discarded, or a failed
  /// probe. Empty when none; forgotten when the connection closes.
  QString lastError;

  friend bool operator==(const ConnectionInfo&, const ConnectionInfo&) = default;
};

} // namespace connpool::qt

Q_DECLARE_METATYPE(connpool::qt::ConnectionInfo)
