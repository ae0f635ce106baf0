// SPDX-License-Identifier: MIT
// connpool::qt::SocketPool: live settings, minIdle, warmUp, drain, the
// circuit breaker, leak reports and the new statistics, against a real
// loopback echo server.
#include "asyncacquire.h"
#include "echo.h"
#include "fillidle.h"
#include "testserver.h"
#include <connpool/qt/socketpool.h>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qregularexpression.h>
#include <QtNetwork/qtcpsocket.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <vector>

using connpool::qt::SocketLease;
using connpool::qt::SocketPool;
using connpool::qt::SocketPoolStats;

class tst_SocketPoolLive : public QObject {
  Q_OBJECT

private slots:
  void liveMaxSizeShrinkClosesIdleExcessOnTheSamePool() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    pool.setStatsInterval(10);
    pool.setMaxSize(4);
    QVERIFY(fillIdle(pool, 4));
    QTRY_COMPARE(pool.openCount(), 4);
    QSignalSpy settings(&pool, &SocketPool::settingsChanged);

    pool.setMaxSize(2);
    QCOMPARE(settings.count(), 1);
    QCOMPARE(pool.maxSize(), 2);
    QTRY_COMPARE(pool.openCount(), 2);
    const SocketPoolStats s = pool.stats();
    QCOMPARE(s.currentMaxSize, 2);
    QCOMPARE(s.currentMaxIdle, 2); // maxIdle -1 follows maxSize
    QCOMPARE(s.closedResized, quint64(2));
    QTRY_COMPARE(server.live(), 2);
  }

  void liveMaxSizeGrowthLetsAWaitingAsyncAcquireComplete() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    pool.setMaxSize(1);
    SocketLease held = pool.acquire(QDeadlineTimer(10000));
    QVERIFY(held);
    AsyncAcquire async(pool, QDeadlineTimer(20000));
    QTRY_COMPARE(pool.stats().waitingCount, 1);
    QVERIFY(!async.called);

    pool.setMaxSize(2); // held is still out: only the growth can serve the waiter
    QTRY_VERIFY(async.called);
    QVERIFY2(async.lease, qPrintable(async.lease.errorString()));
    QVERIFY(echoWithSignals(*async.lease.socket(), "grown\n"));
    QCOMPARE(pool.stats().openCount, 2);
    QCOMPARE(pool.stats().currentMaxSize, 2);
  }

  void invalidLiveValuesAreRefusedAndThePropertyKeepsItsValue() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    pool.setMaxSize(3);
    pool.setMaxSizeLimit(4);
    QVERIFY(fillIdle(pool, 1));
    QVERIFY(pool.isStarted());
    QSignalSpy settings(&pool, &SocketPool::settingsChanged);

    QTest::ignoreMessage(QtWarningMsg, QRegularExpression("maxSize = 0 refused \\(.*greater than 0.*\\); it stays 3"));
    pool.setMaxSize(0);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression("maxSize = 5 refused \\(.*max_size_limit.*\\); it stays 3"));
    pool.setMaxSize(5);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression("minIdle = 4 refused \\(.*min_idle.*\\); it stays 0"));
    pool.setMinIdle(4);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression("maxAge = -5 refused \\(.*max_age.*\\); it stays 0"));
    pool.setMaxAge(-5);
    QCOMPARE(pool.maxSize(), 3);
    QCOMPARE(pool.minIdle(), 0);
    QCOMPARE(pool.maxAge(), 0);
    QCOMPARE(settings.count(), 0);
    QCOMPARE(pool.stats().currentMaxSize, 3);

    // Start-only settings are still frozen.
    QTest::ignoreMessage(QtWarningMsg,
                         "connpool::qt::SocketPool: connectTimeout changed after the pool started; ignored");
    pool.setConnectTimeout(1);
    QCOMPARE(pool.connectTimeout(), 5000);
  }

  void minIdleMakesIdleConnectionsWithoutAnyAcquire() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool;
    pool.setStatsInterval(10);
    pool.setMinIdle(2); // the pool starts on its own once control returns to the event loop...
    pool.setHost(QStringLiteral("127.0.0.1"));
    pool.setPort(port); // ...so settings made in the same turn still apply
    QTRY_COMPARE(pool.idleCount(), 2);
    QCOMPARE(pool.gets(), quint64(0));
    QTRY_COMPARE(server.accepted(), 2); // the server thread may count the accept after the client connected

    pool.setMinIdle(3); // live: topped up at once
    QTRY_COMPARE(pool.idleCount(), 3);
    SocketLease lease = pool.acquire(QDeadlineTimer(10000));
    QVERIFY(lease);
    QCOMPARE(pool.stats().hits, quint64(1));
    QTRY_COMPARE(pool.stats().idleCount, 3); // replaced while leased
  }

  void warmUpBlocksUntilMinIdleConnectionsAreIdle() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    pool.setMinIdle(2);
    QVERIFY(pool.warmUp(10000));
    // The maintenance thread fills minIdle too; the pure warm_up() returns
    // when idle + being-made reaches the target, so the last may still be
    // connecting on that thread.
    QTRY_VERIFY(pool.stats().idleCount >= 2);
    QCOMPARE(pool.stats().gets, quint64(0));
  }

  void liveMaxSizeShrinkBelowTheLeasedRetiresLeasedOnesOnReturn() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    pool.setMaxSize(4);
    QVERIFY(fillIdle(pool, 4));
    SocketLease a = pool.acquire(QDeadlineTimer(10000));
    SocketLease b = pool.acquire(QDeadlineTimer(10000));
    QVERIFY(a && b);
    pool.setMaxSize(1); // 2 idle close now; one of the 2 leased must retire on return
    QCOMPARE(pool.stats().openCount, 2);
    a.release();
    b.release();
    QCOMPARE(pool.stats().openCount, 1);
    QCOMPARE(pool.stats().closedResized, quint64(3));
  }

  void drainRetiresIdleNowAndLeasedOnReturn() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    QVERIFY(fillIdle(pool, 2));
    SocketLease lease = pool.acquire(QDeadlineTimer(10000));
    QVERIFY(lease);
    const int drained = pool.drain();
    QCOMPARE(drained, 2);
    QCOMPARE(pool.stats().openCount, 1);
    QVERIFY(echoBlocking(*lease.socket(), "still usable\n"));
    lease.release();
    const SocketPoolStats s = pool.stats();
    QCOMPARE(s.openCount, 0);
    QCOMPARE(s.closedDrained, quint64(2));
    QTRY_COMPARE(server.live(), 0);
  }

  void maintenanceFollowsALiveMaxIdleTime() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port); // no time limit: no maintenance due
    QVERIFY(fillIdle(pool, 1));
    QCOMPARE(pool.stats().openCount, 1);
    pool.setMaxIdleTime(50);
    QTRY_COMPARE(pool.stats().openCount, 0);
    QCOMPARE(pool.stats().closedIdleTime, quint64(1));
    QCOMPARE(pool.stats().idleClosed, quint64(1));
  }

  void circuitBreakerFailsFastWhileOpenAndClosesWhenTheServerIsBack() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    server.stop(); // refused from now on
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    pool.setConnectTimeout(10000);
    pool.setBackoffInitial(1500);
    QSignalSpy circuit(&pool, &SocketPool::circuitOpenChanged);
    QSignalSpy failed(&pool, &SocketPool::connectFailed);

    SocketLease lease = pool.acquire(QDeadlineTimer(10000));
    QCOMPARE(lease.error(), SocketLease::Error::ConnectFailed);
    QTRY_COMPARE(circuit.count(), 1);
    QCOMPARE(circuit.at(0).at(0).toBool(), true);
    QVERIFY(pool.isCircuitOpen());
    QCOMPARE(failed.count(), 1);

    // Open: no connect is tried (factoryFailures stays 1), the acquire fails at once.
    QElapsedTimer clock;
    clock.start();
    lease = pool.acquire(QDeadlineTimer(10000));
    QVERIFY(clock.elapsed() < 5000);
    QCOMPARE(lease.error(), SocketLease::Error::ConnectFailed);
    QCOMPARE(lease.socketError(), QAbstractSocket::ConnectionRefusedError); // the last failure, again
    SocketPoolStats s = pool.stats();
    QCOMPARE(s.factoryFailures, quint64(1));
    QCOMPARE(s.circuitRejects, quint64(1));
    QCOMPARE(s.circuitOpens, quint64(1));
    QVERIFY(s.circuitOpen);
    QTest::qWait(0);
    QCOMPARE(failed.count(), 1); // a rejection is not a connect failure

    QCOMPARE(server.start(port), port);
    // After the backoff one connect is let through; it succeeds and closes the breaker.
    QTRY_VERIFY_WITH_TIMEOUT((lease = pool.acquire(QDeadlineTimer(10000))).isValid(), 20000);
    QVERIFY(echoBlocking(*lease.socket(), "back\n"));
    QTRY_COMPARE(circuit.count(), 2);
    QCOMPARE(circuit.at(1).at(0).toBool(), false);
    QVERIFY(!pool.isCircuitOpen());
    QVERIFY(!pool.stats().circuitOpen);
  }

  void leakSuspectedNamesTheAcquireAndLeakReturnedFollows() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    pool.setLeakThreshold(100);
    QSignalSpy suspected(&pool, &SocketPool::leakSuspected);
    QSignalSpy returned(&pool, &SocketPool::leakReturned);
    SocketLease lease = pool.acquire(QDeadlineTimer(10000)); // held past the threshold
    QVERIFY(lease);
    QTRY_COMPARE(suspected.count(), 1);
    const QString where = suspected.at(0).at(1).toString();
    QVERIFY2(where.contains(QLatin1String("tst_SocketPoolLive.cpp:")), qPrintable(where));
    QVERIFY2(where.contains(QLatin1String("leakSuspectedNamesTheAcquire")), qPrintable(where));
    QVERIFY(suspected.at(0).at(2).toLongLong() >= 100);
    QCOMPARE(pool.stats().leaksSuspected, quint64(1));
    lease.release();
    QTRY_COMPARE(returned.count(), 1);
    QCOMPARE(returned.at(0).at(0), suspected.at(0).at(0));
  }

  void statsCarryPercentilesAndClosesByReason() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    pool.setMaxSize(2);
    pool.setMaxIdle(1);
    QVERIFY(fillIdle(pool, 2)); // the second return overflows maxIdle
    SocketLease lease = pool.acquire(QDeadlineTimer(10000));
    QVERIFY(lease);
    lease.discard();
    const SocketPoolStats s = pool.stats();
    QCOMPARE(s.closedIdleOverflow, quint64(1));
    QCOMPARE(s.closedDiscarded, quint64(1));
    QCOMPARE(s.closed, s.closedIdleOverflow + s.closedDiscarded);
    QCOMPARE(s.createCount, quint64(2));
    QVERIFY(s.createP50Usecs > 0);
    QVERIFY(s.createP50Usecs <= s.createP99Usecs && s.createP99Usecs <= s.createMaxUsecs);
    QCOMPARE(s.waitCount, s.gets);
    QCOMPARE(s.holdCount, s.puts + s.discards);
    QVERIFY(s.pingCount >= 1); // the hit was probed
  }
};

QTEST_MAIN(tst_SocketPoolLive)
#include "tst_SocketPoolLive.moc"
