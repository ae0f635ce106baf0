// SPDX-License-Identifier: MIT
// How a lease ends, seen from the socket's own signals and from the threads
// around it: ending a lease inside any signal of its socket, in any thread;
// a socket the peer closed while leased never reaching a waiter; pending
// async acquires answered when the pool goes.
#include "echo.h"
#include "testserver.h"
#include "threadfailures.h"
#include <connpool/qt/socketpool.h>

#include <QtCore/qeventloop.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qtcpsocket.h>
#include <QtTest/qtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <semaphore>

using connpool::qt::SocketLease;
using connpool::qt::SocketPool;

namespace {

enum class Signal { ReadyRead, ErrorOccurred, Disconnected };
enum class Ending { Discard, Release, Destroy };

/// Makes `signal` fire on a leased socket: an echo for readyRead, a reset
/// (errorOccurred, then disconnected) or a graceful close for the others.
void trigger(Signal signal, QTcpSocket& socket, TestServer& server) {
  switch (signal) {
  case Signal::ReadyRead: socket.write("ping\n"); break;
  case Signal::ErrorOccurred: server.resetConnections(); break;
  case Signal::Disconnected: server.closeConnections(); break;
  }
}

/// Connects a slot to `signal` of the lease's socket that ends the lease
/// (after reading what arrived, so that a release may pool it). The slot owns
/// the lease; `ended` is set once it ran.
void endInside(Signal signal, Ending ending, SocketLease lease, bool* ended) {
  QTcpSocket* socket = lease.socket();
  auto held = std::make_shared<SocketLease>(std::move(lease));
  auto end = [socket, held, ending, ended]() mutable {
    if (*ended) return;
    *ended = true;
    socket->readAll();
    switch (ending) {
    case Ending::Discard: held->discard(); break;
    case Ending::Release: held->release(); break;
    case Ending::Destroy: held.reset(); break;
    }
  };
  switch (signal) {
  case Signal::ReadyRead: QObject::connect(socket, &QIODevice::readyRead, end); break;
  case Signal::ErrorOccurred: QObject::connect(socket, &QAbstractSocket::errorOccurred, end); break;
  case Signal::Disconnected: QObject::connect(socket, &QAbstractSocket::disconnected, end); break;
  }
}

/// The pool still serves a working socket, and has none leased.
bool poolStillWorks(SocketPool& pool, QString* why) {
  SocketLease lease = pool.acquire(QDeadlineTimer(10000));
  if (!lease) return *why = QStringLiteral("acquire after: ") + lease.errorString(), false;
  if (!echoBlocking(*lease.socket(), "after\n")) return *why = QStringLiteral("echo after failed"), false;
  return true;
}

/// A server and a pool of one socket, idle after an echo, so the lease under
/// test is a reuse.
struct SignalRig {
  TestServer server;
  std::unique_ptr<SocketPool> pool;
  SignalRig() {
    if (const quint16 port = server.start()) {
      pool = std::make_unique<SocketPool>(QStringLiteral("127.0.0.1"), port);
      pool->setMaxSize(1);
    }
  }
  bool ready() {
    if (!pool) return false;
    SocketLease lease = pool->acquire(QDeadlineTimer(10000));
    return lease && echoBlocking(*lease.socket(), "warm up\n");
  }
};

/// Polls `done` with no event processing (QTRY_ would run this thread's
/// events), for at most `ms`.
template <class F> bool waitWithoutEvents(F done, int ms = 10000) {
  const QDeadlineTimer deadline(ms);
  while (!done()) {
    if (deadline.hasExpired()) return false;
    QThread::msleep(1);
  }
  return true;
}

void addEndingRows() {
  QTest::addColumn<Signal>("signal");
  QTest::addColumn<Ending>("ending");
  const std::pair<const char*, Signal> signals_[] = {{"readyRead", Signal::ReadyRead},
                                                     {"errorOccurred", Signal::ErrorOccurred},
                                                     {"disconnected", Signal::Disconnected}};
  const std::pair<const char*, Ending> endings[] = {
      {"discard", Ending::Discard}, {"release", Ending::Release}, {"destroy", Ending::Destroy}};
  for (const auto& [sname, s] : signals_)
    for (const auto& [ename, e] : endings)
      QTest::addRow("%s/%s", sname, ename) << s << e;
}

} // namespace

Q_DECLARE_METATYPE(Signal)
Q_DECLARE_METATYPE(Ending)

class tst_SocketPoolSignals : public QObject {
  Q_OBJECT

private slots:
  void leaseEndedInsideASignalOfItsSocketInTheGuiThread_data() { addEndingRows(); }
  void leaseEndedInsideASignalOfItsSocketInTheGuiThread() {
    QFETCH(Signal, signal);
    QFETCH(Ending, ending);
    SignalRig rig;
    QVERIFY(rig.ready());
    TestServer& server = rig.server;
    SocketPool& pool = *rig.pool;

    // As the README's asynchronous example does, inside a running event loop.
    QEventLoop loop;
    bool ended = false;
    QObject receiver;
    pool.acquireAsync(&receiver, [&](SocketLease lease) {
      if (!lease) return loop.quit();
      QTcpSocket* socket = lease.socket();
      endInside(signal, ending, std::move(lease), &ended);
      trigger(signal, *socket, server);
    });
    QTimer::singleShot(0, &loop, [&] {
      QTimer* poll = new QTimer(&loop);
      connect(poll, &QTimer::timeout, &loop, [&] {
        if (ended) loop.quit();
      });
      poll->start(1);
    });
    QTimer::singleShot(20000, &loop, &QEventLoop::quit);
    loop.exec();
    QVERIFY(ended);
    QTRY_COMPARE(pool.stats().activeCount, 0);
    QString why;
    QVERIFY2(poolStillWorks(pool, &why), qPrintable(why));
    const auto stats = pool.stats();
    QCOMPARE(stats.created - stats.closed, quint64(stats.openCount));
  }

  void leaseEndedInsideASignalOfItsSocketInAWorkerWithAnEventLoop_data() { addEndingRows(); }
  void leaseEndedInsideASignalOfItsSocketInAWorkerWithAnEventLoop() {
    QFETCH(Signal, signal);
    QFETCH(Ending, ending);
    SignalRig rig;
    QVERIFY(rig.ready());
    TestServer& server = rig.server;
    SocketPool& pool = *rig.pool;

    bool ended = false;
    QString failure;
    QThread worker;
    QObject runner;
    runner.moveToThread(&worker);
    QThread* const testThread = QThread::currentThread();
    const auto finish = [&] {
      runner.moveToThread(testThread); // pushed back from its own thread
      worker.quit();
    };
    worker.start();
    QMetaObject::invokeMethod(&runner, [&] {
      SocketLease lease = pool.acquire(QDeadlineTimer(10000));
      if (!lease) {
        failure = lease.errorString();
        return finish();
      }
      QTcpSocket* socket = lease.socket();
      endInside(signal, ending, std::move(lease), &ended);
      trigger(signal, *socket, server);
      // Back to the worker's loop; quit once the slot ran (bounded).
      auto* poll = new QTimer(&runner);
      connect(poll, &QTimer::timeout, &runner, [&, poll, deadline = QDeadlineTimer(20000)] {
        if (!ended && !deadline.hasExpired()) return;
        delete poll;
        finish();
      });
      poll->start(1);
    });
    QVERIFY(worker.wait(QDeadlineTimer(60000)));
    QVERIFY2(failure.isEmpty(), qPrintable(failure));
    QVERIFY(ended);
    QTRY_COMPARE(pool.stats().activeCount, 0);
    QString why;
    QVERIFY2(poolStillWorks(pool, &why), qPrintable(why));
  }

  void leaseEndedInsideASignalOfItsSocketInAWorkerWithoutAnEventLoop_data() { addEndingRows(); }
  void leaseEndedInsideASignalOfItsSocketInAWorkerWithoutAnEventLoop() {
    QFETCH(Signal, signal);
    QFETCH(Ending, ending);
    SignalRig rig;
    QVERIFY(rig.ready());
    TestServer& server = rig.server;
    SocketPool& pool = *rig.pool;

    // The blocking API emits the signals from inside waitForReadyRead().
    bool ended = false;
    QString failure;
    std::unique_ptr<QThread> worker(QThread::create([&] {
      SocketLease lease = pool.acquire(QDeadlineTimer(10000));
      if (!lease) return void(failure = lease.errorString());
      QTcpSocket* socket = lease.socket();
      endInside(signal, ending, std::move(lease), &ended);
      trigger(signal, *socket, server);
      // One wait, long enough that the reply, reset or close comes first (a
      // timed-out wait would report its own errorOccurred instead).
      const QDeadlineTimer deadline(20000);
      while (!ended && !deadline.hasExpired())
        socket->waitForReadyRead(static_cast<int>(deadline.remainingTime()));
      // Whatever the slot did, this thread may acquire again at once.
      QString why;
      if (!poolStillWorks(pool, &why)) failure = why;
    }));
    worker->start();
    QVERIFY(worker->wait(QDeadlineTimer(60000)));
    QVERIFY2(failure.isEmpty(), qPrintable(failure));
    QVERIFY(ended);
    QTRY_COMPARE(pool.stats().activeCount, 0);
  }

  void aSocketThePeerClosedWhileLeasedIsNotHandedToAWaiter_data() {
    QTest::addColumn<bool>("reset");
    QTest::newRow("closed") << false;
    QTest::newRow("reset") << true;
  }
  void aSocketThePeerClosedWhileLeasedIsNotHandedToAWaiter() {
    QFETCH(bool, reset);
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    pool.setMaxSize(1);

    SocketLease held = pool.acquire(QDeadlineTimer(10000));
    QVERIFY(held);
    QVERIFY(echoBlocking(*held.socket(), "first\n"));

    ThreadFailures failures;
    std::unique_ptr<QThread> waiter(QThread::create([&] {
      SocketLease lease = pool.acquire(QDeadlineTimer(20000));
      if (!lease) return failures.add(QStringLiteral("waiter: ") + lease.errorString());
      if (!echoBlocking(*lease.socket(), "waiter\n")) failures.add(QStringLiteral("waiter got a dead socket"));
    }));
    waiter->start();
    QTRY_COMPARE(pool.stats().waitingCount, 1);
    // The server drops the held connection; its holder does no I/O since, and
    // this thread runs no events either (its read notifier would let Qt see
    // the close): only the kernel knows.
    reset ? server.resetConnections() : server.closeConnections();
    QVERIFY(waitWithoutEvents([&] { return server.live() == 0; }));
    QCOMPARE(held->state(), QAbstractSocket::ConnectedState);
    held.release(); // straight to the waiting thread, unless it is dead
    QVERIFY(waiter->wait(QDeadlineTimer(60000)));
    QCOMPARE(failures.list(), QStringList());
    QCOMPARE(pool.stats().created, quint64(2));
  }

  void aReturnThePoolClosesInsideASignalOfItsSocketIsSafe_data() {
    QTest::addColumn<bool>("destroyPool");
    QTest::newRow("idle overflow (maxIdle 0)") << false;
    QTest::newRow("pool destroyed") << true;
  }
  void aReturnThePoolClosesInsideASignalOfItsSocketIsSafe() {
    QFETCH(bool, destroyPool);
    SignalRig rig;
    QVERIFY(rig.ready());
    if (!destroyPool) rig.pool->setMaxIdle(0);

    // A worker without an event loop releases a healthy socket inside
    // readyRead; the put itself closes it (no idle room, or no pool).
    std::binary_semaphore leased{0}, goOn{0};
    bool ended = false;
    QString failure;
    std::unique_ptr<QThread> worker(QThread::create([&] {
      SocketLease lease = rig.pool->acquire(QDeadlineTimer(10000));
      leased.release();
      if (!lease) return void(failure = lease.errorString());
      QTcpSocket* socket = lease.socket();
      endInside(Signal::ReadyRead, Ending::Release, std::move(lease), &ended);
      if (!goOn.try_acquire_for(std::chrono::seconds(20))) return void(failure = QStringLiteral("not told to go on"));
      trigger(Signal::ReadyRead, *socket, rig.server);
      const QDeadlineTimer deadline(20000);
      while (!ended && !deadline.hasExpired())
        socket->waitForReadyRead(static_cast<int>(deadline.remainingTime()));
    }));
    worker->start();
    QVERIFY(leased.try_acquire_for(std::chrono::seconds(20)));
    const quint64 createdBefore = rig.pool->stats().created;
    if (destroyPool) rig.pool.reset();
    goOn.release();
    QVERIFY(worker->wait(QDeadlineTimer(60000)));
    QVERIFY2(failure.isEmpty(), qPrintable(failure));
    QVERIFY(ended);
    QTRY_COMPARE(rig.server.live(), 0); // closed by the put, exactly once
    if (!destroyPool) {
      QCOMPARE(rig.pool->stats().openCount, 0);
      QCOMPARE(rig.pool->stats().created, createdBefore);
    }
  }

  void destroyingThePoolAnswersPendingAsyncAcquiresWithCancelled() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    auto pool = std::make_unique<SocketPool>(QStringLiteral("127.0.0.1"), port);
    pool->setMaxSize(1);
    SocketLease held = pool->acquire(QDeadlineTimer(10000));
    QVERIFY(held);

    constexpr int pending = 3;
    QObject receiver;
    int answered = 0, cancelled = 0, wrongThread = 0;
    for (int i = 0; i < pending; ++i)
      pool->acquireAsync(&receiver, [&](SocketLease lease) {
        ++answered;
        if (!lease && lease.error() == SocketLease::Error::Cancelled) ++cancelled;
        if (QThread::currentThread() != receiver.thread()) ++wrongThread;
      });
    // Some wait in the pool, the others are still queued for a helper thread.
    QTRY_VERIFY(pool->stats().waitingCount >= 1);
    pool.reset();
    QTRY_COMPARE(answered, pending);
    QCOMPARE(cancelled, pending);
    QCOMPARE(wrongThread, 0);
    QTRY_VERIFY(receiver.children().isEmpty()); // no helper left attached to it

    // The lease still out works, and its socket closes when it comes back.
    QVERIFY(echoBlocking(*held.socket(), "still mine\n"));
    held.release();
    QTRY_COMPARE(server.live(), 0);
  }
};

QTEST_MAIN(tst_SocketPoolSignals)
#include "tst_SocketPoolSignals.moc"
