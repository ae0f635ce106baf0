// SPDX-License-Identifier: MIT
#include <QtCore/qdeadlinetimer.h>
#include <QtNetwork/qtcpsocket.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <system_error>
#include <utility>

#include "poollimits_p.h"
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
  applyPoolLimits(cfg, *s);
  cfg.background_dials = s->backgroundDials;
  if (s->backgroundDials && s->connectTimeout > 0) cfg.dial_timeout = milliseconds(s->connectTimeout);
  cfg.order = s->idleOrder == SocketPool::IdleOrder::Fifo ? connpool::idle_order::fifo : connpool::idle_order::lifo;
  cfg.fairness =
      s->fairness == SocketPool::Fairness::Strict ? connpool::fairness_mode::strict : connpool::fairness_mode::bounded;
  cfg.fairness_bound = std::chrono::milliseconds(s->fairnessBound); // 0 or less: refused at start, naming it
  cfg.observer = std::make_shared<PoolObserver>(std::move(mailbox), std::move(errorLog));
  return cfg;
}

} // namespace connpool::qt
