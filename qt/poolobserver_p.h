// Private: the pure pool's events on their way to SocketPool's signals: its
// observer (leaks, the circuit breaker, closed connections) and the report
// of a failed connect, both queued to the SocketPool's thread by the Relay.
#pragma once

#include <memory>

#include "runningpool_p.h"

namespace connpool::qt {

/// The observer handed to the pure pool (config.observer).
std::shared_ptr<connpool::observer> makeObserver(std::shared_ptr<Relay> relay);

/// Queues connectFailed (and sslErrors) for a failed connect.
void reportFailure(Relay& relay, const detail::ConnectFailure& failure);

} // namespace connpool::qt
