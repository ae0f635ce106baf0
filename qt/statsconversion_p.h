// SPDX-License-Identifier: MIT
// Private: the pure pool's snapshots (metrics, connections) in Qt's terms.
#pragma once

#include <connpool/qt/connectioninfo.h>
#include <connpool/qt/socketpoolstats.h>

#include <QtCore/qglobal.h>
#include <QtCore/qstring.h>

#include <chrono>

import connpool;

namespace connpool::qt {

/// Whole milliseconds, rounded down.
qint64 toMsecs(connpool::duration d);
/// A snapshot of the pure pool's metrics as SocketPoolStats.
SocketPoolStats toStats(const connpool::metrics& m);
/// One connection of the pure pool's connections() as ConnectionInfo, its
/// ages measured at `now` (the pool's clock).
ConnectionInfo toConnectionInfo(const connpool::connection_info& c, std::chrono::steady_clock::time_point now,
                                QString lastError);

} // namespace connpool::qt
