// SPDX-License-Identifier: MIT
#include "sqlconnection_p.h"

#include <QtCore/qdatetime.h>
#include <QtCore/qurl.h>
#include <QtCore/qurlquery.h>
#include <QtCore/qvariant.h>
#include <QtSql/qsqldriver.h>
#include <QtSql/qsqlerror.h>
#include <QtSql/qsqlquery.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <utility>

#if defined(Q_OS_UNIX)
#include <dlfcn.h>
#endif

namespace connpool::qt::detail {

namespace {

std::atomic<quint64> connectionCounter{0};

qint64 nowMsecs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The driver's client library, already loaded by its Qt plugin: asked
// without linking it (RTLD_NOLOAD finds the copy the plugin loaded).
void* symbolIn(const char* library, const char* symbol) {
#if defined(Q_OS_UNIX)
  if (void* handle = dlopen(library, RTLD_NOW | RTLD_NOLOAD)) {
    void* f = dlsym(handle, symbol);
    dlclose(handle); // the plugin keeps it loaded
    return f;
  }
#else
  Q_UNUSED(library);
  Q_UNUSED(symbol);
#endif
  return nullptr;
}

struct LibPq {
  int (*status)(const void*) = nullptr; // PQstatus: CONNECTION_OK = 0
  int (*transactionStatus)(const void*) =
      nullptr; // PQtransactionStatus: IDLE 0, ACTIVE 1, INTRANS 2, INERROR 3, UNKNOWN 4
};

struct LibSqlite {
  int (*autocommit)(void*) = nullptr; // sqlite3_get_autocommit: non-zero outside a transaction
};

void* handleOf(const QVariant& h) {
  if (!h.isValid() || h.metaType().sizeOf() != static_cast<qsizetype>(sizeof(void*))) return nullptr;
  return *static_cast<void* const*>(h.constData());
}

} // namespace

void SqlThreadCount::enter() {
  std::lock_guard lk(mutex_);
  ++running_;
}

void SqlThreadCount::leave() {
  std::lock_guard lk(mutex_);
  if (--running_ == 0) none_.notify_all();
}

bool SqlThreadCount::waitForNone(QDeadlineTimer deadline) {
  std::unique_lock lk(mutex_);
  if (deadline.isForever()) {
    none_.wait(lk, [this] { return running_ == 0; });
    return true;
  }
  return none_.wait_until(lk, deadline.deadline<std::chrono::steady_clock>(), [this] { return running_ == 0; });
}

int SqlThreadCount::running() const {
  std::lock_guard lk(mutex_);
  return running_;
}

std::optional<SqlConnectOptions> parseDatabaseUrl(const QString& text, QString* why) {
  const QUrl url(text, QUrl::StrictMode);
  const QString scheme = url.scheme().toLower();
  SqlConnectOptions o;
  if (!url.isValid()) {
    *why = QStringLiteral("not a valid URL: %1").arg(url.errorString());
    return {};
  }
  if (scheme == QLatin1String("sqlite")) {
    o.driver = QStringLiteral("QSQLITE");
    o.database = url.path();
    if (o.database.isEmpty()) {
      *why = QStringLiteral("sqlite: URLs need a file path, e.g. sqlite:app.db or sqlite:///var/lib/app/app.db");
      return {};
    }
  } else if (scheme == QLatin1String("postgresql") || scheme == QLatin1String("postgres")) {
    o.driver = QStringLiteral("QPSQL");
    o.host = url.host();
    o.port = url.port(-1);
    o.user = url.userName();
    o.password = url.password();
    o.database = url.path().mid(1); // without the leading '/'
  } else {
    *why = QStringLiteral("unknown scheme \"%1\" (use sqlite: or postgresql:)").arg(url.scheme());
    return {};
  }
  QStringList options;
  for (const auto& [key, value] : QUrlQuery(url).queryItems(QUrl::FullyDecoded))
    options << key + QLatin1Char('=') + value;
  o.options = options.join(QLatin1Char(';'));
  return o;
}

SqlState transactionState(const QSqlDatabase& db) {
  if (!db.isOpen()) return SqlState::Broken;
  const QVariant h = db.driver()->handle();
  void* p = handleOf(h);
  if (!p) return SqlState::Unknown;
  if (qstrcmp(h.typeName(), "PGconn*") == 0) {
    static const LibPq pq = [] {
      LibPq l;
      l.status = reinterpret_cast<int (*)(const void*)>(symbolIn("libpq.so.5", "PQstatus"));
      l.transactionStatus = reinterpret_cast<int (*)(const void*)>(symbolIn("libpq.so.5", "PQtransactionStatus"));
      return l;
    }();
    if (!pq.status || !pq.transactionStatus) return SqlState::Unknown;
    if (pq.status(p) != 0) return SqlState::Broken;
    switch (pq.transactionStatus(p)) {
    case 0: return SqlState::Idle;
    case 4: return SqlState::Broken;
    default: return SqlState::InTransaction;
    }
  }
  if (qstrcmp(h.typeName(), "sqlite3*") == 0) {
    static const LibSqlite lite = [] {
      LibSqlite l;
      l.autocommit = reinterpret_cast<int (*)(void*)>(symbolIn("libsqlite3.so.0", "sqlite3_get_autocommit"));
      return l;
    }();
    if (!lite.autocommit) return SqlState::Unknown;
    return lite.autocommit(p) ? SqlState::Idle : SqlState::InTransaction;
  }
  return SqlState::Unknown;
}

bool roundTrip(QSqlDatabase& db, QString* error) {
  if (!db.isOpen() || transactionState(db) == SqlState::Broken) { // QSqlQuery::exec would warn, or fail anyway
    if (error) *error = QStringLiteral("the connection was lost");
    return false;
  }
  // The drivers whose SELECT needs a FROM.
  const QString driver = db.driverName();
  QString sql = QStringLiteral("SELECT 1");
  if (driver == QLatin1String("QOCI")) sql = QStringLiteral("SELECT 1 FROM DUAL");
  if (driver == QLatin1String("QDB2")) sql = QStringLiteral("SELECT 1 FROM SYSIBM.SYSDUMMY1");
  if (driver == QLatin1String("QIBASE")) sql = QStringLiteral("SELECT 1 FROM RDB$DATABASE");
  QSqlQuery query(db);
  if (query.exec(sql) && query.next()) return true;
  if (error) *error = query.lastError().text();
  return false;
}

struct SqlConnection::Shared {
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Job> jobs;  // guarded by mutex
  bool stopping = false; // guarded by mutex
  bool openDone = false; // guarded by mutex
  bool opened = false;   // guarded by mutex
  QString openError;     // guarded by mutex
  std::atomic<qint64> lastGood{0};
};

namespace {

void connectionThread(std::shared_ptr<SqlConnection::Shared> sh, SqlConnectOptions o, QString name,
                      std::shared_ptr<SqlThreadCount> threads) {
  {
    QSqlDatabase db = QSqlDatabase::addDatabase(o.driver, name);
    db.setDatabaseName(o.database);
    db.setHostName(o.host);
    db.setPort(o.port);
    db.setUserName(o.user);
    db.setPassword(o.password);
    db.setConnectOptions(o.options);
    const bool ok = db.open();
    {
      std::lock_guard lk(sh->mutex);
      sh->openDone = true;
      sh->opened = ok;
      if (!ok) sh->openError = db.lastError().text();
    }
    sh->wake.notify_all();
    if (ok) sh->lastGood.store(nowMsecs(), std::memory_order_relaxed);
    while (ok) {
      std::unique_lock lk(sh->mutex);
      sh->wake.wait(lk, [&] { return !sh->jobs.empty() || sh->stopping; });
      if (sh->jobs.empty()) break; // stopping, and every queued job ran
      SqlConnection::Job job = std::move(sh->jobs.front());
      sh->jobs.pop_front();
      lk.unlock();
      try {
        job(db);
      } catch (...) { // jobs report their own errors; this thread must live on
      }
    }
    db.close();
  } // the last QSqlDatabase handle of `name` goes here, so removing it warns of nothing
  QSqlDatabase::removeDatabase(name);
  {
    // Jobs still queued (posted after the shutdown) are dropped here, in
    // this thread, where their captures were meant to be released.
    std::deque<SqlConnection::Job> left;
    {
      std::lock_guard lk(sh->mutex);
      left.swap(sh->jobs);
    }
  }
  threads->leave();
}

} // namespace

std::shared_ptr<SqlConnection> SqlConnection::open(const SqlConnectOptions& options, QDeadlineTimer deadline,
                                                   std::shared_ptr<SqlThreadCount> threads) {
  // Checked here: addDatabase() with a missing driver prints warnings.
  if (!QSqlDatabase::isDriverAvailable(options.driver))
    throw SqlConnectFailure(QStringLiteral("the Qt SQL driver \"%1\" is not available (installed: %2)")
                                .arg(options.driver, QSqlDatabase::drivers().join(QStringLiteral(", "))));
  const QString name = QStringLiteral("connpool-sql-%1").arg(++connectionCounter);
  auto sh = std::make_shared<Shared>();
  threads->enter();
  try {
    std::thread(connectionThread, sh, options, name, threads).detach();
  } catch (...) {
    threads->leave();
    throw SqlConnectFailure(QStringLiteral("cannot start a thread for the connection"));
  }
  auto connection = std::shared_ptr<SqlConnection>(new SqlConnection(name, sh));
  std::unique_lock lk(sh->mutex);
  const auto done = [&] { return sh->openDone; };
  const bool inTime = deadline.isForever()
                          ? (sh->wake.wait(lk, done), true)
                          : sh->wake.wait_until(lk, deadline.deadline<std::chrono::steady_clock>(), done);
  if (!inTime) {
    lk.unlock();
    // `connection` goes below: its thread closes and ends once open() returns.
    throw SqlConnectFailure(QStringLiteral("opening the database took longer than the connect timeout"));
  }
  if (!sh->opened) {
    QString why = sh->openError.isEmpty() ? QStringLiteral("open() failed") : sh->openError;
    lk.unlock();
    throw SqlConnectFailure(std::move(why));
  }
  return connection;
}

SqlConnection::~SqlConnection() { shutdown(); }

void SqlConnection::post(Job job) {
  {
    std::lock_guard lk(shared_->mutex);
    shared_->jobs.push_back(std::move(job));
  }
  shared_->wake.notify_all();
}

bool SqlConnection::runAndWait(Job job, QDeadlineTimer deadline) {
  struct Done {
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
  };
  auto done = std::make_shared<Done>();
  post([job = std::move(job), done](QSqlDatabase& db) {
    job(db);
    {
      std::lock_guard lk(done->mutex);
      done->done = true;
    }
    done->cv.notify_all();
  });
  std::unique_lock lk(done->mutex);
  const auto finished = [&] { return done->done; };
  if (deadline.isForever()) {
    done->cv.wait(lk, finished);
    return true;
  }
  return done->cv.wait_until(lk, deadline.deadline<std::chrono::steady_clock>(), finished);
}

void SqlConnection::shutdown() {
  {
    std::lock_guard lk(shared_->mutex);
    shared_->stopping = true;
  }
  shared_->wake.notify_all();
}

qint64 SqlConnection::lastGoodMsecs() const { return shared_->lastGood.load(std::memory_order_relaxed); }

void SqlConnection::markGood() { shared_->lastGood.store(nowMsecs(), std::memory_order_relaxed); }

} // namespace connpool::qt::detail
