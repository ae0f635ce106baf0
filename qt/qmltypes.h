// SPDX-License-Identifier: MIT
// The QML module ConnPool: registers the Qt layer's types for `import
// ConnPool` from the outside (QML_FOREIGN), so connpool_qt itself links only
// Qt Core and Network and a QCoreApplication tool carries no QML.
#pragma once

#include <connpool/qt/connectioninfo.h>
#include <connpool/qt/connectionmodel.h>
#include <connpool/qt/socketpool.h>
#include <connpool/qt/socketpoolstats.h>
#include <connpool/qt/sqlpool.h>

#include <QtQml/qqml.h>

namespace connpool::qt::qml {

struct SocketPoolForeign {
  Q_GADGET
  QML_FOREIGN(connpool::qt::SocketPool)
  QML_NAMED_ELEMENT(SocketPool)
};

struct SqlPoolForeign {
  Q_GADGET
  QML_FOREIGN(connpool::qt::SqlPool)
  QML_NAMED_ELEMENT(SqlPool)
};

struct ConnectionModelForeign {
  Q_GADGET
  QML_FOREIGN(connpool::qt::ConnectionModel)
  QML_NAMED_ELEMENT(ConnectionModel)
};

struct ConnectionInfoForeign {
  Q_GADGET
  QML_FOREIGN(connpool::qt::ConnectionInfo)
  QML_VALUE_TYPE(connectionInfo)
};

struct SocketPoolStatsForeign {
  Q_GADGET
  QML_FOREIGN(connpool::qt::SocketPoolStats)
  QML_VALUE_TYPE(socketPoolStats)
};

} // namespace connpool::qt::qml
