// SPDX-License-Identifier: MIT
// Private: the pure pool's events on their way to SocketPool's signals: its
// observer (leaks, the circuit breaker, closed connections) and the report
// of a failed connect, both posted to the SocketPool's thread.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>

#include "eventmailbox_p.h"
#include "runningpool_p.h"

namespace connpool::qt {

/// The observer handed to the pure pool (config.observer). Runs in whatever
/// thread the event happens in; only posts, and forgets a closed connection's
/// error.
class PoolObserver final : public connpool::observer {
public:
  PoolObserver(std::shared_ptr<EventMailbox> mailbox, std::shared_ptr<ConnectionErrorLog> errorLog);

  void on_closed(std::uint64_t id, connpool::close_reason) override;
  void on_leak(const connpool::leak_report& r) override;
  void on_circuit_open(std::exception_ptr, connpool::duration) override { postCircuit(true); }
  void on_circuit_closed() override { postCircuit(false); }

private:
  void postCircuit(bool open);
  std::shared_ptr<EventMailbox> mailbox_;
  std::shared_ptr<ConnectionErrorLog> errorLog_;
};

/// Posts connectFailed (and sslErrors) for a failed connect.
void postConnectFailure(EventMailbox& mailbox, const detail::ConnectFailure& failure);

} // namespace connpool::qt
