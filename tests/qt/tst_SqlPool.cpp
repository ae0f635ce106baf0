// SPDX-License-Identifier: MIT
// SqlPool with SQLite (QSQLITE, a temporary database file in WAL mode): calls
// run in their connection's thread, results and exceptions reach the future,
// transactions never outlive a call, waits are FIFO with deadlines and
// cancellation, destruction with calls in flight leaves no connection, the
// event loop keeps ticking, and Qt SQL prints no warning.
#include <connpool/qt/connectionmodel.h>
#include <connpool/qt/metricsendpoint.h>
#include <connpool/qt/sqlpool.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>
#include <QtSql/qsqldatabase.h>
#include <QtSql/qsqlquery.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "../support/gate.h"
#include "sqltestsupport.h"

using connpool::qt::execOrThrow;
using connpool::qt::SqlPool;
using connpool::qt::SqlPoolError;

namespace {

// A query that keeps SQLite busy for a while (no sleep() in SQLite).
const QString slowQuery = QStringLiteral("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < "
                                         "%1) SELECT count(*) FROM c");

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

// Holds a connection until released (bounded: 20 s).
struct Gate {
  testing_support::gate opened;
  std::atomic<int> entered{0};
  // Blocks (20 s at most) instead of spinning: two spinning connection
  // threads on a 2-core machine starved the dispatcher for seconds.
  void wait() {
    ++entered;
    opened.wait(std::chrono::seconds(20));
  }
  void open() { opened.open(); }
};

// What a failed wait on the pool's counts prints.
QString describe(const SqlPool& pool) {
  const connpool::qt::SocketPoolStats s = pool.stats();
  return QStringLiteral("waiting %1, active %2, idle %3, open %4, creating %5, gets %6, timeouts %7, cancellations %8")
      .arg(s.waitingCount)
      .arg(s.activeCount)
      .arg(s.idleCount)
      .arg(s.openCount)
      .arg(s.creatingCount)
      .arg(s.gets)
      .arg(s.timeouts)
      .arg(s.cancellations);
}

} // namespace

class TestSqlPool : public QObject {
  Q_OBJECT

private:
  std::unique_ptr<QTemporaryDir> dir_;
  QString dbPath_;
  std::unique_ptr<sqltest::WarningCounter> warnings_;

  std::unique_ptr<SqlPool> makePool(int maxSize) {
    // The README's SQLite setup.
    auto pool = std::make_unique<SqlPool>();
    pool->setDatabaseUrl(QStringLiteral("sqlite:") + dbPath_);
    pool->setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=10000"));
    pool->setMaxSize(maxSize);
    return pool;
  }

private slots:
  void initTestCase() {
    QVERIFY2(QSqlDatabase::isDriverAvailable(QStringLiteral("QSQLITE")),
             "the QSQLITE driver is missing (Debian package libqt6sql6-sqlite; scripts/bootstrap.sh installs it)");
  }

  void init() {
    dir_ = std::make_unique<QTemporaryDir>();
    QVERIFY(dir_->isValid());
    dbPath_ = dir_->filePath(QStringLiteral("test.db"));
    warnings_ = std::make_unique<sqltest::WarningCounter>();
    auto pool = makePool(1);
    auto f = pool->run([](QSqlDatabase& db) {
      QSqlQuery q(db);
      execOrThrow(q, QStringLiteral("PRAGMA journal_mode=WAL"));
      execOrThrow(q, QStringLiteral("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"));
    });
    QVERIFY(waitFinished(f));
    f.waitForFinished(); // rethrows
  }

  void cleanup() {
    QTRY_VERIFY_WITH_TIMEOUT(QSqlDatabase::connectionNames().isEmpty(), 10000);
    QVERIFY2(warnings_->count() == 0, qPrintable(warnings_->messages().join(QLatin1Char('\n'))));
    warnings_.reset();
  }

  void readmeExample() {
    auto poolPtr = std::make_unique<SqlPool>();
    poolPtr->setDatabaseUrl("sqlite:" + dbPath_);
    poolPtr->setMaxSize(4);
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
        .onFailed(this, [&](const SqlPoolError& e) { failure = e.message(); })
        .onFailed(this, [&] { failure = QStringLiteral("the call threw"); });
    QTRY_VERIFY_WITH_TIMEOUT(shown >= 0 || !failure.isEmpty(), 10000);
    QCOMPARE(failure, QString());
    QCOMPARE(shown, 1);
  }

  // examples/sqlpool.cpp's main(): the last call's continuation quits the
  // event loop. When the call has finished before .then(context, ...) is
  // attached (the calling thread descheduled while the connection's thread
  // ran it), the continuation runs at once, inside that statement, and a
  // quit() before exec() is lost: started from the event loop, as the
  // example and the README do, the quit lands. The race is held open with
  // one connection: a second call has finished only once the first one's
  // finish() returned (attaching while finish() runs can make Qt 6.4 run a
  // continuation twice).
  void continuationOfAFinishedCallEndsTheEventLoop() {
    auto pool = makePool(1);
    const auto finishedCall = [&pool](int value) {
      QFuture<int> f = pool->run([value](QSqlDatabase&) { return value; });
      pool->run([](QSqlDatabase&) {}).waitForFinished(); // after f's finish(), on the same connection
      return f;
    };
    QObject context;
    bool ranAtOnce = false;
    finishedCall(7).then(&context, [&](int) { ranAtOnce = true; });
    QVERIFY2(ranAtOnce, "a continuation on a finished future runs in the statement that attaches it");

    QEventLoop loop;
    int shown = -1;
    bool guardFired = false;
    QTimer::singleShot(0, &context, [&] {
      finishedCall(8)
          .then(&context,
                [&](int count) {
                  shown = count;
                  loop.quit();
                })
          .onFailed(&context, [&] { loop.quit(); });
    });
    QTimer guard; // ends the loop only if the continuation's quit() was lost
    guard.setSingleShot(true);
    connect(&guard, &QTimer::timeout, &loop, [&] {
      guardFired = true;
      loop.quit();
    });
    guard.start(10000);
    loop.exec();
    QVERIFY2(!guardFired, "the continuation's quit() was lost: the event loop ran until the guard");
    QCOMPARE(shown, 8);
  }

  void callsRunInTheirConnectionsThread() {
    auto pool = makePool(2);
    std::vector<QFuture<QPair<QString, bool>>> futures;
    for (int i = 0; i < 20; ++i)
      futures.push_back(pool->run([main = QThread::currentThread()](QSqlDatabase& db) {
        return qMakePair(db.connectionName(), QThread::currentThread() != main && db.isOpen());
      }));
    std::set<QString> names;
    for (auto& f : futures) {
      QVERIFY(waitFinished(f));
      QVERIFY(f.result().second);
      QVERIFY2(f.result().first.startsWith(QLatin1String("connpool-sql-")), qPrintable(f.result().first));
      names.insert(f.result().first);
    }
    QVERIFY(!names.empty());
    QVERIFY(names.size() <= 2);
    QVERIFY(pool->stats().maxActive <= 2);
  }

  void manyThreadsAndTheGuiThread() {
    auto pool = makePool(4);
    constexpr int perThread = 40, workers = 4;
    std::atomic<int> failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < workers; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < perThread; ++i) {
          auto f = pool->run([t, i](QSqlDatabase& db) {
            QSqlQuery q(db);
            q.prepare(QStringLiteral("INSERT INTO notes (body) VALUES (?)"));
            q.addBindValue(QStringLiteral("%1/%2").arg(t).arg(i));
            execOrThrow(q);
          });
          try {
            f.waitForFinished(); // a worker thread may wait on the future
          } catch (...) {
            ++failed;
          }
        }
      });
    int guiDone = 0;
    for (int i = 0; i < perThread; ++i)
      pool->run([](QSqlDatabase& db) {
            QSqlQuery q(db);
            execOrThrow(q, QStringLiteral("INSERT INTO notes (body) VALUES ('gui')"));
          })
          .then(this, [&] { ++guiDone; });
    for (auto& t : threads)
      t.join();
    QTRY_COMPARE_WITH_TIMEOUT(guiDone, perThread, 20000);
    QCOMPARE(failed.load(), 0);
    auto count = pool->run([](QSqlDatabase& db) {
      QSqlQuery q(db);
      execOrThrow(q, QStringLiteral("SELECT count(*) FROM notes"));
      q.next();
      return q.value(0).toInt();
    });
    QVERIFY(waitFinished(count));
    QCOMPARE(count.result(), (workers + 1) * perThread);
    const auto stats = pool->stats();
    QVERIFY(stats.maxActive <= 4);
    QVERIFY(stats.openCount <= 4);
    QCOMPARE(stats.discards, quint64(0));
  }

  void throwingCallIsRolledBack() {
    auto pool = makePool(1);
    QSignalSpy rolledBack(pool.get(), &SqlPool::transactionRolledBack);
    auto f = pool->run([](QSqlDatabase& db) {
      QVERIFY(db.transaction());
      QSqlQuery q(db);
      execOrThrow(q, QStringLiteral("INSERT INTO notes (body) VALUES ('lost')"));
      throw std::runtime_error("the caller's own failure");
    });
    QVERIFY(waitFinished(f));
    try {
      f.waitForFinished();
      QFAIL("no exception");
    } catch (const std::runtime_error& e) {
      QCOMPARE(QByteArray(e.what()), QByteArray("the caller's own failure"));
    }
    auto count = pool->run([](QSqlDatabase& db) {
      QSqlQuery q(db);
      execOrThrow(q, QStringLiteral("SELECT count(*) FROM notes"));
      q.next();
      return q.value(0).toInt();
    });
    QVERIFY(waitFinished(count));
    QCOMPARE(count.result(), 0);
    QTRY_COMPARE(rolledBack.size(), 1);
    QCOMPARE(pool->stats().discards, quint64(0)); // the connection itself was fine
  }

  void transactionLeftOpenIsRolledBackAndReported() {
    auto pool = makePool(1);
    QSignalSpy rolledBack(pool.get(), &SqlPool::transactionRolledBack);
    auto f = pool->run([](QSqlDatabase& db) {
      db.transaction();
      QSqlQuery q(db);
      execOrThrow(q, QStringLiteral("INSERT INTO notes (body) VALUES ('forgotten')"));
      return 42;
    });
    QVERIFY(waitFinished(f));
    QCOMPARE(poolErrorOf(f), SqlPoolError::Kind::TransactionLeftOpen);
    QTRY_COMPARE(rolledBack.size(), 1);
    QVERIFY(rolledBack.at(0).at(1).toString().contains(QLatin1String("tst_SqlPool.cpp")));
    auto count = pool->run([](QSqlDatabase& db) {
      QSqlQuery q(db);
      execOrThrow(q, QStringLiteral("SELECT count(*) FROM notes"));
      q.next();
      return q.value(0).toInt();
    });
    QVERIFY(waitFinished(count));
    QCOMPARE(count.result(), 0);
  }

  void queryErrorsReachTheFuture() {
    auto pool = makePool(1);
    auto f = pool->run([](QSqlDatabase& db) {
      QSqlQuery q(db);
      execOrThrow(q, QStringLiteral("SELECT * FROM no_such_table"));
    });
    QVERIFY(waitFinished(f));
    try {
      f.waitForFinished();
      QFAIL("no exception");
    } catch (const SqlPoolError& e) {
      QCOMPARE(e.kind(), SqlPoolError::Kind::QueryFailed);
      QVERIFY2(e.message().contains(QLatin1String("no_such_table")), qPrintable(e.message()));
      QCOMPARE(e.sqlError().type(), QSqlError::StatementError);
    }
    QCOMPARE(pool->stats().discards, quint64(0));
  }

  void deadlineAndFifoAndCancel() {
    auto pool = makePool(1);
    // Shared, not on this stack: a failed check returns while calls still run.
    auto gate = std::make_shared<Gate>();
    auto blocker = pool->run([gate](QSqlDatabase&) { gate->wait(); });
    QTRY_COMPARE(gate->entered.load(), 1);
    // Deadline: nothing comes free in 100 ms.
    auto late = pool->run([](QSqlDatabase&) { return 1; }, QDeadlineTimer(100));
    QVERIFY(waitFinished(late));
    QCOMPARE(poolErrorOf(late), SqlPoolError::Kind::Timeout);
    // FIFO, and a cancelled call never runs.
    struct Order {
      std::mutex m;
      std::vector<int> ran;
    };
    auto order = std::make_shared<Order>();
    std::vector<QFuture<void>> queued;
    for (int i = 0; i < 5; ++i) {
      queued.push_back(pool->run([order, i](QSqlDatabase&) {
        std::lock_guard lk(order->m);
        order->ran.push_back(i);
      }));
      QTRY_VERIFY2(pool->stats().waitingCount == i + 1, qPrintable(QString::number(i) + ": " + describe(*pool)));
    }
    // The metrics text counts the queued calls too.
    QVERIFY2(pool->openMetrics(QStringLiteral("db"), true)
                 .contains("db_client_connection_pending_requests{pool_name=\"db\"} 5\n"),
             pool->openMetrics(QStringLiteral("db"), true).constData());
    queued[2].cancel();
    gate->open();
    for (auto& f : queued)
      QVERIFY(waitFinished(f));
    QVERIFY(waitFinished(blocker));
    QVERIFY(queued[2].isCanceled());
    std::lock_guard lk(order->m);
    QCOMPARE(order->ran, (std::vector<int>{0, 1, 3, 4}));
  }

  // waitingCount counts every call not yet given a connection, including
  // the one the dispatcher is moving from its queue into the pool: while
  // nothing new is submitted it can only go down. (It dropped by one and
  // came back each time a call moved, so a count the tests waited for
  // could read one short.)
  void waitingCountNeverDipsWhileCallsMoveIntoThePool() {
    auto pool = makePool(1);
    int rises = 0;
    QString seen;
    // One connection, many short calls: each call moves from the queue into
    // the pool's wait while the one before still runs.
    for (int round = 0; round < 5 && rises == 0; ++round) {
      std::vector<QFuture<int>> calls;
      for (int i = 0; i < 200; ++i)
        calls.push_back(pool->run([](QSqlDatabase&) { return 1; }));
      int last = pool->stats().waitingCount;
      QDeadlineTimer deadline(20000);
      while (!deadline.hasExpired() &&
             !std::all_of(calls.begin(), calls.end(), [](const QFuture<int>& f) { return f.isFinished(); })) {
        const int now = pool->stats().waitingCount;
        if (now > last) {
          ++rises;
          seen = QStringLiteral("%1 -> %2").arg(last).arg(now);
        }
        last = now;
      }
      for (auto& f : calls)
        QCOMPARE(f.result(), 1);
    }
    QVERIFY2(rises == 0, qPrintable(QStringLiteral("rose %1 times, last %2").arg(rises).arg(seen)));
    QCOMPARE(pool->stats().waitingCount, 0);
  }

  void cancelEndsTheWait() {
    auto pool = makePool(1);
    auto gate = std::make_shared<Gate>();
    auto blocker = pool->run([gate](QSqlDatabase&) { gate->wait(); });
    QTRY_COMPARE(gate->entered.load(), 1);
    auto ran = std::make_shared<std::atomic<bool>>(false);
    auto waiting = pool->run([ran](QSqlDatabase&) { *ran = true; });
    QTRY_VERIFY2(pool->stats().waitingCount == 1,
                 qPrintable(describe(*pool) + (ran->load() ? QStringLiteral(", ran") : QString())));
    waiting.cancel();
    QTRY_COMPARE_WITH_TIMEOUT(pool->stats().waitingCount, 0, 5000); // stopped while the blocker still holds it
    QTRY_COMPARE(pool->stats().cancellations, quint64(1));          // counted just after the wait ends
    gate->open();
    QVERIFY(waitFinished(blocker));
    QVERIFY(!ran->load());
  }

  void destroyedWithCallsInFlight() {
    auto pool = makePool(2);
    // The running calls hold their connections until the waiting ones have
    // failed: the destructor fails those first, then waits for these.
    auto gate = std::make_shared<Gate>();
    std::vector<QFuture<int>> running, waiting;
    for (int i = 0; i < 2; ++i)
      running.push_back(pool->run([gate](QSqlDatabase& db) {
        gate->wait();
        QSqlQuery q(db);
        execOrThrow(q, slowQuery.arg(1000));
        q.next();
        return q.value(0).toInt();
      }));
    QTRY_COMPARE(gate->entered.load(), 2);
    for (int i = 0; i < 3; ++i)
      waiting.push_back(pool->run([](QSqlDatabase&) { return 0; }));
    QTRY_VERIFY2(pool->stats().waitingCount == 3, qPrintable(describe(*pool))); // one in the pool, two queued
    std::thread opener([gate, waiting] {
      QDeadlineTimer deadline(20000);
      while (!deadline.hasExpired() &&
             !std::all_of(waiting.begin(), waiting.end(), [](const QFuture<int>& f) { return f.isFinished(); }))
        QThread::msleep(1); // a poll, not a wait for time to pass: leaves the cores to the pool's threads
      gate->open();
    });
    pool.reset();
    opener.join();
    for (auto& f : running) {
      QVERIFY(f.isFinished());
      QCOMPARE(f.result(), 1000);
    }
    for (auto& f : waiting) {
      QVERIFY(f.isFinished());
      QCOMPARE(poolErrorOf(f), SqlPoolError::Kind::PoolClosed);
    }
    QCOMPARE(QSqlDatabase::connectionNames(), QStringList()); // every connection closed and removed
  }

  void eventLoopTicksWhileSlowQueriesRun() {
    auto pool = makePool(8);
    QVERIFY(pool->warmUp(10000) || true);
    sqltest::StallMeter meter;
    meter.start();
    std::vector<QFuture<int>> slow;
    QElapsedTimer took;
    took.start();
    for (int i = 0; i < 8; ++i)
      slow.push_back(pool->run([](QSqlDatabase& db) {
        QSqlQuery q(db);
        execOrThrow(q, slowQuery.arg(200000));
        q.next();
        return q.value(0).toInt();
      }));
    for (auto& f : slow)
      QVERIFY(waitFinished(f));
    meter.stop();
    const qint64 ms = took.elapsed();
    sqltest::figure("SQLite: event-loop stall p99 while 8 slow queries run", meter.percentileUs(0.99) / 1000.0, "ms");
    sqltest::figure("SQLite: event-loop stall max", meter.maxUs() / 1000.0, "ms");
    sqltest::figure("SQLite: 8 slow queries took", static_cast<double>(ms), "ms");
    // The loop ran all along: many ticks, not one per finished query.
    QVERIFY2(meter.ticks() > 20, qPrintable(QString::number(meter.ticks())));
    for (auto& f : slow)
      QCOMPARE(f.result(), 200000);
  }

  void connectFailuresAreClear() {
    SqlPool noDriver(QStringLiteral("QNOSUCHDRIVER"));
    QSignalSpy failedSignal(&noDriver, &SqlPool::connectFailed);
    auto f = noDriver.run([](QSqlDatabase&) {});
    QVERIFY(waitFinished(f));
    try {
      f.waitForFinished();
      QFAIL("no exception");
    } catch (const SqlPoolError& e) {
      QCOMPARE(e.kind(), SqlPoolError::Kind::ConnectFailed);
      QVERIFY2(e.message().contains(QLatin1String("QNOSUCHDRIVER")) && e.message().contains(QLatin1String("QSQLITE")),
               qPrintable(e.message()));
    }
    QTRY_COMPARE(failedSignal.size(), 1);

    SqlPool badPath(QStringLiteral("QSQLITE"));
    badPath.setDatabaseName(dir_->filePath(QStringLiteral("no/such/dir/x.db")));
    QSignalSpy badPathFailed(&badPath, &SqlPool::connectFailed);
    auto g = badPath.run([](QSqlDatabase&) {});
    QVERIFY(waitFinished(g));
    QCOMPARE(poolErrorOf(g), SqlPoolError::Kind::ConnectFailed);
    QTRY_COMPARE(badPathFailed.size(), 1);
    QVERIFY2(!badPathFailed.at(0).at(0).toString().isEmpty(), "the driver's text");
    QCOMPARE(badPath.stats().openCount, 0);
  }

  void databaseUrls() {
    SqlPool pool;
    QVERIFY(pool.setDatabaseUrl(QStringLiteral("postgresql://app:s%40cret@db.example:6543/shop?connect_timeout=5")));
    QCOMPARE(pool.driverName(), QStringLiteral("QPSQL"));
    QCOMPARE(pool.hostName(), QStringLiteral("db.example"));
    QCOMPARE(pool.port(), 6543);
    QCOMPARE(pool.userName(), QStringLiteral("app"));
    QCOMPARE(pool.password(), QStringLiteral("s@cret"));
    QCOMPARE(pool.databaseName(), QStringLiteral("shop"));
    QCOMPARE(pool.connectOptions(), QStringLiteral("connect_timeout=5"));
    QVERIFY(pool.setDatabaseUrl(QStringLiteral("sqlite:app.db")));
    QCOMPARE(pool.driverName(), QStringLiteral("QSQLITE"));
    QCOMPARE(pool.databaseName(), QStringLiteral("app.db"));
    QCOMPARE(pool.port(), -1);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("unknown scheme \"mysql\"")));
    QVERIFY(!pool.setDatabaseUrl(QStringLiteral("mysql://x/y")));
    QCOMPARE(pool.driverName(), QStringLiteral("QSQLITE")); // unchanged
    QVERIFY(warnings_->count() == 1);
    warnings_ = std::make_unique<sqltest::WarningCounter>(); // that one was expected
  }

  void liveSettingsStatsModelAndMetrics() {
    auto pool = makePool(2);
    auto f = pool->run([](QSqlDatabase&) { return 1; });
    QVERIFY(waitFinished(f));
    pool->setMaxSize(3);
    QCOMPARE(pool->stats().currentMaxSize, 3);
    pool->setStatsInterval(10);
    QSignalSpy stats(pool.get(), &SqlPool::statsChanged);
    QTRY_VERIFY(pool->gets() >= 1);
    connpool::qt::ConnectionModel model;
    model.setSqlPool(pool.get());
    QCOMPARE(model.rowCount(), pool->stats().openCount);
    QCOMPARE(model.sqlPool(), pool.get());
    connpool::qt::MetricsEndpoint endpoint;
    QVERIFY(endpoint.addPool(pool.get(), QStringLiteral("notes_db")));
    const QByteArray text = endpoint.render(connpool::qt::MetricsEndpoint::Format::OpenMetrics);
    QVERIFY2(text.contains("pool_name=\"notes_db\""), text.constData());
  }

  void figures() {
    // Calls per second: one plain QSqlDatabase on this thread, then the pool
    // (4 connections) driven by 4 threads that wait on their futures.
    constexpr int millis = 1000;
    const QString sql = QStringLiteral("SELECT body FROM notes WHERE id = 1");
    double single = 0;
    {
      QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("bench-single"));
      db.setDatabaseName(dbPath_);
      QVERIFY(db.open());
      QSqlQuery q(db);
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
    QSqlDatabase::removeDatabase(QStringLiteral("bench-single"));
    auto pool = makePool(4);
    QVERIFY(pool->warmUp(5000) || true);
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
    sqltest::figure("SQLite: calls/s, one connection on one thread", single, "calls/s");
    sqltest::figure("SQLite: calls/s through the pool (4 connections, 4 threads)", pooled, "calls/s");
    QVERIFY(calls.load() > 0);
  }
};

QTEST_MAIN(TestSqlPool)
#include "tst_SqlPool.moc"
