// Private: the started pool and what it holds, shared by the SocketPool, its
// leases and the pure pool's callbacks. Includes `import connpool;`: include
// it after every other header.
#pragma once

#include "socketprobe_p.h"

#include <cstdint>
#include <memory>

import connpool;

namespace connpool::qt {

class Relay;

/// What the pure pool holds: a socket that closes itself in the right thread.
struct SocketHolder {
  detail::SocketPtr socket;
  std::uint64_t id = 0; ///< the pure pool's connection id, learnt at its first lease (0 until then: pings report it)
};

/// The started pool. Shared by the SocketPool and every lease, so a lease can
/// still be returned or discarded after the SocketPool is destroyed.
struct Engine {
  std::unique_ptr<connpool::pool<SocketHolder>> pool;
  std::shared_ptr<Relay> relay;
};

} // namespace connpool::qt
