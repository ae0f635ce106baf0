// SPDX-License-Identifier: MIT
// Long runs of lease cycles: nothing may pile up per cycle in the borrowing
// thread, whether it runs an event loop or not, and whichever way a lease
// starts (blocking or async) and ends (release, discard, destruction).
#include "echo.h"
#include "testserver.h"
#include "threadfailures.h"
#include <connpool/qt/socketpool.h>

#include <QtCore/private/qobject_p.h>
#include <QtCore/private/qthread_p.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qfile.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qtcpsocket.h>
#include <QtTest/qtest.h>

#include <functional>
#include <limits>
#include <memory>

using connpool::qt::SocketLease;
using connpool::qt::SocketPool;

namespace {

/// Events queued for the calling thread, delivered or not: entries stay in
/// the list until that thread's event loop (or sendPostedEvents) compacts it,
/// so a thread that never runs one shows every event ever posted to it.
qsizetype postedEventsOfThisThread() {
  QThreadData* data = QThreadData::get2(QThread::currentThread());
  QMutexLocker lock(&data->postEventList.mutex);
  return data->postEventList.size();
}

/// Objects Qt 6.4 keeps on the calling thread's list of "binding status
/// pending" (moved into a QThread that has not run exec()); 0 once the
/// thread has its status.
qsizetype pendingBindingObjectsOfThisThread() {
  auto* thread = static_cast<QThreadPrivate*>(QObjectPrivate::get(QThread::currentThread()));
  QMutexLocker lock(&thread->mutex);
  const auto* list = thread->m_statusOrPendingObjects.list();
  return list ? static_cast<qsizetype>(list->size()) : 0;
}

/// Resident set size in KiB (Linux), a coarse backstop.
qint64 rssKib() {
  QFile status(QStringLiteral("/proc/self/status"));
  if (!status.open(QIODevice::ReadOnly)) return 0;
  for (const QByteArray& line : status.readAll().split('\n'))
    if (line.startsWith("VmRSS:")) return line.mid(6).trimmed().split(' ').value(0).toLongLong();
  return 0;
}

/// What a socket carries that could grow per lease.
qsizetype childrenOf(const QTcpSocket& socket) { return socket.findChildren<QObject*>().size(); }

struct Growth {
  qsizetype postedBefore = 0, postedAfter = 0;
  qsizetype pendingBefore = 0, pendingAfter = 0;
  qint64 rssBefore = 0, rssAfter = 0;
  QString failure;
};

/// One cycle: acquire(), an echo every 100th time, then the lease ends:
/// released, destroyed, or (every 1000th time) discarded. `children`, when
/// given, receives the socket's children count while it is leased.
bool blockingCycle(SocketPool& pool, int i, qsizetype* children = nullptr) {
  SocketLease lease = pool.acquire(QDeadlineTimer(10000));
  if (!lease) return false;
  if (i % 100 == 0 && !echoBlocking(*lease.socket(), "cycle\n")) return false;
  if (children) *children = childrenOf(*lease.socket());
  if (i % 1000 == 999)
    lease.discard();
  else if (i % 2)
    lease.release();
  // else: the lease is destroyed at the end of this scope
  return true;
}

constexpr int kWarmUp = 1000;
constexpr int kCycles = 100'000;
// A few events may legitimately be queued at any moment (e.g. the one
// re-enabling a notifier); growth by the cycle count may not.
constexpr qsizetype kPostedSlack = 8;
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CONNPOOL_TEST_UNDER_ASAN 1
#endif
#endif
#if defined(CONNPOOL_TEST_UNDER_ASAN)
// AddressSanitizer keeps freed memory in quarantine: RSS says nothing there
// (LeakSanitizer covers leaks); the counted lists are the real checks.
constexpr qint64 kRssSlackKib = std::numeric_limits<qint64>::max() / 2;
#else
constexpr qint64 kRssSlackKib = 1024;
#endif

} // namespace

class tst_SocketPoolCycles : public QObject {
  Q_OBJECT

private slots:
  void blockingCyclesInAThreadWithoutAnEventLoopAccumulateNothing() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    pool.setMaxSize(1);

    Growth g;
    qsizetype childrenFirst = -1, childrenLast = -1;
    std::unique_ptr<QThread> worker(QThread::create([&] {
      for (int i = 0; i < kWarmUp + kCycles; ++i) {
        if (i == kWarmUp) {
          g.postedBefore = postedEventsOfThisThread();
          g.pendingBefore = pendingBindingObjectsOfThisThread();
          g.rssBefore = rssKib();
        }
        qsizetype* children = i == kWarmUp ? &childrenFirst : i == kWarmUp + kCycles - 1 ? &childrenLast : nullptr;
        if (!blockingCycle(pool, i, children)) {
          g.failure = QStringLiteral("cycle %1 failed").arg(i);
          return;
        }
      }
      g.postedAfter = postedEventsOfThisThread();
      g.pendingAfter = pendingBindingObjectsOfThisThread();
      g.rssAfter = rssKib();
    }));
    worker->start();
    QVERIFY(worker->wait(QDeadlineTimer(600'000)));
    QVERIFY2(g.failure.isEmpty(), qPrintable(g.failure));
    qInfo("no event loop: posted events %lld -> %lld, objects pending a binding status %lld -> %lld, socket children "
          "%lld -> %lld, RSS %lld -> %lld KiB over %d cycles",
          qlonglong(g.postedBefore), qlonglong(g.postedAfter), qlonglong(g.pendingBefore), qlonglong(g.pendingAfter),
          qlonglong(childrenFirst), qlonglong(childrenLast), g.rssBefore, g.rssAfter, kCycles);
    QVERIFY2(g.postedAfter - g.postedBefore <= kPostedSlack, "events pile up in the borrowing thread");
    QVERIFY2(g.pendingAfter <= kPostedSlack, "every socket moved into the thread stays on Qt's pending list");
    QCOMPARE(childrenLast, childrenFirst);
    QVERIFY2(g.rssAfter - g.rssBefore <= kRssSlackKib, "memory grows with the number of cycles");
  }

  void blockingCyclesInAThreadWithAnEventLoopAccumulateNothing() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    pool.setMaxSize(1);

    // Batches of cycles run from the thread's event loop, which turns between
    // them, as in an application's worker.
    constexpr int batches = 100, perBatch = kCycles / batches;
    Growth g;
    QThread worker;
    QObject runner;
    runner.moveToThread(&worker);
    int batch = 0;
    QThread* const testThread = QThread::currentThread();
    const auto finish = [&] {
      runner.moveToThread(testThread); // pushed back from its own thread
      worker.quit();
    };
    std::function<void()> runBatch = [&] {
      for (int i = 0; i < perBatch; ++i)
        if (!blockingCycle(pool, batch * perBatch + i)) {
          g.failure = QStringLiteral("cycle %1 failed").arg(batch * perBatch + i);
          return finish();
        }
      if (batch == 0) {
        g.postedBefore = postedEventsOfThisThread();
        g.rssBefore = rssKib();
      }
      if (++batch == batches) {
        g.postedAfter = postedEventsOfThisThread();
        g.rssAfter = rssKib();
        return finish();
      }
      QMetaObject::invokeMethod(&runner, runBatch, Qt::QueuedConnection);
    };
    worker.start();
    QMetaObject::invokeMethod(&runner, runBatch, Qt::QueuedConnection);
    QVERIFY(worker.wait(QDeadlineTimer(600'000)));
    QVERIFY2(g.failure.isEmpty(), qPrintable(g.failure));
    qInfo("event loop: posted events %lld -> %lld, RSS %lld -> %lld KiB over %d cycles", qlonglong(g.postedBefore),
          qlonglong(g.postedAfter), g.rssBefore, g.rssAfter, kCycles);
    QVERIFY2(g.postedAfter - g.postedBefore <= kPostedSlack, "events pile up in the borrowing thread");
    QVERIFY2(g.rssAfter - g.rssBefore <= kRssSlackKib, "memory grows with the number of cycles");
  }

  void asyncCyclesInTheGuiThreadAccumulateNothing() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    pool.setMaxSize(1);

    // A chain: each callback uses the lease, ends it, and asks for the next.
    constexpr int cycles = 20'000, warmUp = 500;
    int done = 0;
    QString failure;
    qint64 rssBefore = 0;
    QObject receiver;
    std::function<void()> next = [&] {
      pool.acquireAsync(
          &receiver,
          [&](SocketLease lease) {
            if (!lease) {
              failure = QStringLiteral("async cycle %1: %2").arg(done).arg(lease.errorString());
              return;
            }
            if (done % 100 == 0 && !echoBlocking(*lease.socket(), "async\n")) failure = QStringLiteral("echo failed");
            if (done % 1000 == 999) lease.discard();
            if (++done == warmUp) rssBefore = rssKib();
            if (done < cycles && failure.isEmpty()) next();
          },
          QDeadlineTimer(10000));
    };
    // In a running event loop, as in an application (QTRY_ would sleep 10 ms
    // between its turns of the loop).
    QEventLoop loop;
    QTimer poll;
    connect(&poll, &QTimer::timeout, &loop, [&] {
      if (done == cycles || !failure.isEmpty()) loop.quit();
    });
    poll.start(10);
    QTimer::singleShot(600'000, &loop, &QEventLoop::quit);
    next();
    loop.exec();
    QVERIFY2(done == cycles, "the chain did not finish in time");
    QVERIFY2(failure.isEmpty(), qPrintable(failure));
    const qint64 rssAfter = rssKib();
    qInfo("async: RSS %lld -> %lld KiB over %d cycles", rssBefore, rssAfter, cycles - warmUp);
    QVERIFY2(rssAfter - rssBefore <= kRssSlackKib, "memory grows with the number of async cycles");
  }
};

QTEST_MAIN(tst_SocketPoolCycles)
#include "tst_SocketPoolCycles.moc"
