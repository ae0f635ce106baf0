// SPDX-License-Identifier: MIT
// The pure pool's side of SqlPool: its config (a factory that opens a
// SqlConnection, a ping that is a real round trip, a close that ends the
// connection's thread, an observer posting to the SqlPool's thread) and what
// happens around one call in its connection's thread.
#include <QtCore/qstring.h>
#include <QtSql/qsqldriver.h>

#include <chrono>
#include <exception>
#include <memory>
#include <source_location>
#include <utility>

#include "sqlpool_p.h"
#include "statsconversion_p.h"

namespace connpool::qt {

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

qint64 steadyMsecs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

QString whereText(const std::source_location& w) {
  return QStringLiteral("%1:%2 %3")
      .arg(QString::fromUtf8(w.file_name()))
      .arg(w.line())
      .arg(QString::fromUtf8(w.function_name()));
}

class SqlObserver final : public connpool::observer {
public:
  SqlObserver(std::shared_ptr<SqlMailbox> mailbox, std::shared_ptr<ConnectionErrorLog> errorLog)
      : mailbox_(std::move(mailbox)), errorLog_(std::move(errorLog)) {}

  void on_closed(std::uint64_t id, connpool::close_reason) override { errorLog_->forget(id); }
  void on_leak(const connpool::leak_report& r) override {
    mailbox_->post([id = r.connection, w = whereText(r.where), held = toMsecs(r.held), back = r.returned](SqlPool* q) {
      if (back)
        emit q->leakReturned(id, w, held);
      else
        emit q->leakSuspected(id, w, held);
    });
  }
  void on_circuit_open(std::exception_ptr, connpool::duration) override { postCircuit(true); }
  void on_circuit_closed() override { postCircuit(false); }

private:
  void postCircuit(bool open) {
    mailbox_->post([open](SqlPool* q) { SqlPoolPrivate::get(q)->setCircuitOpen(open); });
  }
  std::shared_ptr<SqlMailbox> mailbox_;
  std::shared_ptr<ConnectionErrorLog> errorLog_;
};

void postConnectionLost(SqlMailbox& mailbox, ConnectionErrorLog& log, std::uint64_t id, const QString& error) {
  log.note(id, error);
  mailbox.post([id, error](SqlPool* q) { emit q->connectionLost(id, error); });
}

// The text of what a call threw, for the connection's last error.
QString describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const SqlPoolError& x) {
    return x.message();
  } catch (const std::exception& x) {
    return QString::fromUtf8(x.what());
  } catch (...) {
    return QStringLiteral("the call threw");
  }
}

// A query error on a connection found broken: the connection, not the SQL,
// is what failed.
std::exception_ptr asConnectionLost(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const SqlPoolError& x) {
    if (x.kind() == SqlPoolError::Kind::QueryFailed)
      return std::make_exception_ptr(SqlPoolError(SqlPoolError::Kind::ConnectionLost,
                                                  QStringLiteral("the connection was lost: %1").arg(x.message()),
                                                  x.sqlError()));
  } catch (...) {
  }
  return error;
}

} // namespace

connpool::config<SqlHolder> makeSqlConfig(std::shared_ptr<const SqlSettings> s, std::shared_ptr<SqlMailbox> mailbox,
                                          std::shared_ptr<ConnectionErrorLog> errorLog,
                                          std::shared_ptr<detail::SqlThreadCount> threads) {
  connpool::config<SqlHolder> cfg;
  // Runs in a helper thread, the maintenance thread (minIdle) or warmUp's
  // caller; the database itself is opened in the new connection's thread.
  cfg.factory = [s, mailbox, threads](const connpool::context& ctx) {
    const QDeadlineTimer limit = s->connectTimeout > 0 ? QDeadlineTimer(s->connectTimeout, Qt::PreciseTimer)
                                                       : QDeadlineTimer(QDeadlineTimer::Forever);
    try {
      return SqlHolder{detail::SqlConnection::open(s->connect, earlier(limit, toDeadline(ctx)), threads)};
    } catch (const detail::SqlConnectFailure& failure) {
      mailbox->post([message = failure.message](SqlPool* q) { emit q->connectFailed(message); });
      throw;
    }
  };
  // A real round trip, unless the connection did one (or a call) within
  // pingIdleThreshold: isOpen() says nothing about a dropped connection.
  cfg.ping = [s, mailbox, errorLog](SqlHolder& h, const connpool::context& ctx) {
    detail::SqlConnection& c = *h.connection;
    if (s->pingIdleThreshold > 0 && steadyMsecs() - c.lastGoodMsecs() < s->pingIdleThreshold) return true;
    struct Result {
      bool ok = false;
      QString error;
    };
    auto result = std::make_shared<Result>();
    const bool inTime = c.runAndWait([result](QSqlDatabase& db) { result->ok = detail::roundTrip(db, &result->error); },
                                     toDeadline(ctx));
    if (inTime && result->ok) {
      c.markGood();
      return true;
    }
    postConnectionLost(*mailbox, *errorLog, h.id,
                       inTime ? result->error : QStringLiteral("SELECT 1 took longer than healthCheckTimeout"));
    return false;
  };
  cfg.close = [](SqlHolder& h) {
    if (h.connection) h.connection->shutdown();
  };
  applyPoolLimits(cfg, *s);
  // Opens run on the pure pool's threads: the dispatcher, waiting for a
  // connection, also takes one that comes back meanwhile, and an open that
  // outlives its call's deadline goes to the next call.
  cfg.background_dials = true;
  if (s->connectTimeout > 0) cfg.dial_timeout = std::chrono::milliseconds(s->connectTimeout);
  cfg.order = s->idleOrder == SqlPool::IdleOrder::Fifo ? connpool::idle_order::fifo : connpool::idle_order::lifo;
  // The dispatcher is the pure pool's only caller (calls queue in order in
  // front of it), so nobody could overtake: a returned connection goes
  // straight to it, without the nudge and the idle checks.
  cfg.fairness = connpool::fairness_mode::strict;
  cfg.observer = std::make_shared<SqlObserver>(std::move(mailbox), std::move(errorLog));
  return cfg;
}

void runCallOnConnection(std::shared_ptr<SqlRunningPool> running, connpool::lease<SqlHolder> lease,
                         std::shared_ptr<detail::SqlCall> call, std::source_location where) {
  std::shared_ptr<detail::SqlConnection> connection = lease->connection;
  auto held = std::make_shared<connpool::lease<SqlHolder>>(std::move(lease));
  connection->post([running = std::move(running), held, call = std::move(call), where](QSqlDatabase& db) {
    connpool::lease<SqlHolder>& l = *held;
    const std::uint64_t id = l.id();
    detail::SqlConnection& c = *l->connection;
    if (call->isCanceled()) {
      l = {}; // returned unused
      call->fail(std::make_exception_ptr(SqlPoolError(SqlPoolError::Kind::Cancelled, QStringLiteral("cancelled"))));
      return;
    }
    if (detail::transactionState(db) == detail::SqlState::Broken) {
      // Lost while idle, and known before the call ran: it never runs here.
      postConnectionLost(*running->mailbox, *running->errorLog, id, QStringLiteral("the connection was lost"));
      std::error_code ec;
      l.discard(ec);
      call->fail(std::make_exception_ptr(
          SqlPoolError(SqlPoolError::Kind::ConnectionLost,
                       QStringLiteral("the connection was lost before the call started; the call did not run"))));
      return;
    }
    std::exception_ptr error;
    try {
      call->invoke(db);
    } catch (...) {
      error = std::current_exception();
    }
    detail::SqlState state = detail::transactionState(db);
    if (state == detail::SqlState::Unknown && error) {
      // A driver this pool cannot ask: roll back whatever may be open, and
      // let a round trip say whether the connection survived.
      if (db.driver()->hasFeature(QSqlDriver::Transactions)) db.rollback();
      state = detail::roundTrip(db, nullptr) ? detail::SqlState::Idle : detail::SqlState::Broken;
    }
    if (state == detail::SqlState::InTransaction) {
      db.rollback();
      const QString w = whereText(where);
      running->mailbox->post([id, w](SqlPool* q) { emit q->transactionRolledBack(id, w); });
      if (!error)
        error = std::make_exception_ptr(SqlPoolError(
            SqlPoolError::Kind::TransactionLeftOpen,
            QStringLiteral("the call returned with a transaction open; it was rolled back (commit or roll back "
                           "before returning)")));
      state = detail::transactionState(db);
      if (state == detail::SqlState::InTransaction) state = detail::SqlState::Broken; // the rollback failed
    }
    if (state == detail::SqlState::Broken) {
      const QString text = error ? describe(error) : db.lastError().text();
      postConnectionLost(*running->mailbox, *running->errorLog, id,
                         text.isEmpty() ? QStringLiteral("the connection was lost") : text);
      if (error) error = asConnectionLost(error);
      std::error_code ec;
      l.discard(ec); // the next call gets a healthy connection
    } else {
      c.markGood();
      l = {}; // back to the pool before the result is seen: a continuation's next call finds it free
    }
    if (error)
      call->fail(error);
    else
      call->finish();
  });
}

} // namespace connpool::qt
