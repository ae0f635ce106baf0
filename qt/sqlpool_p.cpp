// SPDX-License-Identifier: MIT
#include <QtCore/qlogging.h>
#include <QtCore/qmetaobject.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "sqlpool_p.h"

namespace connpool::qt {

namespace {

std::exception_ptr poolError(SqlPoolError::Kind kind, const QString& message, const QSqlError& sqlError = {}) {
  return std::make_exception_ptr(SqlPoolError(kind, message, sqlError));
}

QString failureText(const std::exception_ptr& failure) {
  if (!failure) return {};
  try {
    std::rethrow_exception(failure);
  } catch (const detail::SqlConnectFailure& x) {
    return x.message;
  } catch (const std::exception& x) {
    return QString::fromUtf8(x.what());
  } catch (...) {
  }
  return {};
}

// Why a call got no connection, as the future's exception.
std::exception_ptr acquireError(std::error_code ec, const std::exception_ptr& failure, bool closing) {
  using Kind = SqlPoolError::Kind;
  if (closing) return poolError(Kind::PoolClosed, QStringLiteral("the pool was destroyed before the call could run"));
  if (ec == connpool::errc::get_timeout)
    return poolError(Kind::Timeout, QStringLiteral("no connection came free before the call's deadline"));
  if (ec == connpool::errc::cancelled) return poolError(Kind::Cancelled, QStringLiteral("cancelled"));
  if (ec == connpool::errc::factory_failed) {
    const QString text = failureText(failure);
    return poolError(Kind::ConnectFailed, QStringLiteral("cannot open a connection: %1").arg(text),
                     QSqlError(text, {}, QSqlError::ConnectionError));
  }
  if (ec == connpool::errc::circuit_open) {
    const QString text = failureText(failure);
    return poolError(Kind::ConnectFailed,
                     QStringLiteral("opening connections keeps failing; not retried yet: %1").arg(text),
                     QSqlError(text, {}, QSqlError::ConnectionError));
  }
  return poolError(Kind::PoolClosed, QString::fromStdString(ec.message()));
}

} // namespace

SqlPoolPrivate::SqlPoolPrivate(SqlPool* q)
    : PoolObjectPrivate(q), mailbox(std::make_shared<SqlMailbox>(q)), errorLog(std::make_shared<ConnectionErrorLog>()),
      threads(std::make_shared<detail::SqlThreadCount>()) {}

std::shared_ptr<SqlRunningPool> SqlPoolPrivate::start(QString* why) {
  std::unique_lock lk(mutex);
  if (running || closed) return running;
  if (settings.connect.driver.isEmpty()) {
    if (why) *why = QStringLiteral("driverName is not set (e.g. \"QSQLITE\" or \"QPSQL\")");
    return nullptr;
  }
  std::error_code ec;
  std::string reason;
  auto pool = connpool::make_pool(
      makeSqlConfig(std::make_shared<const SqlSettings>(settings), mailbox, errorLog, threads), ec, &reason);
  if (!pool) {
    if (why) *why = QString::fromStdString(reason.empty() ? ec.message() : reason);
    return nullptr;
  }
  auto started = std::make_shared<SqlRunningPool>();
  started->pool = std::move(pool);
  started->errorLog = errorLog;
  started->mailbox = mailbox;
  running = started;
  dispatcher = std::jthread([this, started](std::stop_token stop) { dispatch(std::move(stop), started); });
  watcher = std::jthread([this](std::stop_token stop) { watch(std::move(stop)); });
  maintenance.kick(*started->pool, stopOnClose.get_token());
  lk.unlock();
  QMetaObject::invokeMethod(q, [q = q] { emit q->startedChanged(); }, Qt::QueuedConnection);
  return started;
}

void SqlPoolPrivate::submit(std::shared_ptr<detail::SqlCall> call, QDeadlineTimer deadline,
                            const std::source_location& where) {
  QString why;
  if (!start(&why)) {
    call->fail(poolError(SqlPoolError::Kind::PoolClosed, why.isEmpty() ? QStringLiteral("the pool is closed") : why));
    return;
  }
  {
    std::lock_guard lk(queueMutex);
    queue.push_back({std::move(call), deadline, where});
  }
  queueChanged.notify_all();
}

void SqlPoolPrivate::countQueued(connpool::metrics& m) const {
  std::lock_guard lk(queueMutex);
  // The pure pool's only waiter is the dispatcher, for `head`.
  m.waiting = queue.size() + (head ? 1 : 0);
  m.timeouts += queueTimeouts.load();
  m.cancellations += queueCancels.load();
}

void SqlPoolPrivate::dispatch(std::stop_token stop, std::shared_ptr<SqlRunningPool> e) {
  for (;;) {
    Pending p;
    std::stop_source waitStop;
    {
      std::unique_lock lk(queueMutex);
      queueChanged.wait(lk, stop, [this] { return !queue.empty(); });
      if (stop.stop_requested()) return; // close() fails what is left
      p = std::move(queue.front());
      queue.pop_front();
      head = p.call;
      headStop = waitStop;
    }
    queueChanged.notify_all(); // the watcher now watches the head too
    std::error_code ec;
    std::exception_ptr failure;
    connpool::lease<SqlHolder> lease;
    if (!p.call->isCanceled()) {
      connpool::context ctx = p.deadline.isForever()
                                  ? connpool::context::background()
                                  : connpool::context::with_deadline(p.deadline.deadline<std::chrono::steady_clock>());
      ctx = ctx.with_stop_token(waitStop.get_token());
      std::stop_callback onClose(stop, [&waitStop] { waitStop.request_stop(); });
      lease = e->pool->get(ctx, ec, failure, p.where);
    } else {
      ec = connpool::errc::cancelled;
      ++queueCancels;
    }
    {
      std::lock_guard lk(queueMutex);
      head.reset();
    }
    if (ec) {
      p.call->fail(acquireError(ec, failure, stop.stop_requested()));
      continue;
    }
    lease->id = lease.id();
    runCallOnConnection(e, std::move(lease), std::move(p.call), p.where);
  }
}

void SqlPoolPrivate::watch(std::stop_token stop) {
  std::unique_lock lk(queueMutex);
  while (!stop.stop_requested()) {
    if (queue.empty() && !head) {
      queueChanged.wait(lk, stop, [this] { return !queue.empty() || head; });
      continue;
    }
    if (head && head->isCanceled()) headStop.request_stop();
    std::vector<Pending> ended;
    for (auto it = queue.begin(); it != queue.end();) {
      if (it->call->isCanceled() || it->deadline.hasExpired()) {
        ended.push_back(std::move(*it));
        it = queue.erase(it);
      } else {
        ++it;
      }
    }
    if (!ended.empty()) {
      lk.unlock();
      for (Pending& p : ended) {
        const bool cancelled = p.call->isCanceled();
        ++(cancelled ? queueCancels : queueTimeouts);
        p.call->fail(cancelled ? poolError(SqlPoolError::Kind::Cancelled, QStringLiteral("cancelled"))
                               : poolError(SqlPoolError::Kind::Timeout,
                                           QStringLiteral("no connection came free before the call's deadline")));
      }
      lk.lock();
    }
    queueChanged.wait_for(lk, stop, std::chrono::milliseconds(20), [] { return false; });
  }
}

void SqlPoolPrivate::close() {
  statsTimer->stop();
  mailbox->detach();
  stopOnClose.request_stop();
  std::shared_ptr<SqlRunningPool> e;
  int waitMs = 0;
  {
    std::lock_guard lk(mutex);
    closed = true;
    e = running;
    waitMs = settings.closeTimeout;
  }
  for (std::jthread* t : {&dispatcher, &watcher})
    if (t->joinable()) {
      t->request_stop();
      t->join();
    }
  maintenance.stop();
  // The calls still waiting fail; running ones go on.
  std::deque<Pending> left;
  {
    std::lock_guard lk(queueMutex);
    left.swap(queue);
  }
  for (Pending& p : left)
    p.call->fail(
        poolError(SqlPoolError::Kind::PoolClosed, QStringLiteral("the pool was destroyed before the call could run")));
  if (e) {
    // Idle connections close now; busy ones when their call ends.
    std::error_code ec;
    e->pool->close(connpool::context::with_timeout(connpool::duration::zero()), ec);
  }
  e.reset();
  if (!threads->waitForNone(QDeadlineTimer(std::max(waitMs, 0), Qt::PreciseTimer)))
    qWarning("connpool::qt::SqlPool: %d connection(s) still running a call after closeTimeout (%d ms); each "
             "closes when its call ends",
             threads->running(), waitMs);
}

} // namespace connpool::qt
