// SPDX-License-Identifier: MIT
// Test helper: fill a SocketPool with idle sockets that each did one echo.
#pragma once

#include "echo.h"
#include <connpool/qt/socketpool.h>

#include <vector>

/// Leaves `count` idle sockets in `pool`, each having done one echo.
inline bool fillIdle(connpool::qt::SocketPool& pool, int count) {
  std::vector<connpool::qt::SocketLease> leases;
  for (int i = 0; i < count; ++i) {
    leases.push_back(pool.acquire(QDeadlineTimer(10000)));
    if (!leases.back() || !echoBlocking(*leases.back().socket(), "warm up\n")) return false;
  }
  return true; // all returned here, idle
}
