// Private: the pure pool's numbers in Qt's terms.
#pragma once

#include <connpool/qt/socketpoolstats.h>

#include <QtCore/qglobal.h>

import connpool;

namespace connpool::qt {

/// Whole milliseconds, rounded down.
qint64 toMsecs(connpool::duration d);
/// A snapshot of the pure pool's metrics as SocketPoolStats.
SocketPoolStats toStats(const connpool::metrics& m);

} // namespace connpool::qt
