// SPDX-License-Identifier: MIT
// SqlPool with PostgreSQL (QPSQL) against a real server started for this test
// by tests/pg/with_postgres.sh: backends killed (pg_terminate_backend) and
// the server restarted under load from worker threads and the GUI thread.
// Every call succeeds or fails with a clear error, the pool recovers, never
// holds more than maxSize backends (counted in pg_stat_activity), and leaves
// none after it is destroyed with calls in flight; the event loop keeps
// ticking while 8 slow queries run; Qt SQL prints no warning.
#include <connpool/qt/sqlpool.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>
#include <QtSql/qsqldatabase.h>
#include <QtSql/qsqlquery.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <spawn.h>
#include <sys/wait.h>

#include "sqltestsupport.h"

extern char** environ;

using connpool::qt::execOrThrow;
using connpool::qt::SqlPool;
using connpool::qt::SqlPoolError;

namespace {

const QString appName = QStringLiteral("connpool_sqlpool_test");

// posix_spawn, not QProcess: QProcess cannot start children under TSan.
int runShell(const QByteArray& command) {
  const char* argv[] = {"/bin/sh", "-c", command.constData(), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

template <class T> bool waitFinished(const QFuture<T>& f, int msecs = 20000) {
  QDeadlineTimer deadline(msecs);
  while (!f.isFinished() && !deadline.hasExpired())
    QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
  return f.isFinished();
}

template <class T> std::optional<SqlPoolError::Kind> poolErrorOf(QFuture<T> f) {
  try {
    f.waitForFinished();
    return {};
  } catch (const SqlPoolError& e) {
    return e.kind();
  }
}

// What every finished call ended in.
struct Outcomes {
  std::mutex mutex;
  int ok = 0;
  int clearErrors = 0;
  QStringList unclear;
  qint64 lastOkMs = -1; // on `clock`
  QElapsedTimer clock;

  template <class T> void record(QFuture<T> f) {
    QString error;
    bool clear = true;
    try {
      f.waitForFinished();
    } catch (const SqlPoolError& e) {
      error = e.message();
      clear = !error.isEmpty();
    } catch (const std::exception& e) {
      error = QString::fromUtf8(e.what());
      clear = !error.isEmpty();
    } catch (...) {
      error = QStringLiteral("(an exception without a message)");
      clear = false;
    }
    std::lock_guard lk(mutex);
    if (error.isEmpty()) {
      ++ok;
      lastOkMs = clock.elapsed();
    } else if (clear) {
      ++clearErrors;
    } else {
      unclear << error;
    }
  }
  qint64 lastOk() {
    std::lock_guard lk(mutex);
    return lastOkMs;
  }
};

} // namespace

class TestSqlPoolPostgres : public QObject {
  Q_OBJECT

private:
  QString url_;
  std::unique_ptr<sqltest::WarningCounter> warnings_;

  std::unique_ptr<SqlPool> makePool(int maxSize) {
    auto pool = std::make_unique<SqlPool>();
    // The README's setup with the one line changed: a postgresql: URL.
    pool->setDatabaseUrl(url_);
    pool->setConnectOptions(pool->connectOptions() + QStringLiteral(";application_name=") + appName);
    pool->setMaxSize(maxSize);
    pool->setConnectTimeout(5000);
    return pool;
  }

  // The test's own connection, in this thread: counts and kills the pool's backends.
  QSqlDatabase admin() {
    QSqlDatabase db = QSqlDatabase::database(QStringLiteral("admin"), false);
    if (!db.isValid()) {
      SqlPool parse;
      parse.setDatabaseUrl(url_);
      db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), QStringLiteral("admin"));
      db.setHostName(parse.hostName());
      db.setPort(parse.port());
      db.setUserName(parse.userName());
      db.setPassword(parse.password());
      db.setDatabaseName(parse.databaseName());
      db.setConnectOptions(parse.connectOptions());
    }
    if (!db.isOpen() || !QSqlQuery(db).exec(QStringLiteral("SELECT 1"))) {
      db.close();
      for (int attempt = 0; attempt < 50 && !db.open(); ++attempt) // the server may be starting
        QThread::msleep(20);
    }
    return db;
  }
  int backends() {
    QSqlDatabase db = admin();
    if (!db.isOpen()) return -1; // (QSqlQuery::exec would warn)
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE application_name = '%1'").arg(appName)) ||
        !q.next())
      return -1;
    return q.value(0).toInt();
  }
  int killBackends() {
    QSqlDatabase db = admin();
    if (!db.isOpen()) return -1;
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                               "application_name = '%1'")
                    .arg(appName)) ||
        !q.next())
      return -1;
    return q.value(0).toInt();
  }

private slots:
  void initTestCase() {
    url_ = qEnvironmentVariable("CONNPOOL_PG_URL");
    if (url_.isEmpty())
      QSKIP("no PostgreSQL server: run through ctest (tests/pg/with_postgres.sh starts one and sets CONNPOOL_PG_URL)");
    QVERIFY2(QSqlDatabase::isDriverAvailable(QStringLiteral("QPSQL")),
             "the QPSQL driver is missing (Debian package libqt6sql6-psql; scripts/bootstrap.sh installs it)");
    QVERIFY2(admin().isOpen(), qPrintable(admin().lastError().text()));
  }

  void init() { warnings_ = std::make_unique<sqltest::WarningCounter>(); }

  void cleanup() {
    QTRY_COMPARE_WITH_TIMEOUT(backends(), 0, 10000);
    // Every pool connection was removed, in its own thread: only ours is left.
    QCOMPARE(QSqlDatabase::connectionNames(), QStringList{QStringLiteral("admin")});
    QVERIFY2(warnings_->count() == 0, qPrintable(warnings_->messages().join(QLatin1Char('\n'))));
    warnings_.reset();
  }

  void cleanupTestCase() {
    if (QSqlDatabase::contains(QStringLiteral("admin"))) {
      QSqlDatabase::database(QStringLiteral("admin"), false).close();
      QSqlDatabase::removeDatabase(QStringLiteral("admin"));
    }
  }

  void readmeExample() {
    auto poolPtr = makePool(4); // the one line changed: a postgresql:// URL
    auto created = poolPtr->run([](QSqlDatabase& db) {
      QSqlQuery q(db);
      execOrThrow(q, QStringLiteral("CREATE TABLE notes (body TEXT)"));
    });
    QVERIFY(waitFinished(created));
    // The README's SqlPool example, as written there (the URL aside).
    SqlPool& pool = *poolPtr;
    std::thread worker([&pool] {
      pool.run([](QSqlDatabase& db) {
            QSqlQuery q(db);
            q.prepare("INSERT INTO notes (body) VALUES (?)");
            q.addBindValue("a note");
            execOrThrow(q);
          })
          .waitForFinished();
    });
    worker.join();
    int shown = -1;
    QString failure;
    pool.run([](QSqlDatabase& db) {
          QSqlQuery q(db);
          execOrThrow(q, "SELECT count(*) FROM notes");
          q.next();
          return q.value(0).toInt();
        })
        .then(this, [&](int count) { shown = count; })
        .onFailed(this, [&](const SqlPoolError& e) { failure = e.message(); });
    QTRY_VERIFY_WITH_TIMEOUT(shown >= 0 || !failure.isEmpty(), 10000);
    QCOMPARE(failure, QString());
    QCOMPARE(shown, 1);
    auto dropped = pool.run([](QSqlDatabase& db) {
      QSqlQuery q(db);
      execOrThrow(q, QStringLiteral("DROP TABLE notes"));
    });
    QVERIFY(waitFinished(dropped));
  }

  void killedIdleConnectionIsReplaced() {
    auto pool = makePool(1);
    pool->setPingIdleThreshold(0); // a round trip before every call
    QSignalSpy lost(pool.get(), &SqlPool::connectionLost);
    auto pid = [](QSqlDatabase& db) {
      QSqlQuery q(db);
      execOrThrow(q, QStringLiteral("SELECT pg_backend_pid()"));
      q.next();
      return q.value(0).toInt();
    };
    auto first = pool->run(pid);
    QVERIFY(waitFinished(first));
    QCOMPARE(killBackends(), 1);
    QTRY_COMPARE(backends(), 0);
    auto second = pool->run(pid); // the round trip finds it dead: a new one serves the call
    QVERIFY(waitFinished(second));
    QVERIFY(second.result() != first.result());
    QTRY_COMPARE(pool->stats().pingFailures, quint64(1));
    QTRY_COMPARE(lost.size(), 1);
  }

  void killsAndRestartUnderLoad() {
    constexpr int maxSize = 4;
    warnings_->setDriverOpenNoiseExpected(true); // a kill or the stop may land inside QPSQL's open()
    auto pool = makePool(maxSize);
    pool->setHealthCheckInterval(200);
    Outcomes outcomes;
    outcomes.clock.start();
    std::atomic<bool> stop{false};
    auto call = [](QSqlDatabase& db) {
      QSqlQuery q(db);
      execOrThrow(q, QStringLiteral("SELECT count(*) FROM pg_class"));
      q.next();
      return q.value(0).toInt();
    };
    std::vector<std::thread> workers;
    for (int i = 0; i < 3; ++i)
      workers.emplace_back([&] {
        for (int n = 0; n < 100000 && !stop.load(); ++n)
          outcomes.record(pool->run(call, QDeadlineTimer(5000)));
      });
    // The GUI thread: at most 4 calls of its own in flight, continued with .then().
    int guiInFlight = 0;
    QTimer gui;
    gui.setInterval(2);
    QObject::connect(&gui, &QTimer::timeout, this, [&] {
      if (guiInFlight >= 4) return;
      ++guiInFlight;
      pool->run(call, QDeadlineTimer(5000)).then(this, [&](QFuture<int> f) {
        --guiInFlight;
        outcomes.record(f);
      });
    });
    gui.start();
    int maxBackends = 0;
    auto runFor = [&](int msecs) {
      QDeadlineTimer until(msecs);
      while (!until.hasExpired()) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        maxBackends = std::max(maxBackends, backends());
      }
    };
    // Until `since` is followed by a successful call: the recovery time.
    auto recoveredAfter = [&](qint64 since) -> qint64 {
      QDeadlineTimer until(20000);
      while (!until.hasExpired() && outcomes.lastOk() <= since)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 1);
      return outcomes.lastOk() > since ? outcomes.lastOk() - since : -1;
    };

    runFor(300);
    QList<qint64> killRecovery;
    for (int round = 0; round < 3; ++round) {
      const qint64 at = outcomes.clock.elapsed();
      QVERIFY(killBackends() >= 1);
      killRecovery << recoveredAfter(at);
      QVERIFY2(killRecovery.last() >= 0, "no call succeeded after the backends were killed");
      runFor(200);
    }
    // Restart, on a thread of its own so this one keeps its event loop.
    std::atomic<bool> restarted{false};
    std::atomic<qint64> backAt{-1};
    const qint64 stoppedAt = outcomes.clock.elapsed();
    std::thread restart([&] {
      const bool stopped = runShell(qgetenv("CONNPOOL_PG_STOP")) == 0;
      const bool started = runShell(qgetenv("CONNPOOL_PG_START")) == 0;
      backAt = outcomes.clock.elapsed();
      restarted = stopped && started;
    });
    QDeadlineTimer restartDeadline(60000);
    while (backAt.load() < 0 && !restartDeadline.hasExpired())
      QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    restart.join();
    QVERIFY2(restarted.load(), "pg_ctl stop/start failed");
    const qint64 restartRecovery = recoveredAfter(backAt.load());
    QVERIFY2(restartRecovery >= 0, "no call succeeded after the server came back");
    runFor(300);
    stop = true;
    gui.stop();
    for (auto& t : workers)
      t.join();
    QTRY_COMPARE_WITH_TIMEOUT(guiInFlight, 0, 10000);

    std::lock_guard lk(outcomes.mutex);
    QVERIFY2(outcomes.unclear.isEmpty(), qPrintable(outcomes.unclear.join(QLatin1Char('\n'))));
    QVERIFY(outcomes.ok > 50);
    QVERIFY2(maxBackends <= maxSize, qPrintable(QString::number(maxBackends)));
    QVERIFY(pool->stats().maxActive <= quint64(maxSize));
    for (qint64 ms : killRecovery)
      sqltest::figure("PostgreSQL: first successful call after killing every backend", static_cast<double>(ms), "ms");
    sqltest::figure("PostgreSQL: server down (pg_ctl -m fast stop + start)",
                    static_cast<double>(backAt.load() - stoppedAt), "ms");
    sqltest::figure("PostgreSQL: first successful call after the server accepts again",
                    static_cast<double>(restartRecovery), "ms");
    std::printf("calls: %d succeeded, %d failed with a clear error; %d backends at most; %d messages from "
                "QPSQL's open() interrupted by the faults\n",
                outcomes.ok, outcomes.clearErrors, maxBackends, warnings_->driverOpenNoise());
  }

  void destroyedWithCallsInFlight() {
    auto pool = makePool(4);
    std::vector<QFuture<int>> running, waiting;
    for (int i = 0; i < 4; ++i)
      running.push_back(pool->run([](QSqlDatabase& db) {
        QSqlQuery q(db);
        execOrThrow(q, QStringLiteral("SELECT 7 FROM pg_sleep(1)")); // still running at the destruction
        q.next();
        return q.value(0).toInt();
      }));
    QTRY_COMPARE(pool->stats().activeCount, 4);
    for (int i = 0; i < 3; ++i)
      waiting.push_back(pool->run([](QSqlDatabase&) { return 0; }));
    QCOMPARE(backends(), 4);
    pool.reset();
    for (auto& f : running)
      QCOMPARE(f.result(), 7);
    for (auto& f : waiting)
      QCOMPARE(poolErrorOf(f), SqlPoolError::Kind::PoolClosed);
    QTRY_COMPARE_WITH_TIMEOUT(backends(), 0, 5000); // the server saw every connection end
  }

  void eventLoopTicksWhileSlowQueriesRun() {
    auto pool = makePool(8);
    pool->setMinIdle(8);
    QVERIFY(pool->warmUp(10000));
    sqltest::StallMeter meter;
    meter.start();
    std::vector<QFuture<int>> slow;
    for (int i = 0; i < 8; ++i)
      slow.push_back(pool->run([](QSqlDatabase& db) {
        QSqlQuery q(db);
        execOrThrow(q, QStringLiteral("SELECT 1 FROM pg_sleep(0.3)"));
        q.next();
        return q.value(0).toInt();
      }));
    for (auto& f : slow)
      QVERIFY(waitFinished(f));
    meter.stop();
    sqltest::figure("PostgreSQL: event-loop stall p99 while 8 pg_sleep(0.3) run", meter.percentileUs(0.99) / 1000.0,
                    "ms");
    sqltest::figure("PostgreSQL: event-loop stall max", meter.maxUs() / 1000.0, "ms");
    QVERIFY2(meter.ticks() > 20, qPrintable(QString::number(meter.ticks())));
    for (auto& f : slow)
      QCOMPARE(f.result(), 1);
  }

  void figures() {
    constexpr int millis = 1000;
    const QString sql = QStringLiteral("SELECT 1");
    double single = 0;
    {
      QSqlQuery q(admin());
      int n = 0;
      QElapsedTimer t;
      t.start();
      while (t.elapsed() < millis) {
        QVERIFY(q.exec(sql));
        q.next();
        ++n;
      }
      single = n * 1000.0 / static_cast<double>(t.elapsed());
    }
    auto pool = makePool(4);
    pool->setMinIdle(4);
    QVERIFY(pool->warmUp(10000));
    std::atomic<int> calls{0};
    QElapsedTimer t;
    t.start();
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
      threads.emplace_back([&] {
        while (t.elapsed() < millis) {
          pool->run([&sql](QSqlDatabase& db) {
                QSqlQuery q(db);
                execOrThrow(q, sql);
                q.next();
              })
              .waitForFinished();
          ++calls;
        }
      });
    for (auto& th : threads)
      th.join();
    const double pooled = calls.load() * 1000.0 / static_cast<double>(t.elapsed());
    sqltest::figure("PostgreSQL: calls/s, one connection on one thread", single, "calls/s");
    sqltest::figure("PostgreSQL: calls/s through the pool (4 connections, 4 threads)", pooled, "calls/s");
    QVERIFY(calls.load() > 0);
  }
};

QTEST_MAIN(TestSqlPoolPostgres)
#include "tst_SqlPoolPostgres.moc"
