// Private: the settings a pool starts with, and how they map onto the pure
// pool's config (makeConfig) and, for the live ones, onto the running pool
// (SocketPoolPrivate::applyLive).
#pragma once

#include <connpool/qt/socketpool.h>

#include <QtCore/qstring.h>
#include <QtNetwork/qsslconfiguration.h>

#include <memory>

#include "runningpool_p.h"

namespace connpool::qt {

/// The settings a started pool runs with. Frozen (immutable) and shared with
/// the pure pool's callbacks, which may outlive the SocketPool: a lease may be
/// returned after it is gone.
struct Settings {
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
  // Resilience (#7).
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
};

/// The pure pool's config for `s`: its factory, ping and observer report
/// through `relay`.
connpool::config<SocketHolder> makeConfig(std::shared_ptr<const Settings> s, std::shared_ptr<Relay> relay);

} // namespace connpool::qt
