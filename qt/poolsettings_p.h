// SPDX-License-Identifier: MIT
// Private: PoolSettings, what the SocketPool's properties set, and how they
// map onto the pure pool's config at start (makeConfig). The live ones reach
// its setters once running through applyLiveLimit (poollimits_p.h).
#pragma once

#include <connpool/qt/socketpool.h>

#include <QtCore/qstring.h>
#include <QtNetwork/qsslconfiguration.h>

#include <memory>

#include "eventmailbox_p.h"
#include "runningpool_p.h"

namespace connpool::qt {

/// The SocketPool's settings. The copy a pool starts with is frozen
/// (immutable) and shared with the pure pool's callbacks, which may outlive
/// the SocketPool: a lease may be returned after it is gone.
struct PoolSettings {
  QString host;
  quint16 port = 0;
  int maxSize = 4;
  int maxIdle = -1;
  int maxIdleTime = 0;
  int maxAge = 0;
  int healthCheckInterval = 0;
  int healthCheckTimeout = 0;
  int connectTimeout = 5000;
  bool tls = false;
  QSslConfiguration sslConfiguration = QSslConfiguration::defaultConfiguration();
  QString peerVerifyName;
  SocketPool::PingFunction ping;
  // Resilience: warm connections, dial limits, the breaker, retirement pacing, leaks.
  int minIdle = 0;
  int maxSizeLimit = 0;
  int maxConnecting = 0;
  bool backgroundDials = false;
  int backoffInitial = 0;
  int backoffMax = 0;
  int maxAgeJitter = 0;
  double maxRetirementsPerSecond = 0;
  int leakThreshold = 0;
  SocketPool::IdleOrder idleOrder = SocketPool::IdleOrder::Lifo;
  SocketPool::Fairness fairness = SocketPool::Fairness::Bounded;
  int fairnessBound = 1;
};

/// The pure pool's config for `s`. Its factory posts failed connects and its
/// observer the pool's events to `mailbox`; its ping and observer keep
/// `errorLog` current.
connpool::config<SocketHolder> makeConfig(std::shared_ptr<const PoolSettings> s, std::shared_ptr<EventMailbox> mailbox,
                                          std::shared_ptr<ConnectionErrorLog> errorLog);

} // namespace connpool::qt
