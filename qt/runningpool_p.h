// SPDX-License-Identifier: MIT
// Private: RunningPool, the started pure pool and what it holds, shared by
// the SocketPool, its leases and the pure pool's callbacks. Imports connpool:
// include it after every other header.
#pragma once

#include "connectionerrorlog_p.h"
#include "socketprobe_p.h"

#include <cstdint>
#include <memory>

import connpool;

namespace connpool::qt {

/// What the pure pool holds: a socket that closes itself in the right thread.
struct SocketHolder {
  detail::SocketPtr socket;
  /// The pure pool's connection id (lease::id()), copied here on every lease
  /// so that pings, which see only the holder, can log errors under it; 0
  /// until the first lease.
  std::uint64_t id = 0;
};

/// The started pool. Shared by the SocketPool and every lease, so a lease can
/// still be returned or discarded after the SocketPool is destroyed.
struct RunningPool {
  std::unique_ptr<connpool::pool<SocketHolder>> pool;
  std::shared_ptr<ConnectionErrorLog> errorLog;
};

} // namespace connpool::qt
