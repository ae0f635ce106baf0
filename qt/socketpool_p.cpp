// SPDX-License-Identifier: MIT
#include <QtCore/qlogging.h>
#include <QtNetwork/qtcpsocket.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>
#include <system_error>
#include <utility>

#include "pooledlease_p.h"
#include "socketpool_p.h"
// Imports connpool: after every other include.
#include "poollimits_p.h"

namespace connpool::qt {

SocketPoolPrivate::SocketPoolPrivate(SocketPool* q)
    : PoolObjectPrivate(q), mailbox(std::make_shared<EventMailbox>(q)),
      errorLog(std::make_shared<ConnectionErrorLog>()) {}

std::shared_ptr<RunningPool> SocketPoolPrivate::start(QString* why) {
  std::unique_lock lk(mutex);
  if (running || closed) return running;
  std::error_code ec;
  std::string reason;
  auto pool =
      connpool::make_pool(makeConfig(std::make_shared<const PoolSettings>(settings), mailbox, errorLog), ec, &reason);
  if (!pool) {
    if (why) *why = QString::fromStdString(reason.empty() ? ec.message() : reason);
    return nullptr;
  }
  auto started = std::make_shared<RunningPool>();
  started->pool = std::move(pool);
  started->errorLog = errorLog;
  running = started;
  // Enough helpers to connect maxSize sockets at once and still queue a waiter.
  workers.setMaxThreadCount(std::max(2, settings.maxSize + 1));

  // Only when something needs it now (min_idle, time limits, health check,
  // leak threshold, breaker); a live setting that needs it later starts it
  // then (kickMaintenance).
  maintenance.kick(*started->pool, stopOnClose.get_token());
  lk.unlock();
  QMetaObject::invokeMethod(q, [q = q] { emit q->startedChanged(); }, Qt::QueuedConnection);
  return started;
}

bool SocketPoolPrivate::applyLive(connpool::pool<SocketHolder>& pool, int PoolSettings::* field,
                                  const PoolSettings& now, int value, QString* why) {
  if (!applyLiveLimit(pool, field, now, value, why)) return false;
  // Enough helpers to connect maxSize sockets at once and still queue a waiter.
  if (field == &PoolSettings::maxSize) workers.setMaxThreadCount(std::max(2, value + 1));
  return true;
}

SocketLease SocketPoolPrivate::acquire(QDeadlineTimer deadline, std::stop_token stop, const std::source_location& where,
                                       bool pull) {
  QString why;
  const std::shared_ptr<RunningPool> e = start(&why);
  if (!e)
    return SocketLease(
        failedLease(SocketLease::Error::PoolClosed, why.isEmpty() ? QStringLiteral("pool is closed") : why));
  connpool::context ctx = deadline.isForever()
                              ? connpool::context::background()
                              : connpool::context::with_deadline(deadline.deadline<std::chrono::steady_clock>());
  ctx = ctx.with_stop_token(std::move(stop));
  try {
    connpool::lease<SocketHolder> lease = e->pool->get(ctx, where);
    lease->id = lease.id();
    // Pull the socket in: from now on this (the borrowing) thread owns it.
    if (QTcpSocket& s = *lease->socket; pull && !s.thread()) detail::pullToThisThread(s);
    return SocketLease(std::make_unique<PooledLease>(e, std::move(lease)));
  } catch (const detail::ConnectFailure& failure) {
    // Reported by the factory (connectFailed) for this acquire's own connect.
    return SocketLease(
        failedLease(SocketLease::Error::ConnectFailed, failure.message, failure.error, failure.sslErrors));
  } catch (const std::system_error& x) {
    const std::error_code code = x.code();
    // The breaker is open: no connect was tried; the last failure is nested.
    if (code == connpool::errc::circuit_open) try {
        std::rethrow_if_nested(x);
      } catch (const detail::ConnectFailure& failure) {
        return SocketLease(
            failedLease(SocketLease::Error::ConnectFailed, failure.message, failure.error, failure.sslErrors));
      } catch (...) {
      }
    SocketLease::Error error = SocketLease::Error::PoolClosed;
    if (code == connpool::errc::get_timeout) error = SocketLease::Error::Timeout;
    if (code == connpool::errc::cancelled) error = SocketLease::Error::Cancelled;
    if (code == connpool::errc::circuit_open) error = SocketLease::Error::ConnectFailed;
    return SocketLease(failedLease(error, QString::fromStdString(code.message())));
  } catch (const std::exception& x) { // e.g. bad_alloc in the factory
    return SocketLease(failedLease(SocketLease::Error::ConnectFailed, QString::fromUtf8(x.what())));
  }
}

void SocketPoolPrivate::close() {
  statsTimer->stop();
  mailbox->detach(); // events still queued to q are dropped with it
  stopOnClose.request_stop();
  std::shared_ptr<RunningPool> e;
  {
    std::lock_guard lk(mutex);
    closed = true;
    e = running;
  }
  maintenance.stop();
  workers.waitForDone();
  if (e) {
    // Refuse gets and close idle sockets now; leases still out close their
    // sockets when returned (their RunningPool stays alive until then).
    std::error_code ec;
    e->pool->close(connpool::context::with_timeout(connpool::duration::zero()), ec);
  }
}

} // namespace connpool::qt
