// SPDX-License-Identifier: MIT
#include <QtCore/qlogging.h>
#include <QtCore/qmetaobject.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>
#include <system_error>
#include <utility>

#include "sqlpool_p.h"
#include "statspublisher_p.h"

namespace connpool::qt {

namespace {

/// Orders a submit() before its task on the helper thread: QThreadPool's
/// own hand-over (Qt's futex-based lock) is invisible to ThreadSanitizer.
std::mutex sqlHandoff;

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
    : q(q), mailbox(std::make_shared<SqlMailbox>(q)), errorLog(std::make_shared<ConnectionErrorLog>()),
      threads(std::make_shared<detail::SqlThreadCount>()), statsTimer(new QTimer(q)) {
  statsTimer->setSingleShot(true);
  statsTimer->setTimerType(Qt::PreciseTimer);
  statsTimer->setInterval(statsIntervalMs);
  QObject::connect(statsTimer, &QTimer::timeout, q, [this] {
    publishStats();
    statsTimer->start();
  });
  statsTimer->start();
}

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
  // Enough helpers to open maxSize connections at once and still queue a waiter.
  workers.setMaxThreadCount(std::max(2, settings.maxSize + 1));
  cancelWatch = std::jthread([this](std::stop_token stop) { watchCancellations(std::move(stop)); });
  maintenance.kick(*started->pool, stopOnClose.get_token());
  lk.unlock();
  QMetaObject::invokeMethod(q, [q = q] { emit q->startedChanged(); }, Qt::QueuedConnection);
  return started;
}

std::shared_ptr<SqlRunningPool> SqlPoolPrivate::runningPool() const {
  std::lock_guard lk(mutex);
  return running;
}

void SqlPoolPrivate::startSoon() {
  if (startQueued) return;
  startQueued = true;
  QMetaObject::invokeMethod(
      q,
      [this] {
        startQueued = false;
        if (read(&SqlSettings::minIdle) <= 0) return;
        QString why;
        if (!start(&why) && !why.isEmpty())
          qWarning("connpool::qt::SqlPool: cannot start for minIdle: %s", qPrintable(why));
      },
      Qt::QueuedConnection);
}

void SqlPoolPrivate::setCircuitOpen(bool open) {
  if (open == circuitOpen) return;
  circuitOpen = open;
  emit q->circuitOpenChanged(open);
}

void SqlPoolPrivate::setLive(int SqlSettings::* field, int value, const char* name) {
  std::shared_ptr<SqlRunningPool> e;
  SqlSettings now;
  {
    std::lock_guard lk(mutex);
    if (settings.*field == value || closed) return;
    if (!running)
      settings.*field = value;
    else {
      e = running;
      now = settings;
    }
  }
  if (e) {
    QString why;
    if (!applyLiveLimit(*e->pool, field, now, value, &why)) {
      qWarning("connpool::qt::SqlPool: %s = %d refused (%s); it stays %d", name, value, qPrintable(why), now.*field);
      return;
    }
    {
      std::lock_guard lk(mutex);
      settings.*field = value;
    }
    if (field == &SqlSettings::maxSize) workers.setMaxThreadCount(std::max(2, value + 1));
    std::lock_guard lk(mutex);
    if (running && !closed) maintenance.kick(*running->pool, stopOnClose.get_token());
  }
  emit q->settingsChanged();
}

void SqlPoolPrivate::submit(std::shared_ptr<detail::SqlCall> call, QDeadlineTimer deadline,
                            const std::source_location& where) {
  QString why;
  const std::shared_ptr<SqlRunningPool> e = start(&why);
  if (!e) {
    call->fail(poolError(SqlPoolError::Kind::PoolClosed, why.isEmpty() ? QStringLiteral("the pool is closed") : why));
    return;
  }
  std::lock_guard handoff(sqlHandoff);
  workers.start([this, e, call = std::move(call), deadline, where] {
    {
      std::lock_guard handedOver(sqlHandoff);
    }
    // The raw `this` is safe: close() waits for every task.
    if (call->isCanceled()) {
      call->fail(poolError(SqlPoolError::Kind::Cancelled, QStringLiteral("cancelled")));
      return;
    }
    Waiting w{call, {}};
    std::stop_callback cancelOnClose(stopOnClose.get_token(), [&w] { w.stop.request_stop(); });
    {
      std::lock_guard lk(waitingMutex);
      waiting.push_back(&w);
    }
    waitingChanged.notify_all();
    connpool::context ctx = deadline.isForever()
                                ? connpool::context::background()
                                : connpool::context::with_deadline(deadline.deadline<std::chrono::steady_clock>());
    ctx = ctx.with_stop_token(w.stop.get_token());
    std::error_code ec;
    std::exception_ptr failure;
    connpool::lease<SqlHolder> lease = e->pool->get(ctx, ec, failure, where);
    {
      std::lock_guard lk(waitingMutex);
      waiting.remove(&w);
    }
    if (ec) {
      call->fail(acquireError(ec, failure, stopOnClose.stop_requested()));
      return;
    }
    lease->id = lease.id();
    runCallOnConnection(e, std::move(lease), call, where);
  });
}

void SqlPoolPrivate::watchCancellations(std::stop_token stop) {
  std::unique_lock lk(waitingMutex);
  while (!stop.stop_requested()) {
    if (waiting.empty()) {
      waitingChanged.wait(lk, stop, [this] { return !waiting.empty(); });
      continue;
    }
    for (Waiting* w : waiting)
      if (w->call->isCanceled()) w->stop.request_stop();
    waitingChanged.wait_for(lk, stop, std::chrono::milliseconds(20), [] { return false; });
  }
}

void SqlPoolPrivate::publishStats() {
  const SocketPoolStats now = q->stats();
  const SocketPoolStats old = std::exchange(published, now);
  emitStatsChange(q, old, now);
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
  if (cancelWatch.joinable()) {
    cancelWatch.request_stop();
    cancelWatch.join();
  }
  maintenance.stop();
  workers.waitForDone(); // every waiting call has failed (PoolClosed); running ones go on
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
