// SPDX-License-Identifier: MIT
// SqlPool: a pool of QSqlDatabase connections, usable from any thread, over
// the pure connpool::pool. Work is handed to it as a callable that receives
// a free connection's QSqlDatabase& in the one thread that owns it.
#pragma once

#include <connpool/qt/global.h>

#include <connpool/qt/connectioninfo.h>
#include <connpool/qt/socketpoolstats.h>

#include <QtCore/qbytearray.h>
#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qfuture.h>
#include <QtCore/qobject.h>
#include <QtCore/qpromise.h>
#include <QtCore/qstring.h>
#include <QtSql/qsqldatabase.h>
#include <QtSql/qsqlerror.h>

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <source_location>
#include <stdexcept>
#include <type_traits>
#include <utility>

QT_BEGIN_NAMESPACE
class QSqlQuery;
QT_END_NAMESPACE

namespace connpool::qt {

class SqlPoolPrivate;

/// What a SqlPool future fails with when the pool ended the call, or when
/// execOrThrow() saw a query fail. Any other exception a callable throws
/// reaches the future unchanged.
class CONNPOOL_QT_EXPORT SqlPoolError : public std::runtime_error {
public:
  enum class Kind {
    Timeout,             ///< no connection came free before the call's deadline
    Cancelled,           ///< QFuture::cancel() before the call started
    PoolClosed,          ///< the SqlPool was destroyed, or its settings are invalid
    ConnectFailed,       ///< opening a connection failed (sqlError() has the driver's text)
    ConnectionLost,      ///< the connection broke during the call; it was retired
    TransactionLeftOpen, ///< the callable returned inside a transaction: rolled back
    QueryFailed,         ///< execOrThrow(): the statement failed
  };

  SqlPoolError(Kind kind, const QString& message, const QSqlError& sqlError = QSqlError());
  SqlPoolError(const SqlPoolError& other);
  SqlPoolError& operator=(const SqlPoolError& other);
  ~SqlPoolError() override;
  Kind kind() const noexcept;
  QString message() const;
  /// The driver's error, when there is one.
  QSqlError sqlError() const;

private:
  Kind kind_;
  QString message_;
  QSqlError sqlError_;
};

/// query.exec() (or query.exec(sql)); throws SqlPoolError(QueryFailed) with
/// the query's lastError() when it fails. Made for SqlPool::run callables.
CONNPOOL_QT_EXPORT void execOrThrow(QSqlQuery& query);
CONNPOOL_QT_EXPORT void execOrThrow(QSqlQuery& query, const QString& sql);

namespace detail {

/// One run() call, whatever its result type: run in a connection's thread.
class CONNPOOL_QT_EXPORT SqlCall {
public:
  virtual ~SqlCall();
  /// The callable; may throw. Keeps its result for finish().
  virtual void invoke(QSqlDatabase& db) = 0;
  virtual void finish() = 0;
  virtual void fail(std::exception_ptr error) = 0;
  virtual bool isCanceled() const = 0;
};

template <class R, class F> class SqlCallOf final : public SqlCall {
public:
  explicit SqlCallOf(F f) : f_(std::move(f)) { promise_.start(); }
  QFuture<R> future() { return promise_.future(); }
  void invoke(QSqlDatabase& db) override {
    if constexpr (std::is_void_v<R>)
      std::invoke(f_, db);
    else
      result_.emplace(std::invoke(f_, db));
  }
  void finish() override {
    if constexpr (!std::is_void_v<R>) promise_.addResult(std::move(*result_));
    promise_.finish();
  }
  void fail(std::exception_ptr error) override {
    promise_.setException(error);
    promise_.finish();
  }
  bool isCanceled() const override { return promise_.isCanceled(); }

private:
  struct Nothing {};
  F f_;
  QPromise<R> promise_;
  std::optional<std::conditional_t<std::is_void_v<R>, Nothing, R>> result_;
};

} // namespace detail

/// Threading rules:
///  - The SqlPool object lives in one thread (usually the GUI thread): its
///    properties, setters and signals belong there.
///  - Every connection has a thread of its own: its QSqlDatabase is added,
///    opened, used, closed and removed there, under a name made from a
///    process-wide counter ("connpool-sql-N", never reused).
///  - run() may be called from any thread and never blocks: the callable
///    runs later in a free connection's thread. The GUI thread continues
///    with `.then(this, ...)`; a worker thread may wait on the future.
///  - Settings are read when the pool starts (first run, warmUp or minIdle).
///    maxSize, maxIdle, minIdle, maxIdleTime, maxAge and healthCheckInterval
///    stay live, as on SocketPool; the others are fixed once started.
///  - Destruction fails the calls still waiting (PoolClosed), lets the ones
///    running finish, then waits (up to closeTimeout) until every connection
///    is closed and its thread gone.
class CONNPOOL_QT_EXPORT SqlPool : public QObject {
  Q_OBJECT

  // Where to connect (QSqlDatabase's own names).
  Q_PROPERTY(QString driverName READ driverName WRITE setDriverName NOTIFY settingsChanged)
  Q_PROPERTY(QString databaseName READ databaseName WRITE setDatabaseName NOTIFY settingsChanged)
  Q_PROPERTY(QString hostName READ hostName WRITE setHostName NOTIFY settingsChanged)
  Q_PROPERTY(int port READ port WRITE setPort NOTIFY settingsChanged)
  Q_PROPERTY(QString userName READ userName WRITE setUserName NOTIFY settingsChanged)
  Q_PROPERTY(QString password READ password WRITE setPassword NOTIFY settingsChanged)
  Q_PROPERTY(QString connectOptions READ connectOptions WRITE setConnectOptions NOTIFY settingsChanged)
  Q_PROPERTY(int connectTimeout READ connectTimeout WRITE setConnectTimeout NOTIFY settingsChanged)
  Q_PROPERTY(int pingIdleThreshold READ pingIdleThreshold WRITE setPingIdleThreshold NOTIFY settingsChanged)
  Q_PROPERTY(int closeTimeout READ closeTimeout WRITE setCloseTimeout NOTIFY settingsChanged)
  // Pool settings (milliseconds; 0 = off), as on SocketPool.
  Q_PROPERTY(int maxSize READ maxSize WRITE setMaxSize NOTIFY settingsChanged)
  Q_PROPERTY(int maxIdle READ maxIdle WRITE setMaxIdle NOTIFY settingsChanged)
  Q_PROPERTY(int maxIdleTime READ maxIdleTime WRITE setMaxIdleTime NOTIFY settingsChanged)
  Q_PROPERTY(int maxAge READ maxAge WRITE setMaxAge NOTIFY settingsChanged)
  Q_PROPERTY(int healthCheckInterval READ healthCheckInterval WRITE setHealthCheckInterval NOTIFY settingsChanged)
  Q_PROPERTY(int healthCheckTimeout READ healthCheckTimeout WRITE setHealthCheckTimeout NOTIFY settingsChanged)
  Q_PROPERTY(int minIdle READ minIdle WRITE setMinIdle NOTIFY settingsChanged)
  Q_PROPERTY(int maxSizeLimit READ maxSizeLimit WRITE setMaxSizeLimit NOTIFY settingsChanged)
  Q_PROPERTY(int maxConnecting READ maxConnecting WRITE setMaxConnecting NOTIFY settingsChanged)
  Q_PROPERTY(int backoffInitial READ backoffInitial WRITE setBackoffInitial NOTIFY settingsChanged)
  Q_PROPERTY(int backoffMax READ backoffMax WRITE setBackoffMax NOTIFY settingsChanged)
  Q_PROPERTY(int maxAgeJitter READ maxAgeJitter WRITE setMaxAgeJitter NOTIFY settingsChanged)
  Q_PROPERTY(double maxRetirementsPerSecond READ maxRetirementsPerSecond WRITE setMaxRetirementsPerSecond NOTIFY
                 settingsChanged)
  Q_PROPERTY(int leakThreshold READ leakThreshold WRITE setLeakThreshold NOTIFY settingsChanged)
  Q_PROPERTY(IdleOrder idleOrder READ idleOrder WRITE setIdleOrder NOTIFY settingsChanged)
  Q_PROPERTY(int statsInterval READ statsInterval WRITE setStatsInterval NOTIFY statsIntervalChanged)
  Q_PROPERTY(bool started READ isStarted NOTIFY startedChanged)
  Q_PROPERTY(bool circuitOpen READ isCircuitOpen NOTIFY circuitOpenChanged)

  // Statistics: the last published snapshot (see statsChanged).
  Q_PROPERTY(int openCount READ openCount NOTIFY openCountChanged)
  Q_PROPERTY(int idleCount READ idleCount NOTIFY idleCountChanged)
  Q_PROPERTY(int activeCount READ activeCount NOTIFY activeCountChanged)
  Q_PROPERTY(int waitingCount READ waitingCount NOTIFY waitingCountChanged)
  Q_PROPERTY(quint64 gets READ gets NOTIFY getsChanged)
  Q_PROPERTY(quint64 puts READ puts NOTIFY putsChanged)
  Q_PROPERTY(quint64 discards READ discards NOTIFY discardsChanged)
  Q_PROPERTY(quint64 hits READ hits NOTIFY hitsChanged)
  Q_PROPERTY(quint64 misses READ misses NOTIFY missesChanged)
  Q_PROPERTY(quint64 waits READ waits NOTIFY waitsChanged)
  Q_PROPERTY(quint64 timeouts READ timeouts NOTIFY timeoutsChanged)
  Q_PROPERTY(quint64 pingFailures READ pingFailures NOTIFY pingFailuresChanged)
  Q_PROPERTY(quint64 idleClosed READ idleClosed NOTIFY idleClosedChanged)
  Q_PROPERTY(quint64 ageClosed READ ageClosed NOTIFY ageClosedChanged)
  Q_PROPERTY(quint64 factoryFailures READ factoryFailures NOTIFY factoryFailuresChanged)
  Q_PROPERTY(quint64 closeTimeouts READ closeTimeouts NOTIFY closeTimeoutsChanged)
  Q_PROPERTY(quint64 maxActive READ maxActive NOTIFY maxActiveChanged)
  Q_PROPERTY(connpool::qt::SocketPoolStats publishedStats READ publishedStats NOTIFY statsChanged)

public:
  /// Which idle connection a call takes.
  enum class IdleOrder {
    Lifo, ///< the most recently used first: hot connections stay hot
    Fifo, ///< the one idle longest: spreads use over every connection
  };
  Q_ENUM(IdleOrder)

  explicit SqlPool(QObject* parent = nullptr);
  /// `driverName` as for QSqlDatabase::addDatabase ("QSQLITE", "QPSQL", ...).
  explicit SqlPool(const QString& driverName, QObject* parent = nullptr);
  ~SqlPool() override;

  /// Sets driverName, databaseName, hostName, port, userName, password and
  /// connectOptions at once from a URL: "sqlite:app.db" (QSQLITE), or
  /// "postgresql://user:password@host:5432/dbname?connect_timeout=5" (QPSQL;
  /// each query item a connect option). False, with a warning naming the
  /// problem, for anything else (nothing changes).
  Q_INVOKABLE bool setDatabaseUrl(const QString& url);

  QString driverName() const;
  void setDriverName(const QString& name);
  QString databaseName() const;
  void setDatabaseName(const QString& name);
  QString hostName() const;
  void setHostName(const QString& host);
  /// -1 (default): the driver's default port.
  int port() const;
  void setPort(int port);
  QString userName() const;
  void setUserName(const QString& name);
  QString password() const;
  void setPassword(const QString& password);
  /// QSqlDatabase::setConnectOptions, e.g. "QSQLITE_BUSY_TIMEOUT=5000" or
  /// "connect_timeout=5" (QPSQL).
  QString connectOptions() const;
  void setConnectOptions(const QString& options);
  /// Longest wait for one open() (ms, default 10000): past it the call that
  /// needed the connection fails with ConnectFailed (the open is abandoned).
  int connectTimeout() const;
  void setConnectTimeout(int msecs);
  /// A connection idle at least this long (ms, default 500) gets a round
  /// trip (SELECT 1) before a call is handed it, and in health checks; one
  /// used more recently goes straight to the call. 0: always.
  int pingIdleThreshold() const;
  void setPingIdleThreshold(int msecs);
  /// How long the destructor waits for calls still running (ms, default 30000).
  int closeTimeout() const;
  void setCloseTimeout(int msecs);

  /// Connections open at once, busy or idle (default 4). Live.
  int maxSize() const;
  void setMaxSize(int maxSize);
  /// Idle connections kept; -1 (default) means maxSize (and follows it). Live.
  int maxIdle() const;
  void setMaxIdle(int maxIdle);
  int maxIdleTime() const;
  void setMaxIdleTime(int msecs);
  int maxAge() const;
  void setMaxAge(int msecs);
  /// How often idle connections get a round trip (SELECT 1). Live.
  int healthCheckInterval() const;
  void setHealthCheckInterval(int msecs);
  /// Deadline of one round trip (0: none).
  int healthCheckTimeout() const;
  void setHealthCheckTimeout(int msecs);
  /// Idle connections kept ready, opened in the background. Live; setting it
  /// starts the pool.
  int minIdle() const;
  void setMinIdle(int count);
  /// The largest maxSize a live setMaxSize may set; 0: max(maxSize, 64).
  int maxSizeLimit() const;
  void setMaxSizeLimit(int limit);
  /// Most opens running at once (0: no cap).
  int maxConnecting() const;
  void setMaxConnecting(int count);
  /// Circuit breaker: after a failed open, calls that need a new connection
  /// fail at once for this long, doubling up to backoffMax. 0: off.
  int backoffInitial() const;
  void setBackoffInitial(int msecs);
  int backoffMax() const;
  void setBackoffMax(int msecs);
  int maxAgeJitter() const;
  void setMaxAgeJitter(int msecs);
  double maxRetirementsPerSecond() const;
  void setMaxRetirementsPerSecond(double rate);
  /// A call holding a connection longer than this (ms) is reported by
  /// leakSuspected with the file and line of its run(); 0: off.
  int leakThreshold() const;
  void setLeakThreshold(int msecs);
  IdleOrder idleOrder() const;
  void setIdleOrder(IdleOrder order);

  int statsInterval() const;
  void setStatsInterval(int msecs);
  bool isStarted() const;
  bool isCircuitOpen() const;

  /// Runs `f(QSqlDatabase&)` in a free connection's thread, waiting FIFO for
  /// one until `deadline` (then: Timeout). The future carries f's result, or
  /// its exception (a transaction left open is rolled back first), or a
  /// SqlPoolError. QFuture::cancel() before f starts: f never runs.
  template <class F> auto run(F f, QDeadlineTimer deadline = QDeadlineTimer(QDeadlineTimer::Forever),
                              const std::source_location& where = std::source_location::current()) {
    using R = std::decay_t<std::invoke_result_t<F&, QSqlDatabase&>>;
    auto call = std::make_shared<detail::SqlCallOf<R, F>>(std::move(f));
    QFuture<R> future = call->future();
    submit(std::move(call), deadline, where);
    return future;
  }

  /// Starts the pool and opens connections in the calling thread until
  /// minIdle are idle, or `msecs` pass (-1: no limit). Blocks.
  Q_INVOKABLE bool warmUp(int msecs);
  /// Retires every connection open now (busy ones when their call ends).
  Q_INVOKABLE int drain();
  Q_INVOKABLE QList<connpool::qt::ConnectionInfo> connections() const;
  Q_INVOKABLE connpool::qt::SocketPoolStats stats() const;
  SocketPoolStats publishedStats() const;
  /// As SocketPool::openMetrics / prometheusText (see MetricsEndpoint).
  QByteArray openMetrics(const QString& poolName, bool eof = true) const;
  QByteArray prometheusText(const QString& poolName) const;

  int openCount() const;
  int idleCount() const;
  int activeCount() const;
  int waitingCount() const;
  quint64 gets() const;
  quint64 puts() const;
  quint64 discards() const;
  quint64 hits() const;
  quint64 misses() const;
  quint64 waits() const;
  quint64 timeouts() const;
  quint64 pingFailures() const;
  quint64 idleClosed() const;
  quint64 ageClosed() const;
  quint64 factoryFailures() const;
  quint64 closeTimeouts() const;
  quint64 maxActive() const;

Q_SIGNALS:
  void settingsChanged();
  void statsIntervalChanged();
  void startedChanged();
  void circuitOpenChanged(bool open);
  void leakSuspected(quint64 connectionId, const QString& where, qint64 heldMsecs);
  void leakReturned(quint64 connectionId, const QString& where, qint64 heldMsecs);
  /// Opening a connection failed; `errorText` is the driver's.
  void connectFailed(const QString& errorText);
  /// A connection broke (lost during a call, or failed its round trip) and
  /// was retired.
  void connectionLost(quint64 connectionId, const QString& errorText);
  /// A call returned, or threw, inside a transaction: it was rolled back.
  void transactionRolledBack(quint64 connectionId, const QString& where);

  void statsChanged(const connpool::qt::SocketPoolStats& stats);
  void openCountChanged(int value);
  void idleCountChanged(int value);
  void activeCountChanged(int value);
  void waitingCountChanged(int value);
  void getsChanged(quint64 value);
  void putsChanged(quint64 value);
  void discardsChanged(quint64 value);
  void hitsChanged(quint64 value);
  void missesChanged(quint64 value);
  void waitsChanged(quint64 value);
  void timeoutsChanged(quint64 value);
  void pingFailuresChanged(quint64 value);
  void idleClosedChanged(quint64 value);
  void ageClosedChanged(quint64 value);
  void factoryFailuresChanged(quint64 value);
  void closeTimeoutsChanged(quint64 value);
  void maxActiveChanged(quint64 value);

private:
  void submit(std::shared_ptr<detail::SqlCall> call, QDeadlineTimer deadline, const std::source_location& where);

  friend class SqlPoolPrivate;
  std::unique_ptr<SqlPoolPrivate> d;
};

} // namespace connpool::qt
