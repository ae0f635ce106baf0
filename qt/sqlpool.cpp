// SPDX-License-Identifier: MIT
// SqlPool's QObject face: constructors, property accessors and the entry
// points, each a few lines over SqlPoolPrivate. Its parts:
//   sqlpool_p.h/.cpp         SqlPoolPrivate: settings, start, the helper
//                            threads that wait for a connection, close
//   sqlcall.cpp              the pure pool's config (open, round trip, close)
//                            and what happens around one call
//   sqlconnection_p.h/.cpp   one QSqlDatabase and the thread that owns it
// and what it shares with SocketPool: poolobject_p.h (PoolObjectPrivate, the
// base of SqlPoolPrivate: settings, live settings, stats publication),
// poollimits_p.h (the pool settings), maintenancedriver, eventmailbox,
// connectionerrorlog, statsconversion and statspublisher.
#include <connpool/qt/sqlpool.h>

#include <QtCore/qlogging.h>
#include <QtSql/qsqlquery.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <system_error>

#include "sqlpool_p.h"
#include "statsconversion_p.h"

namespace connpool::qt {

// A SqlPoolError is made in one thread (a connection's) and read in another
// after it crossed in a QFuture, whose hand-over (Qt Core's own mutex) is
// invisible to ThreadSanitizer: tell it the object is published once built.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CONNPOOL_QT_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif
#endif
namespace {
inline void published(const void* object) {
#if defined(CONNPOOL_QT_TSAN)
  __tsan_release(const_cast<void*>(object));
#else
  Q_UNUSED(object);
#endif
}
inline void read(const void* object) {
#if defined(CONNPOOL_QT_TSAN)
  __tsan_acquire(const_cast<void*>(object));
#else
  Q_UNUSED(object);
#endif
}
} // namespace

SqlPoolError::SqlPoolError(Kind kind, const QString& message, const QSqlError& sqlError)
    : std::runtime_error(message.toStdString()), kind_(kind), message_(message), sqlError_(sqlError) {
  published(this);
}

SqlPoolError::SqlPoolError(const SqlPoolError& other)
    : std::runtime_error(other), kind_((read(&other), other.kind_)), message_(other.message_),
      sqlError_(other.sqlError_) {
  published(this);
}

SqlPoolError& SqlPoolError::operator=(const SqlPoolError& other) {
  read(&other);
  std::runtime_error::operator=(other);
  kind_ = other.kind_;
  message_ = other.message_;
  sqlError_ = other.sqlError_;
  published(this);
  return *this;
}

SqlPoolError::~SqlPoolError() { read(this); }

SqlPoolError::Kind SqlPoolError::kind() const noexcept {
  read(this);
  return kind_;
}

QString SqlPoolError::message() const {
  read(this);
  return message_;
}

QSqlError SqlPoolError::sqlError() const {
  read(this);
  return sqlError_;
}

void execOrThrow(QSqlQuery& query) {
  if (!query.exec()) throw SqlPoolError(SqlPoolError::Kind::QueryFailed, query.lastError().text(), query.lastError());
}

void execOrThrow(QSqlQuery& query, const QString& sql) {
  if (!query.exec(sql))
    throw SqlPoolError(SqlPoolError::Kind::QueryFailed, query.lastError().text(), query.lastError());
}

detail::SqlCall::~SqlCall() = default;

SqlPool::SqlPool(QObject* parent) : QObject(parent), d(std::make_unique<SqlPoolPrivate>(this)) {}

SqlPool::SqlPool(const QString& driverName, QObject* parent) : SqlPool(parent) {
  d->settings.connect.driver = driverName;
}

SqlPool::~SqlPool() { d->close(); }

QString SqlPool::driverName() const { return d->readConnect(&detail::SqlConnectOptions::driver); }
void SqlPool::setDriverName(const QString& name) {
  d->setConnect(&detail::SqlConnectOptions::driver, name, "driverName");
}
QString SqlPool::databaseName() const { return d->readConnect(&detail::SqlConnectOptions::database); }
void SqlPool::setDatabaseName(const QString& name) {
  d->setConnect(&detail::SqlConnectOptions::database, name, "databaseName");
}
QString SqlPool::hostName() const { return d->readConnect(&detail::SqlConnectOptions::host); }
void SqlPool::setHostName(const QString& host) { d->setConnect(&detail::SqlConnectOptions::host, host, "hostName"); }
QString SqlPool::userName() const { return d->readConnect(&detail::SqlConnectOptions::user); }
void SqlPool::setUserName(const QString& name) { d->setConnect(&detail::SqlConnectOptions::user, name, "userName"); }
QString SqlPool::password() const { return d->readConnect(&detail::SqlConnectOptions::password); }
void SqlPool::setPassword(const QString& password) {
  d->setConnect(&detail::SqlConnectOptions::password, password, "password");
}
QString SqlPool::connectOptions() const { return d->readConnect(&detail::SqlConnectOptions::options); }
void SqlPool::setConnectOptions(const QString& options) {
  d->setConnect(&detail::SqlConnectOptions::options, options, "connectOptions");
}
int SqlPool::connectTimeout() const { return d->read(&SqlSettings::connectTimeout); }
void SqlPool::setConnectTimeout(int msecs) { d->setFixed(&SqlSettings::connectTimeout, msecs, "connectTimeout"); }
int SqlPool::pingIdleThreshold() const { return d->read(&SqlSettings::pingIdleThreshold); }
void SqlPool::setPingIdleThreshold(int msecs) {
  d->setFixed(&SqlSettings::pingIdleThreshold, msecs, "pingIdleThreshold");
}
int SqlPool::closeTimeout() const { return d->read(&SqlSettings::closeTimeout); }
void SqlPool::setCloseTimeout(int msecs) { d->setFixed(&SqlSettings::closeTimeout, msecs, "closeTimeout"); }
int SqlPool::healthCheckTimeout() const { return d->read(&SqlSettings::healthCheckTimeout); }
void SqlPool::setHealthCheckTimeout(int msecs) {
  d->setFixed(&SqlSettings::healthCheckTimeout, msecs, "healthCheckTimeout");
}
int SqlPool::maxSizeLimit() const { return d->read(&SqlSettings::maxSizeLimit); }
void SqlPool::setMaxSizeLimit(int msecs) { d->setFixed(&SqlSettings::maxSizeLimit, msecs, "maxSizeLimit"); }
int SqlPool::maxConnecting() const { return d->read(&SqlSettings::maxConnecting); }
void SqlPool::setMaxConnecting(int msecs) { d->setFixed(&SqlSettings::maxConnecting, msecs, "maxConnecting"); }
int SqlPool::backoffInitial() const { return d->read(&SqlSettings::backoffInitial); }
void SqlPool::setBackoffInitial(int msecs) { d->setFixed(&SqlSettings::backoffInitial, msecs, "backoffInitial"); }
int SqlPool::backoffMax() const { return d->read(&SqlSettings::backoffMax); }
void SqlPool::setBackoffMax(int msecs) { d->setFixed(&SqlSettings::backoffMax, msecs, "backoffMax"); }
int SqlPool::maxAgeJitter() const { return d->read(&SqlSettings::maxAgeJitter); }
void SqlPool::setMaxAgeJitter(int msecs) { d->setFixed(&SqlSettings::maxAgeJitter, msecs, "maxAgeJitter"); }
int SqlPool::leakThreshold() const { return d->read(&SqlSettings::leakThreshold); }
void SqlPool::setLeakThreshold(int msecs) { d->setFixed(&SqlSettings::leakThreshold, msecs, "leakThreshold"); }
int SqlPool::maxSize() const { return d->read(&SqlSettings::maxSize); }
void SqlPool::setMaxSize(int value) { d->setLive(&SqlSettings::maxSize, value, "maxSize"); }
int SqlPool::maxIdle() const { return d->read(&SqlSettings::maxIdle); }
void SqlPool::setMaxIdle(int value) { d->setLive(&SqlSettings::maxIdle, value, "maxIdle"); }
int SqlPool::maxIdleTime() const { return d->read(&SqlSettings::maxIdleTime); }
void SqlPool::setMaxIdleTime(int value) { d->setLive(&SqlSettings::maxIdleTime, value, "maxIdleTime"); }
int SqlPool::maxAge() const { return d->read(&SqlSettings::maxAge); }
void SqlPool::setMaxAge(int value) { d->setLive(&SqlSettings::maxAge, value, "maxAge"); }
int SqlPool::healthCheckInterval() const { return d->read(&SqlSettings::healthCheckInterval); }
void SqlPool::setHealthCheckInterval(int value) {
  d->setLive(&SqlSettings::healthCheckInterval, value, "healthCheckInterval");
}
bool SqlPool::setDatabaseUrl(const QString& url) {
  QString why;
  const std::optional<detail::SqlConnectOptions> o = detail::parseDatabaseUrl(url, &why);
  if (!o) {
    qWarning("connpool::qt::SqlPool::setDatabaseUrl: %s", qPrintable(why));
    return false;
  }
  {
    std::lock_guard lk(d->mutex);
    if (!d->acceptsFixedSettingLocked("databaseUrl")) return false;
    d->settings.connect = *o;
  }
  emit settingsChanged();
  return true;
}

int SqlPool::port() const { return d->readConnect(&detail::SqlConnectOptions::port); }
void SqlPool::setPort(int port) {
  if (port < -1 || port > 65535) {
    qWarning("connpool::qt::SqlPool: port %d out of range; ignored", port);
    return;
  }
  d->setConnect(&detail::SqlConnectOptions::port, port, "port");
}
int SqlPool::minIdle() const { return d->read(&SqlSettings::minIdle); }
void SqlPool::setMinIdle(int count) {
  d->setLive(&SqlSettings::minIdle, count, "minIdle");
  if (count > 0 && !isStarted()) d->startSoon();
}
double SqlPool::maxRetirementsPerSecond() const { return d->read(&SqlSettings::maxRetirementsPerSecond); }
void SqlPool::setMaxRetirementsPerSecond(double rate) {
  d->setFixed(&SqlSettings::maxRetirementsPerSecond, rate, "maxRetirementsPerSecond");
}
SqlPool::IdleOrder SqlPool::idleOrder() const { return d->read(&SqlSettings::idleOrder); }
void SqlPool::setIdleOrder(IdleOrder order) { d->setFixed(&SqlSettings::idleOrder, order, "idleOrder"); }

int SqlPool::statsInterval() const { return d->statsIntervalMs; }
void SqlPool::setStatsInterval(int msecs) { d->setStatsInterval(msecs); }
bool SqlPool::isStarted() const { return d->runningPool() != nullptr; }
bool SqlPool::isCircuitOpen() const { return d->circuitOpen; }

void SqlPool::submit(std::shared_ptr<detail::SqlCall> call, QDeadlineTimer deadline,
                     const std::source_location& where) {
  d->submit(std::move(call), deadline, where);
}

bool SqlPool::warmUp(int msecs) { return d->warmUp(msecs); }

int SqlPool::drain() { return d->drain(); }

QList<ConnectionInfo> SqlPool::connections() const { return d->connections(); }

SocketPoolStats SqlPool::stats() const {
  if (!d->runningPool()) return {};
  return toStats(d->poolMetrics()); // with the calls waiting in the queue
}

QByteArray SqlPool::openMetrics(const QString& poolName, bool eof) const { return d->openMetrics(poolName, eof); }

QByteArray SqlPool::prometheusText(const QString& poolName) const { return d->prometheusText(poolName); }

SocketPoolStats SqlPool::publishedStats() const { return d->published; }
int SqlPool::openCount() const { return d->published.openCount; }
int SqlPool::idleCount() const { return d->published.idleCount; }
int SqlPool::activeCount() const { return d->published.activeCount; }
int SqlPool::waitingCount() const { return d->published.waitingCount; }
quint64 SqlPool::gets() const { return d->published.gets; }
quint64 SqlPool::puts() const { return d->published.puts; }
quint64 SqlPool::discards() const { return d->published.discards; }
quint64 SqlPool::hits() const { return d->published.hits; }
quint64 SqlPool::misses() const { return d->published.misses; }
quint64 SqlPool::waits() const { return d->published.waits; }
quint64 SqlPool::timeouts() const { return d->published.timeouts; }
quint64 SqlPool::pingFailures() const { return d->published.pingFailures; }
quint64 SqlPool::idleClosed() const { return d->published.idleClosed; }
quint64 SqlPool::ageClosed() const { return d->published.ageClosed; }
quint64 SqlPool::factoryFailures() const { return d->published.factoryFailures; }
quint64 SqlPool::closeTimeouts() const { return d->published.closeTimeouts; }
quint64 SqlPool::maxActive() const { return d->published.maxActive; }

} // namespace connpool::qt
