// Private: the maintenance thread, which runs the pure pool's maintenance
// passes (expiry, health checks, minIdle) on a QTimer in its own event loop.
// Its start and kick are SocketPoolPrivate members (maintenancedriver.cpp).
#pragma once

import connpool;

namespace connpool::qt {

/// QTimer counts whole milliseconds; never round a due pass down to "off".
int timerMsecs(connpool::duration interval);

} // namespace connpool::qt
