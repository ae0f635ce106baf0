// SPDX-License-Identifier: MIT
// Private: SqlConnection, one QSqlDatabase and the thread that owns it. The
// database is added, opened, used, closed and removed in that thread only,
// under a name no other connection of the process ever had. Knows nothing of
// the pure pool; sqlpool_p.cpp wires it into its factory, ping and close.
#pragma once

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qstring.h>
#include <QtSql/qsqldatabase.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

namespace connpool::qt::detail {

/// Counts the connection threads still running, so that the pool's owner
/// can wait until every database is closed and removed.
class SqlThreadCount {
public:
  void enter();
  void leave();
  /// True when none is left before `deadline`.
  bool waitForNone(QDeadlineTimer deadline);
  int running() const;

private:
  mutable std::mutex mutex_;
  std::condition_variable none_;
  int running_ = 0; // guarded by mutex_
};

struct SqlConnectOptions {
  QString driver, database, host, user, password, options;
  int port = -1;
};

/// A database URL as the connect options: "sqlite:PATH" (or
/// "sqlite:///ABSOLUTE/PATH") for QSQLITE; "postgresql://USER:PASSWORD@HOST:PORT/DATABASE?KEY=VALUE&..."
/// (or "postgres://") for QPSQL, each query item a connect option. Nothing,
/// with `why`, for anything else. `options` keeps every field it does not set.
std::optional<SqlConnectOptions> parseDatabaseUrl(const QString& url, QString* why);

/// Why open() failed; thrown through the pure pool's factory.
class SqlConnectFailure : public std::exception {
public:
  explicit SqlConnectFailure(QString message) : message(std::move(message)) {}
  const char* what() const noexcept override { return "connpool::qt: opening the database failed"; }
  QString message;
};

/// What a call left the connection in (see transactionState()).
enum class SqlState {
  Idle,          ///< no transaction open, connection fine
  InTransaction, ///< a transaction is open (or aborted, awaiting ROLLBACK)
  Broken,        ///< the driver knows the connection is gone
  Unknown,       ///< a driver this pool cannot ask
};

/// Asks the driver's client library (libpq for QPSQL, SQLite for QSQLITE)
/// without a round trip. In the connection's thread.
SqlState transactionState(const QSqlDatabase& db);

/// A real round trip: SELECT 1 and its row. In the connection's thread.
bool roundTrip(QSqlDatabase& db, QString* error);

class SqlConnection {
public:
  using Job = std::function<void(QSqlDatabase&)>;

  /// Starts the thread, which adds and opens the database; returns once it
  /// is open. Throws SqlConnectFailure with the driver's text, or when
  /// `deadline` passes first (the thread then closes and ends on its own).
  static std::shared_ptr<SqlConnection> open(const SqlConnectOptions& options, QDeadlineTimer deadline,
                                             std::shared_ptr<SqlThreadCount> threads);
  ~SqlConnection(); // shutdown()

  /// Runs `job` in the connection's thread, after the ones queued before it.
  void post(Job job);
  /// Runs `job` there and waits for it until `deadline`; false when the
  /// deadline came first (the job still runs, later).
  bool runAndWait(Job job, QDeadlineTimer deadline);
  /// Once the queued jobs have run, the database is closed and removed and
  /// the thread ends. Any thread, the connection's own included.
  void shutdown();

  QString name() const { return name_; }
  /// When a round trip or a call last succeeded here (steady clock, ms).
  qint64 lastGoodMsecs() const;
  void markGood();

  struct Shared; // the queue, shared with the thread

private:
  SqlConnection(QString name, std::shared_ptr<Shared> shared) : name_(std::move(name)), shared_(std::move(shared)) {}
  const QString name_;
  const std::shared_ptr<Shared> shared_;
};

} // namespace connpool::qt::detail
