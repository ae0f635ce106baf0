// SPDX-License-Identifier: MIT
// connpool::qt::SocketPool against a real loopback echo server.
#include "asyncacquire.h"
#include "echo.h"
#include "fillidle.h"
#include "testserver.h"
#include "threadfailures.h"
#include <connpool/qt/socketpool.h>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qtcpsocket.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <semaphore>
#include <vector>

using connpool::qt::SocketLease;
using connpool::qt::SocketPool;
using connpool::qt::SocketPoolStats;

namespace {

enum class Drop { Close, Reset, HalfClose };

void drop(TestServer& server, Drop how) {
  switch (how) {
  case Drop::Close: server.closeConnections(); break;
  case Drop::Reset: server.resetConnections(); break;
  case Drop::HalfClose: server.halfCloseConnections(); break;
  }
}

} // namespace

Q_DECLARE_METATYPE(Drop)

class tst_SocketPool : public QObject {
  Q_OBJECT

private slots:
  void echoFromWorkerThreadsAndGuiThreadReusesSocketsOwnedByTheBorrower() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    constexpr int maxSize = 3, threads = 4, rounds = 25;
    pool.setMaxSize(maxSize);

    ThreadFailures failures;
    std::vector<std::unique_ptr<QThread>> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back(QThread::create([&pool, &failures, t] {
        for (int i = 0; i < rounds; ++i) {
          SocketLease lease = pool.acquire(QDeadlineTimer(20000));
          if (!lease) return failures.add(QStringLiteral("acquire failed: ") + lease.errorString());
          if (lease->thread() != QThread::currentThread()) failures.add(QStringLiteral("socket not owned by borrower"));
          const QByteArray message = QStringLiteral("worker %1 round %2\n").arg(t).arg(i).toUtf8();
          // Both APIs: signals need the socket's notifiers to follow it here.
          const bool ok = i % 2 ? echoWithSignals(*lease.socket(), message) : echoBlocking(*lease.socket(), message);
          if (!ok) failures.add(QStringLiteral("echo failed in worker %1 round %2").arg(t).arg(i));
        }
      }));
    }
    for (auto& w : workers)
      w->start();
    for (auto& w : workers)
      QVERIFY(w->wait(QDeadlineTimer(120000)));
    QCOMPARE(failures.list(), QStringList());

    // The GUI thread: async acquire, then the signal API in its own event loop.
    QObject receiver;
    for (int i = 0; i < 3; ++i) {
      bool called = false;
      bool inGuiThread = false;
      SocketLease got;
      pool.acquireAsync(&receiver, [&](SocketLease lease) {
        called = true;
        inGuiThread = QThread::currentThread() == thread();
        got = std::move(lease);
      });
      QTRY_VERIFY(called);
      QVERIFY(inGuiThread);
      QVERIFY2(got, qPrintable(got.errorString()));
      QCOMPARE(got->thread(), QThread::currentThread());
      QVERIFY(echoWithSignals(*got.socket(), "from the GUI thread\n"));
    }

    const SocketPoolStats s = pool.stats();
    QCOMPARE(s.gets, quint64(threads * rounds + 3));
    QVERIFY(s.misses <= quint64(maxSize));
    QCOMPARE(s.hits, s.gets - s.misses);
    QCOMPARE(s.discards, quint64(0));
    QVERIFY(server.accepted() <= maxSize);
    QCOMPARE(s.activeCount, 0);
    QCOMPARE(s.idleCount, s.openCount);
  }

  void idleSocketsThePeerDroppedAreDetectedByHealthCheck_data() {
    QTest::addColumn<Drop>("how");
    QTest::newRow("closed") << Drop::Close;
    QTest::newRow("reset") << Drop::Reset;
    QTest::newRow("half-closed") << Drop::HalfClose;
  }
  void idleSocketsThePeerDroppedAreDetectedByHealthCheck() {
    QFETCH(Drop, how);
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    pool.setMaxSize(3);
    QVERIFY(fillIdle(pool, 3));
    QCOMPARE(pool.stats().idleCount, 3);
    pool.setHealthCheckInterval(20); // live; after the count, or a check could hold one out of idle

    drop(server, how);
    // The maintenance thread finds each one; nobody acquired anything.
    QTRY_COMPARE_WITH_TIMEOUT(pool.stats().pingFailures, quint64(3), 10000);
    QTRY_COMPARE(pool.stats().openCount, 0); // a failure is counted just before its close
    QCOMPARE(pool.stats().idleCount, 0);
    QCOMPARE(pool.stats().gets, quint64(3));

    SocketLease fresh = pool.acquire(QDeadlineTimer(10000));
    QVERIFY2(fresh, qPrintable(fresh.errorString()));
    QVERIFY(echoBlocking(*fresh.socket(), "fresh\n"));
    QCOMPARE(pool.stats().misses, quint64(4));
    QCOMPARE(server.accepted(), 4);
  }

  void idleSocketsThePeerDroppedAreDetectedByPingOnAcquire_data() {
    idleSocketsThePeerDroppedAreDetectedByHealthCheck_data();
  }
  void idleSocketsThePeerDroppedAreDetectedByPingOnAcquire() {
    QFETCH(Drop, how);
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    pool.setMaxSize(3); // no health checks: only acquire can notice
    QVERIFY(fillIdle(pool, 3));

    drop(server, how);
    SocketLease fresh = pool.acquire(QDeadlineTimer(10000));
    QVERIFY2(fresh, qPrintable(fresh.errorString()));
    QVERIFY(echoBlocking(*fresh.socket(), "fresh\n"));
    const SocketPoolStats s = pool.stats();
    QCOMPARE(s.pingFailures, quint64(3));
    QCOMPARE(s.hits, quint64(0));
    QCOMPARE(s.misses, quint64(4));
    QCOMPARE(s.openCount, 1);
  }

  void applicationPingRunsWithTheSocketOwnedByThePingingThread() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    std::atomic<int> pings{0};
    std::atomic<bool> ownedByPinger{false};
    pool.setPingFunction([&](QTcpSocket& socket, QDeadlineTimer deadline) {
      ++pings;
      ownedByPinger = socket.thread() == QThread::currentThread();
      // A protocol round trip is possible here; this one refuses the socket
      // once it has proved the socket works.
      return echoBlocking(socket, "ping\n", static_cast<int>(deadline.remainingTime())) && pings > 1;
    });
    QVERIFY(fillIdle(pool, 1));
    { // the first ping passes
      SocketLease lease = pool.acquire(QDeadlineTimer(10000));
      QVERIFY(lease);
      QVERIFY(echoBlocking(*lease.socket(), "reused\n"));
    }
    SocketLease lease = pool.acquire(QDeadlineTimer(10000)); // the second refuses it
    QVERIFY(lease);
    QVERIFY(ownedByPinger);
    QCOMPARE(pings.load(), 2);
    QCOMPARE(pool.stats().hits, quint64(1));
    QCOMPARE(pool.stats().pingFailures, quint64(1));
    QCOMPARE(pool.stats().misses, quint64(2));
  }

  void acquireFailsPromptlyWhileServerIsDownAndRecoversWhenItIsBack() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    server.stop();
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    pool.setConnectTimeout(10000);
    QSignalSpy failed(&pool, &SocketPool::connectFailed);

    QElapsedTimer clock;
    clock.start();
    SocketLease lease = pool.acquire(QDeadlineTimer(10000));
    QVERIFY(!lease);
    QVERIFY2(clock.elapsed() < 5000, "a refused connect must not wait for the timeout");
    QCOMPARE(lease.error(), SocketLease::Error::ConnectFailed);
    QCOMPARE(lease.socketError(), QAbstractSocket::ConnectionRefusedError);
    QVERIFY(!lease.errorString().isEmpty());
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(failed.at(0).at(0).value<QAbstractSocket::SocketError>(), QAbstractSocket::ConnectionRefusedError);
    SocketPoolStats s = pool.stats();
    QCOMPARE(s.factoryFailures, quint64(1));
    QCOMPARE(s.openCount, 0);
    QCOMPARE(s.activeCount, 0);

    QCOMPARE(server.start(port), port);
    lease = pool.acquire(QDeadlineTimer(10000));
    QVERIFY2(lease, qPrintable(lease.errorString()));
    QVERIFY(echoBlocking(*lease.socket(), "back\n"));
    s = pool.stats();
    QCOMPARE(s.openCount, 1);
    QCOMPARE(s.misses, quint64(1));
  }

  void asyncAcquireWhileExhaustedKeepsEventLoopRunningAndResumesOnReturn() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    pool.setMaxSize(1);
    SocketLease held = pool.acquire(QDeadlineTimer(10000));
    QVERIFY(held);

    int ticks = 0;
    QTimer ticker;
    connect(&ticker, &QTimer::timeout, this, [&ticks] { ++ticks; });
    ticker.start(5);
    AsyncAcquire async(pool);
    QTRY_COMPARE(pool.stats().waitingCount, 1);
    const int before = ticks;
    QTRY_VERIFY(ticks >= before + 10); // the GUI thread's event loop keeps going
    QVERIFY(!async.called);

    held.release();
    QTRY_VERIFY(async.called);
    QVERIFY2(async.lease, qPrintable(async.lease.errorString()));
    QCOMPARE(async.lease->thread(), QThread::currentThread());
    QVERIFY(echoWithSignals(*async.lease.socket(), "handed over\n"));
    const SocketPoolStats s = pool.stats();
    QCOMPARE(s.waits, quint64(1));
    QCOMPARE(s.hits, quint64(1));
    QCOMPARE(s.misses, quint64(1));
  }

  void asyncAcquireTimesOutWithoutBlockingTheEventLoop() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    pool.setMaxSize(1);
    SocketLease held = pool.acquire(QDeadlineTimer(10000));
    QVERIFY(held);
    AsyncAcquire async(pool, QDeadlineTimer(100));
    QTRY_VERIFY(async.called);
    QVERIFY(!async.lease);
    QCOMPARE(async.lease.error(), SocketLease::Error::Timeout);
    QCOMPARE(pool.stats().timeouts, quint64(1));
    QCOMPARE(pool.stats().waitingCount, 0);
  }

  void asyncAcquireCancelledByDestroyingTheReceiverLeaksNothing() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    pool.setMaxSize(1);
    SocketLease held = pool.acquire(QDeadlineTimer(10000));
    QVERIFY(held);
    bool called = false;
    auto receiver = std::make_unique<QObject>();
    pool.acquireAsync(receiver.get(), [&](SocketLease) { called = true; });
    QTRY_COMPARE(pool.stats().waitingCount, 1);

    receiver.reset(); // cancels the wait
    QTRY_COMPARE(pool.stats().waitingCount, 0);
    QCOMPARE(pool.stats().cancellations, quint64(1));
    held.release();
    QCOMPARE(pool.stats().idleCount, 1);
    QCOMPARE(pool.stats().activeCount, 0);
    QCoreApplication::processEvents();
    QVERIFY(!called);
  }

  void asyncLeaseInFlightWhenTheReceiverIsDestroyedGoesBackToThePool() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    pool.setMaxSize(1);
    QVERIFY(fillIdle(pool, 1));
    bool called = false;
    auto receiver = std::make_unique<QObject>();
    pool.acquireAsync(receiver.get(), [&](SocketLease) { called = true; });
    // Without running this thread's event loop: the lease is taken and posted
    // (or about to be) when the receiver goes.
    const QDeadlineTimer deadline(10000);
    while (pool.stats().activeCount == 0 && !deadline.hasExpired())
      QThread::yieldCurrentThread();
    QCOMPARE(pool.stats().activeCount, 1);
    receiver.reset();
    QTRY_COMPARE(pool.stats().activeCount, 0);
    QCOMPARE(pool.stats().idleCount, 1);
    QVERIFY(!called);
    SocketLease again = pool.acquire(QDeadlineTimer(10000)); // and it still works, here
    QVERIFY(again);
    QVERIFY(echoBlocking(*again.socket(), "still fine\n"));
  }

  void statsChangedIsRateLimitedAndCarriesWhatStatsReturns() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    constexpr int interval = 100;
    pool.setStatsInterval(interval);
    QElapsedTimer clock;
    clock.start();
    QList<qint64> stamps;
    connect(&pool, &SocketPool::statsChanged, this, [&] { stamps << clock.elapsed(); });
    QSignalSpy changed(&pool, &SocketPool::statsChanged);
    QSignalSpy getsChanged(&pool, &SocketPool::getsChanged);

    // Far more changes than publications: an acquire/release every 2 ms.
    int churned = 0;
    QTimer churn;
    connect(&churn, &QTimer::timeout, this, [&] {
      SocketLease lease = pool.acquire(QDeadlineTimer(5000));
      if (lease) ++churned;
    });
    churn.start(2);
    QTRY_VERIFY_WITH_TIMEOUT(churned >= 200 && stamps.size() >= 4, 20000);
    churn.stop();
    const qint64 span = clock.elapsed();

    for (qsizetype i = 1; i < stamps.size(); ++i)
      QVERIFY2(stamps[i] - stamps[i - 1] >= interval - 1,
               qPrintable(QStringLiteral("statsChanged %1 ms after the previous one").arg(stamps[i] - stamps[i - 1])));
    QVERIFY(stamps.size() <= span / interval + 1);
    QCOMPARE(getsChanged.count(), changed.count()); // gets moved every time

    // Once quiet, the last publication is what stats() says, property by property.
    QTRY_COMPARE(pool.publishedStats(), pool.stats());
    const SocketPoolStats now = pool.stats();
    QCOMPARE(changed.last().at(0).value<SocketPoolStats>(), now);
    QCOMPARE(pool.gets(), now.gets);
    QCOMPARE(pool.puts(), now.puts);
    QCOMPARE(pool.hits(), now.hits);
    QCOMPARE(pool.misses(), now.misses);
    QCOMPARE(pool.openCount(), now.openCount);
    QCOMPARE(pool.idleCount(), now.idleCount);
    QCOMPARE(pool.activeCount(), now.activeCount);
    QCOMPARE(pool.maxActive(), now.maxActive);
    QCOMPARE(getsChanged.last().at(0).toULongLong(), now.gets);

    // Nothing changes: nothing is emitted.
    changed.clear();
    QVERIFY(!changed.wait(3 * interval));
  }

  void startOnlySettingsAreFrozenOnceThePoolStarted() {
    SocketPool pool(QStringLiteral("127.0.0.1"), 1);
    QSignalSpy settings(&pool, &SocketPool::settingsChanged);
    pool.setMaxSize(7);
    QCOMPARE(settings.count(), 1);
    pool.setMaxIdle(9); // more idle than open: refused when the pool starts
    SocketLease lease = pool.acquire(QDeadlineTimer(1000));
    QCOMPARE(lease.error(), SocketLease::Error::PoolClosed);
    QVERIFY2(lease.errorString().contains(QLatin1String("max_idle")), qPrintable(lease.errorString()));
    pool.setMaxIdle(2);
    lease = pool.acquire(QDeadlineTimer(1000)); // port 1: refused
    QCOMPARE(lease.error(), SocketLease::Error::ConnectFailed);
    QVERIFY(pool.isStarted());
    QTest::ignoreMessage(QtWarningMsg, "connpool::qt::SocketPool: port changed after the pool started; ignored");
    pool.setPort(2);
    QCOMPARE(pool.port(), 1);
    QTest::ignoreMessage(QtWarningMsg,
                         "connpool::qt::SocketPool: leakThreshold changed after the pool started; ignored");
    pool.setLeakThreshold(10);
    QCOMPARE(pool.leakThreshold(), 0);
    pool.setMaxSize(3); // live (tst_SocketPoolLive)
    QCOMPARE(pool.maxSize(), 3);
  }

  void fairnessIsBoundedByDefaultAndABoundOfZeroIsRefusedAtStart() {
    SocketPool pool(QStringLiteral("127.0.0.1"), 1);
    QCOMPARE(pool.fairness(), SocketPool::Fairness::Bounded);
    QCOMPARE(pool.fairnessBound(), 1);
    pool.setFairnessBound(0);
    SocketLease lease = pool.acquire(QDeadlineTimer(1000));
    QCOMPARE(lease.error(), SocketLease::Error::PoolClosed);
    QVERIFY2(lease.errorString().contains(QLatin1String("fairness_bound")), qPrintable(lease.errorString()));
    pool.setFairness(SocketPool::Fairness::Strict); // strict has no bound: it starts (so both reach the pool)
    lease = pool.acquire(QDeadlineTimer(1000));     // port 1: refused
    QCOMPARE(lease.error(), SocketLease::Error::ConnectFailed);
    QTest::ignoreMessage(QtWarningMsg, "connpool::qt::SocketPool: fairness changed after the pool started; ignored");
    pool.setFairness(SocketPool::Fairness::Bounded);
    QCOMPARE(pool.fairness(), SocketPool::Fairness::Strict);
  }

  void destroyingThePoolWithLeasesOutstandingLeavesThemUsableUntilReturned() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    auto pool = std::make_unique<SocketPool>(QStringLiteral("127.0.0.1"), port);
    pool->setMaxSize(3);
    pool->setHealthCheckInterval(5);
    QVERIFY(fillIdle(*pool, 1));
    SocketLease mine = pool->acquire(QDeadlineTimer(10000));
    QVERIFY(mine);

    // std:: semaphores, not QSemaphore: ThreadSanitizer sees their ordering.
    std::binary_semaphore leased(0);
    std::binary_semaphore poolGone(0);
    std::atomic<bool> workerEchoed{false};
    std::unique_ptr<QThread> worker(QThread::create([&leased, &poolGone, &workerEchoed, p = pool.get()] {
      SocketLease lease = p->acquire(QDeadlineTimer(10000));
      leased.release();
      if (!lease || !poolGone.try_acquire_for(std::chrono::seconds(20))) return;
      workerEchoed = echoBlocking(*lease.socket(), "after the pool\n");
    })); // returned (and so closed) here, in the worker
    worker->start();
    QVERIFY(leased.try_acquire_for(std::chrono::seconds(20)));

    pool.reset();
    poolGone.release();
    QVERIFY(worker->wait(QDeadlineTimer(30000)));
    QVERIFY(workerEchoed);
    QVERIFY(echoBlocking(*mine.socket(), "after the pool\n"));
    mine.release();
    QTRY_COMPARE(server.live(), 0); // every socket closed once returned
  }

  void destroyingThePoolWhileAHealthCheckIsBusyWaitsForItAndLeaksNothing() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    auto pool = std::make_unique<SocketPool>(QStringLiteral("127.0.0.1"), port);
    pool->setHealthCheckInterval(10);
    pool->setHealthCheckTimeout(500);
    std::atomic<bool> pinging{false};
    pool->setPingFunction([&](QTcpSocket& socket, QDeadlineTimer deadline) {
      pinging = true;
      // The server stopped answering: this blocks until the deadline.
      return echoBlocking(socket, "ping\n", static_cast<int>(deadline.remainingTime()));
    });
    QVERIFY(fillIdle(*pool, 2));
    server.setEchoing(false);
    QTRY_VERIFY(pinging);

    pool.reset(); // quit() + wait() on the maintenance thread, mid-ping
    QTRY_COMPARE(server.live(), 0);
  }
};

QTEST_MAIN(tst_SocketPool)
#include "tst_SocketPool.moc"
