// SPDX-License-Identifier: MIT
// SocketPool's QObject face: constructors, property accessors and the entry
// points, each a few lines over SocketPoolPrivate. The Qt layer's parts, one
// pair of files each (the _p ones private, never installed):
//   socketpool_p.h/.cpp      SocketPoolPrivate: start, blocking acquire, close
//   poolobject_p.h           PoolObjectPrivate, its base (shared with SqlPool):
//                            settings, live settings, stats publication, the
//                            members that only read the running pool
//   poolsettings_p.h/.cpp    PoolSettings; makeConfig (settings -> the pure
//                            pool's config)
//   poollimits_p.h           the pool settings shared with SqlPool, mapped
//                            onto the pure pool's config and setters
//   statspublisher_p.h       the stats NOTIFY signals (shared with SqlPool)
//   runningpool_p.h          RunningPool and SocketHolder, shared with leases
//   pooledlease_p.h/.cpp     PooledLease (return, discard, deferred returns),
//                            failedLease
//   asyncacquire_p.h/.cpp    acquireAsync's request, result event and proxy
//   eventmailbox_p.h         EventMailbox: any thread -> the SocketPool's thread
//   poolobserver_p.h/.cpp    PoolObserver and postConnectFailure: the pure
//                            pool's events into the mailbox
//   connectionerrorlog_p.h/.cpp  the last socket error per connection
//   maintenancedriver_p.h/.cpp   the maintenance QThread
//   statsconversion_p.h/.cpp     metrics -> SocketPoolStats, connection_info ->
//                                ConnectionInfo
//   socketprobe_p.h/.cpp     one socket: connect, probe, thread moves, close
//   socketlease.cpp, socketlease_p.h  the SocketLease handle and its base
// Private headers that import connpool come after every other include.
#include <connpool/qt/socketpool.h>

#include <QtCore/qlogging.h>
#include <QtCore/qthread.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <source_location>
#include <system_error>
#include <utility>

#include "asyncacquire_p.h"
#include "pooledlease_p.h"
#include "socketpool_p.h"
#include "statsconversion_p.h"

namespace connpool::qt {

SocketPool::SocketPool(QObject* parent) : QObject(parent), d(std::make_unique<SocketPoolPrivate>(this)) {}

SocketPool::SocketPool(const QString& host, quint16 port, QObject* parent) : SocketPool(parent) {
  d->settings.host = host;
  d->settings.port = port;
}

SocketPool::~SocketPool() { d->close(); }

QString SocketPool::host() const { return d->read(&PoolSettings::host); }
void SocketPool::setHost(const QString& host) { d->setFixed(&PoolSettings::host, host, "host"); }
int SocketPool::port() const { return d->read(&PoolSettings::port); }
void SocketPool::setPort(int port) {
  if (port < 0 || port > 65535) {
    qWarning("connpool::qt::SocketPool: port %d out of range; ignored", port);
    return;
  }
  d->setFixed(&PoolSettings::port, static_cast<quint16>(port), "port");
}
int SocketPool::maxSize() const { return d->read(&PoolSettings::maxSize); }
void SocketPool::setMaxSize(int maxSize) { d->setLive(&PoolSettings::maxSize, maxSize, "maxSize"); }
int SocketPool::maxIdle() const { return d->read(&PoolSettings::maxIdle); }
void SocketPool::setMaxIdle(int maxIdle) { d->setLive(&PoolSettings::maxIdle, maxIdle, "maxIdle"); }
int SocketPool::maxIdleTime() const { return d->read(&PoolSettings::maxIdleTime); }
void SocketPool::setMaxIdleTime(int msecs) { d->setLive(&PoolSettings::maxIdleTime, msecs, "maxIdleTime"); }
int SocketPool::maxAge() const { return d->read(&PoolSettings::maxAge); }
void SocketPool::setMaxAge(int msecs) { d->setLive(&PoolSettings::maxAge, msecs, "maxAge"); }
int SocketPool::healthCheckInterval() const { return d->read(&PoolSettings::healthCheckInterval); }
void SocketPool::setHealthCheckInterval(int msecs) {
  d->setLive(&PoolSettings::healthCheckInterval, msecs, "healthCheckInterval");
}
int SocketPool::healthCheckTimeout() const { return d->read(&PoolSettings::healthCheckTimeout); }
void SocketPool::setHealthCheckTimeout(int msecs) {
  d->setFixed(&PoolSettings::healthCheckTimeout, msecs, "healthCheckTimeout");
}
int SocketPool::connectTimeout() const { return d->read(&PoolSettings::connectTimeout); }
void SocketPool::setConnectTimeout(int msecs) { d->setFixed(&PoolSettings::connectTimeout, msecs, "connectTimeout"); }
bool SocketPool::isTlsEnabled() const { return d->read(&PoolSettings::tls); }
void SocketPool::setTlsEnabled(bool enabled) { d->setFixed(&PoolSettings::tls, enabled, "tlsEnabled"); }
QSslConfiguration SocketPool::sslConfiguration() const { return d->read(&PoolSettings::sslConfiguration); }
void SocketPool::setSslConfiguration(const QSslConfiguration& configuration) {
  d->setFixed(&PoolSettings::sslConfiguration, configuration, "sslConfiguration");
}
void SocketPool::setCaCertificates(const QList<QSslCertificate>& certificates) {
  QSslConfiguration configuration = sslConfiguration();
  configuration.setCaCertificates(certificates);
  setSslConfiguration(configuration);
}
QString SocketPool::peerVerifyName() const { return d->read(&PoolSettings::peerVerifyName); }
void SocketPool::setPeerVerifyName(const QString& name) {
  d->setFixed(&PoolSettings::peerVerifyName, name, "peerVerifyName");
}
int SocketPool::minIdle() const { return d->read(&PoolSettings::minIdle); }
void SocketPool::setMinIdle(int count) {
  d->setLive(&PoolSettings::minIdle, count, "minIdle");
  if (count > 0 && !isStarted()) d->startSoon();
}
int SocketPool::maxSizeLimit() const { return d->read(&PoolSettings::maxSizeLimit); }
void SocketPool::setMaxSizeLimit(int limit) { d->setFixed(&PoolSettings::maxSizeLimit, limit, "maxSizeLimit"); }
int SocketPool::maxConnecting() const { return d->read(&PoolSettings::maxConnecting); }
void SocketPool::setMaxConnecting(int count) { d->setFixed(&PoolSettings::maxConnecting, count, "maxConnecting"); }
bool SocketPool::backgroundDials() const { return d->read(&PoolSettings::backgroundDials); }
void SocketPool::setBackgroundDials(bool enabled) {
  d->setFixed(&PoolSettings::backgroundDials, enabled, "backgroundDials");
}
int SocketPool::backoffInitial() const { return d->read(&PoolSettings::backoffInitial); }
void SocketPool::setBackoffInitial(int msecs) { d->setFixed(&PoolSettings::backoffInitial, msecs, "backoffInitial"); }
int SocketPool::backoffMax() const { return d->read(&PoolSettings::backoffMax); }
void SocketPool::setBackoffMax(int msecs) { d->setFixed(&PoolSettings::backoffMax, msecs, "backoffMax"); }
int SocketPool::maxAgeJitter() const { return d->read(&PoolSettings::maxAgeJitter); }
void SocketPool::setMaxAgeJitter(int msecs) { d->setFixed(&PoolSettings::maxAgeJitter, msecs, "maxAgeJitter"); }
double SocketPool::maxRetirementsPerSecond() const { return d->read(&PoolSettings::maxRetirementsPerSecond); }
void SocketPool::setMaxRetirementsPerSecond(double rate) {
  d->setFixed(&PoolSettings::maxRetirementsPerSecond, rate, "maxRetirementsPerSecond");
}
int SocketPool::leakThreshold() const { return d->read(&PoolSettings::leakThreshold); }
void SocketPool::setLeakThreshold(int msecs) { d->setFixed(&PoolSettings::leakThreshold, msecs, "leakThreshold"); }
SocketPool::IdleOrder SocketPool::idleOrder() const { return d->read(&PoolSettings::idleOrder); }
void SocketPool::setIdleOrder(IdleOrder order) { d->setFixed(&PoolSettings::idleOrder, order, "idleOrder"); }
SocketPool::Fairness SocketPool::fairness() const { return d->read(&PoolSettings::fairness); }
void SocketPool::setFairness(Fairness fairness) { d->setFixed(&PoolSettings::fairness, fairness, "fairness"); }
int SocketPool::fairnessBound() const { return d->read(&PoolSettings::fairnessBound); }
void SocketPool::setFairnessBound(int msecs) { d->setFixed(&PoolSettings::fairnessBound, msecs, "fairnessBound"); }
void SocketPool::setPingFunction(PingFunction ping) {
  std::lock_guard lk(d->mutex);
  if (d->acceptsFixedSettingLocked("pingFunction")) d->settings.ping = std::move(ping);
}

int SocketPool::statsInterval() const { return d->statsIntervalMs; }
void SocketPool::setStatsInterval(int msecs) { d->setStatsInterval(msecs); }

bool SocketPool::isStarted() const { return d->runningPool() != nullptr; }

bool SocketPool::isCircuitOpen() const { return d->circuitOpen; }

SocketLease SocketPool::acquire(QDeadlineTimer deadline, const std::source_location& where) {
  returnDeferredLeases();
  detail::collectClosedSockets();
  return d->acquire(deadline, {}, where, true);
}

void SocketPool::acquireAsync(QObject* receiver, AcquireCallback callback, QDeadlineTimer deadline,
                              const std::source_location& where) {
  if (!receiver || !callback) {
    qWarning("connpool::qt::SocketPool::acquireAsync: needs a receiver and a callback");
    return;
  }
  if (receiver->thread() != QThread::currentThread()) {
    qWarning("connpool::qt::SocketPool::acquireAsync: call it in the receiver's thread");
    return;
  }
  startAsyncAcquire(*d, receiver, std::move(callback), deadline, where);
}

bool SocketPool::warmUp(int msecs) { return d->warmUp(msecs); }

int SocketPool::drain() { return d->drain(); }

QList<ConnectionInfo> SocketPool::connections() const { return d->connections(); }

SocketPoolStats SocketPool::stats() const {
  return d->runningPool() ? toStats(d->poolMetrics()) : SocketPoolStats{}; // as the metrics text reads it
}

QByteArray SocketPool::openMetrics(const QString& poolName, bool eof) const { return d->openMetrics(poolName, eof); }

QByteArray SocketPool::prometheusText(const QString& poolName) const { return d->prometheusText(poolName); }

SocketPoolStats SocketPool::publishedStats() const { return d->published; }
int SocketPool::openCount() const { return d->published.openCount; }
int SocketPool::idleCount() const { return d->published.idleCount; }
int SocketPool::activeCount() const { return d->published.activeCount; }
int SocketPool::waitingCount() const { return d->published.waitingCount; }
quint64 SocketPool::gets() const { return d->published.gets; }
quint64 SocketPool::puts() const { return d->published.puts; }
quint64 SocketPool::discards() const { return d->published.discards; }
quint64 SocketPool::hits() const { return d->published.hits; }
quint64 SocketPool::misses() const { return d->published.misses; }
quint64 SocketPool::waits() const { return d->published.waits; }
quint64 SocketPool::timeouts() const { return d->published.timeouts; }
quint64 SocketPool::pingFailures() const { return d->published.pingFailures; }
quint64 SocketPool::idleClosed() const { return d->published.idleClosed; }
quint64 SocketPool::ageClosed() const { return d->published.ageClosed; }
quint64 SocketPool::factoryFailures() const { return d->published.factoryFailures; }
quint64 SocketPool::closeTimeouts() const { return d->published.closeTimeouts; }
quint64 SocketPool::maxActive() const { return d->published.maxActive; }

} // namespace connpool::qt
