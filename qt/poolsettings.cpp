// SPDX-License-Identifier: MIT
#include <QtCore/qdeadlinetimer.h>
#include <QtNetwork/qtcpsocket.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <system_error>
#include <utility>

#include "poolobserver_p.h"
#include "poolsettings_p.h"

namespace connpool::qt {

using std::chrono::milliseconds;

namespace {

QDeadlineTimer toDeadline(const connpool::context& ctx) {
  if (!ctx.deadline()) return QDeadlineTimer(QDeadlineTimer::Forever);
  return QDeadlineTimer(*ctx.deadline(), Qt::PreciseTimer);
}

QDeadlineTimer earlier(QDeadlineTimer a, QDeadlineTimer b) {
  if (a.isForever()) return b;
  if (b.isForever()) return a;
  return a.deadlineNSecs() <= b.deadlineNSecs() ? a : b;
}

connpool::duration msecs(int value) { return milliseconds(std::max(value, 0)); }

} // namespace

connpool::config<SocketHolder> makeConfig(std::shared_ptr<const PoolSettings> s, std::shared_ptr<EventMailbox> mailbox,
                                          std::shared_ptr<ConnectionErrorLog> errorLog) {
  connpool::config<SocketHolder> cfg;
  // Runs in the acquiring thread, a background-dial thread, the maintenance
  // thread (minIdle) or warmUp's caller. Every failed connect is reported
  // here, once; an acquire refused by the open breaker is not a connect.
  cfg.factory = [s, mailbox](const connpool::context& ctx) {
    detail::ConnectOptions options{s->host, s->port, s->tls, s->sslConfiguration, s->peerVerifyName};
    const QDeadlineTimer limit = s->connectTimeout > 0 ? QDeadlineTimer(s->connectTimeout, Qt::PreciseTimer)
                                                       : QDeadlineTimer(QDeadlineTimer::Forever);
    try {
      SocketHolder h{detail::connectSocket(options, earlier(limit, toDeadline(ctx)))};
      // Push: a new socket belongs to no thread until a borrower pulls it
      // (the dialing thread may not be the borrower's, or may not live on).
      detail::pushToNoThread(*h.socket);
      return h;
    } catch (const detail::ConnectFailure& failure) {
      postConnectFailure(*mailbox, failure);
      throw;
    }
  };
  // Always set: ping-on-get catches a socket that died while idle, whatever
  // the health-check interval.
  cfg.ping = [s, errorLog](SocketHolder& h, const connpool::context& ctx) {
    if (!h.socket) return false;
    if (detail::probeIdleSocket(*h.socket, s->ping, toDeadline(ctx))) return true;
    const QAbstractSocket::SocketError error = h.socket->error();
    errorLog->note(h.id, error == QAbstractSocket::UnknownSocketError
                             ? QStringLiteral("probe failed (peer closed, reset or sent unsolicited data)")
                             : h.socket->errorString());
    return false;
  };
  cfg.max_size = s->maxSize > 0 ? static_cast<std::size_t>(s->maxSize) : 0;
  // Always tracked (not left unset), so that maxIdle can change later.
  cfg.max_idle = static_cast<std::size_t>(s->maxIdle >= 0 ? s->maxIdle : std::max(s->maxSize, 0));
  cfg.max_size_limit =
      s->maxSizeLimit > 0 ? static_cast<std::size_t>(s->maxSizeLimit) : std::max<std::size_t>(cfg.max_size, 64);
  cfg.min_idle = static_cast<std::size_t>(std::max(s->minIdle, 0));
  cfg.max_idle_time = msecs(s->maxIdleTime);
  cfg.max_age = msecs(s->maxAge);
  cfg.health_check_interval = msecs(s->healthCheckInterval);
  cfg.health_check_timeout = msecs(s->healthCheckTimeout);
  cfg.max_connecting = static_cast<std::size_t>(std::max(s->maxConnecting, 0));
  cfg.background_dials = s->backgroundDials;
  if (s->backgroundDials && s->connectTimeout > 0) cfg.dial_timeout = milliseconds(s->connectTimeout);
  cfg.backoff_initial = msecs(s->backoffInitial);
  cfg.backoff_max = msecs(s->backoffMax);
  cfg.max_age_jitter = msecs(s->maxAgeJitter);
  cfg.max_retirements_per_second = s->maxRetirementsPerSecond;
  cfg.leak_threshold = msecs(s->leakThreshold);
  cfg.order = s->idleOrder == SocketPool::IdleOrder::Fifo ? connpool::idle_order::fifo : connpool::idle_order::lifo;
  cfg.fairness =
      s->fairness == SocketPool::Fairness::Strict ? connpool::fairness_mode::strict : connpool::fairness_mode::bounded;
  cfg.fairness_bound = msecs(s->fairnessBound); // 0 or less: refused at start, naming fairness_bound
  cfg.observer = std::make_shared<PoolObserver>(std::move(mailbox), std::move(errorLog));
  cfg.track_hold_time = true;         // a socket lease is never on the lock-free path anyway (ping is set)
  cfg.background_maintenance = false; // driven from our own QThread instead
  return cfg;
}

bool applyLiveSetting(connpool::pool<SocketHolder>& pool, int PoolSettings::* field, const PoolSettings& now, int value,
                      QString* why) {
  try {
    if (field == &PoolSettings::maxSize) {
      if (value <= 0) throw std::system_error(connpool::errc::invalid_config, "maxSize must be greater than 0");
      const auto n = static_cast<std::size_t>(value);
      if (now.maxIdle >= 0) {
        pool.set_max_size(n);
      } else if (value >= now.maxSize) { // maxIdle follows maxSize: keep max_idle <= max_size throughout
        pool.set_max_size(n);
        pool.set_max_idle(n);
      } else {
        pool.set_max_idle(n);
        try {
          pool.set_max_size(n);
        } catch (...) {
          pool.set_max_idle(static_cast<std::size_t>(now.maxSize));
          throw;
        }
      }
    } else if (field == &PoolSettings::maxIdle) {
      if (value < -1) throw std::system_error(connpool::errc::invalid_config, "maxIdle must be -1 (maxSize) or >= 0");
      pool.set_max_idle(static_cast<std::size_t>(value < 0 ? now.maxSize : value));
    } else if (field == &PoolSettings::minIdle) {
      if (value < 0) throw std::system_error(connpool::errc::invalid_config, "minIdle must not be negative");
      pool.set_min_idle(static_cast<std::size_t>(value));
    } else if (field == &PoolSettings::maxIdleTime) {
      pool.set_max_idle_time(milliseconds(value));
    } else if (field == &PoolSettings::maxAge) {
      pool.set_max_age(milliseconds(value));
    } else if (field == &PoolSettings::healthCheckInterval) {
      pool.set_health_check_interval(milliseconds(value));
    }
    return true;
  } catch (const std::system_error& x) {
    *why = QString::fromUtf8(x.what());
    return false;
  }
}

} // namespace connpool::qt
