// SPDX-License-Identifier: MIT
// connpool::qt::SocketPool against a real redis-server the test runs itself
// (redisserver.h: its own process, temporary directory and port, never a
// system instance), speaking RESP through pooled QTcpSockets:
//  - load from worker threads (blocking acquire) and an acquireAsync chain in
//    the GUI thread while the server kills clients, closes idle ones
//    (CONFIG SET timeout) and restarts: no INCR lost or doubled, never more
//    than maxSize connections, nothing leaked;
//  - faults the pool must survive: returning a lease inside its socket's own
//    signals, a dead socket returned without I/O to a blocked waiter, the
//    pool destroyed with leases out and async acquires pending.
//
// No sleeps as synchronisation: conditions polled with deadlines in a running
// event loop (waitUntil), semaphores and condition variables; every loop is
// bounded in count and time, and no assertion is about timing. The figures
// (ops, errors per fault, recovery times, connections) are printed with
// qInfo.
#include "redisserver.h"
#include "threadfailures.h"
#include <connpool/qt/socketpool.h>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qpointer.h>
#include <QtCore/qscopeguard.h>
#include <QtCore/qsemaphore.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qtcpsocket.h>
#include <QtTest/qtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

using connpool::qt::SocketLease;
using connpool::qt::SocketPool;
using connpool::qt::SocketPoolStats;

namespace {

const QString localHost = QStringLiteral("127.0.0.1");
const QByteArray adminName = "connpool-admin";

bool pingPong(QTcpSocket& socket, int timeoutMs = 5000) {
  const std::optional<resp::Reply> reply = resp::exchange(socket, {"PING"}, QDeadlineTimer(timeoutMs));
  return reply && reply->isString("PONG");
}

// The pool's clients as redis sees them (CLIENT LIST without the admin):
// all of them, and those not already marked to be closed (flag A), which a
// close by the pool may leave listed for one event-loop turn of the server.
struct ServerClients {
  int all = -1;
  int live = -1;
};
ServerClients poolClients(RedisServer& redis) {
  const auto clients = redis.clientList();
  if (!clients) return {};
  ServerClients n{0, 0};
  for (const auto& c : *clients) {
    if (c.value("name") == adminName) continue;
    ++n.all;
    if (!c.value("flags").contains('A')) ++n.live;
  }
  return n;
}

// A thread with an event loop, and an object living in it to run code there.
class EventLoopThread {
public:
  EventLoopThread() {
    context_ = new QObject;
    context_->moveToThread(&thread_);
    thread_.start();
  }
  EventLoopThread(const EventLoopThread&) = delete;
  EventLoopThread& operator=(const EventLoopThread&) = delete;
  ~EventLoopThread() {
    QObject* const context = context_;
    QMetaObject::invokeMethod(context, [context] { delete context; }, Qt::BlockingQueuedConnection);
    thread_.quit();
    thread_.wait();
  }
  QObject* context() const { return context_; }
  QThread* thread() { return &thread_; }
  /// Runs `f` there and waits for it.
  template <class F> void run(F f) { QMetaObject::invokeMethod(context_, std::move(f), Qt::BlockingQueuedConnection); }

private:
  QThread thread_;
  QObject* context_;
};

// Runs this thread's event loop (so that async work in it goes on at full
// speed, which QTest::qWaitFor's 10 ms naps would slow down) until
// `predicate` holds, checked every 5 ms, or `timeoutMs` pass.
template <class F> bool waitUntil(F predicate, int timeoutMs) {
  if (predicate()) return true;
  const QDeadlineTimer deadline(timeoutMs);
  QEventLoop loop;
  QTimer poll;
  poll.setInterval(5);
  bool met = false;
  QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
    met = predicate();
    if (met || deadline.hasExpired()) loop.quit();
  });
  poll.start();
  loop.exec();
  return met;
}

} // namespace

class tst_SocketPoolRedis : public QObject {
  Q_OBJECT

private slots:
  void initTestCase() {
    if (RedisServer::executable().isEmpty())
      QSKIP("redis-server not found (set CONNPOOL_REDIS_SERVER or install the redis-server package; "
            "scripts/bootstrap.sh does)");
  }

  void harnessRunsItsOwnServerAndSeesThePoolsConnections() {
    RedisServer redis;
    QVERIFY2(redis.start(), qPrintable(redis.errorString()));
    QVERIFY(redis.port() != 6379);
    QCOMPARE(redis.connectedClients(), 1); // just the admin
    const auto config = redis.command({"CONFIG", "GET", "save"});
    QVERIFY(config && config->elements.size() == 2);
    QCOMPARE(config->elements.at(1).string, QByteArray());
    {
      SocketPool pool(localHost, redis.port());
      SocketLease lease = pool.acquire(QDeadlineTimer(10000));
      QVERIFY2(lease, qPrintable(lease.errorString()));
      QVERIFY(pingPong(*lease.socket()));
      QCOMPARE(redis.connectedClients(), 2);
      const auto set = resp::exchange(*lease.socket(), {"SET", "k", "v"}, QDeadlineTimer(5000));
      QVERIFY(set && set->isString("OK"));
      // Survives a restart that keeps the data, on the same port.
      const quint16 port = redis.port();
      QVERIFY2(redis.restart(), qPrintable(redis.errorString()));
      QCOMPARE(redis.port(), port);
      const auto get = redis.command({"GET", "k"});
      QVERIFY(get && get->isString("v"));
      QVERIFY(!pingPong(*lease.socket())); // the old connection went with the old process
      lease.discard();
      lease = pool.acquire(QDeadlineTimer(10000));
      QVERIFY2(lease, qPrintable(lease.errorString()));
      QVERIFY(pingPong(*lease.socket()));
      QCOMPARE(redis.killNormalClients(), 1);
      QVERIFY(waitUntil([&] { return redis.connectedClients() == 1; }, 10000));
      QVERIFY(!pingPong(*lease.socket()));
      lease.discard();
    }
    QVERIFY(redis.totalConnectionsReceivedAllRuns() >= 3);
    QCOMPARE(redis.connectedClients(), 1);
  }

  // 8 worker threads (blocking acquire) and an acquireAsync chain in
  // the GUI thread do INCR round trips while the server kills every client,
  // closes the idle ones (timeout 1) and restarts (SHUTDOWN SAVE: the counter
  // survives). A failed exchange is discarded and retried.
  //
  // Nothing lost or doubled: each INCR that got its reply returned the
  // counter after it, so the values seen are all distinct and at most the
  // final counter; an INCR whose reply was lost (the connection died after
  // the server ran it) leaves a value nobody saw, and only a request that was
  // sent without an answer can do that. So final counter = replies seen +
  // lost replies, lost replies <= exchanges that failed after sending.
  void incrFromWorkerThreadsAndAnAsyncChainSurviveClientKillIdleTimeoutAndRestartWithoutLosingOrDoublingOne() {
    constexpr int workers = 8;
    constexpr int maxSize = 4;
    constexpr int perPhase = 300; // successes between two faults
    constexpr int maxOpsPerWorker = 100000;
    constexpr int maxAttemptsPerOp = 1000;
    const QByteArray key = "connpool:counter";

    RedisServer redis;
    QVERIFY2(redis.start(), qPrintable(redis.errorString()));
    QCOMPARE(redis.connectedClients(), 1);

    struct Done {
      qint64 value, startMs, endMs;
    };
    struct Failed {
      qint64 atMs;
      bool afterSending; // the request went out: the server may have run it
    };
    struct Record {
      std::vector<Done> done;
      std::vector<Failed> failed;
    };
    enum class Outcome { Ok, NotSent, NoReply, ErrorReply };

    QElapsedTimer clock;
    clock.start();
    const QDeadlineTimer runDeadline(45000);
    ThreadFailures failures;
    std::atomic<int> successes{0};

    // The gate parks the load between two operations (for the idle timeout).
    std::mutex gateMutex;
    std::condition_variable gateChanged;
    bool gateOpen = true; // guarded by gateMutex
    bool stop = false;    // guarded by gateMutex
    int parked = 0;       // guarded by gateMutex
    std::atomic<bool> stopping{false};
    const auto setGate = [&](bool open) {
      std::lock_guard lk(gateMutex);
      gateOpen = open;
      gateChanged.notify_all();
    };

    auto pool = std::make_unique<SocketPool>(localHost, redis.port());
    pool->setMaxSize(maxSize);
    pool->setConnectTimeout(5000);
    pool->setStatsInterval(10);

    // One INCR through a blocking lease; a failed exchange is discarded.
    const auto incrOnce = [&](qint64& value, int worker) {
      SocketLease lease = pool->acquire(QDeadlineTimer(10000));
      if (!lease) {
        if (lease.error() != SocketLease::Error::ConnectFailed)
          failures.add(QStringLiteral("worker %1: acquire: %2").arg(worker).arg(lease.errorString()));
        return Outcome::NotSent;
      }
      const QByteArray request = resp::encode({"INCR", key});
      if (lease->write(request) != request.size()) {
        lease.discard();
        return Outcome::NotSent;
      }
      const std::optional<resp::Reply> reply = resp::read(*lease.socket(), QDeadlineTimer(5000));
      if (!reply) {
        lease.discard();
        return Outcome::NoReply;
      }
      if (!reply->isInteger()) return Outcome::ErrorReply; // complete exchange: the socket is fine
      value = reply->integer;
      return Outcome::Ok;
    };

    std::vector<Record> records(workers + 1); // the last one: the GUI chain
    std::vector<std::unique_ptr<QThread>> threads;
    std::atomic<int> finished{0};
    for (int w = 0; w < workers; ++w) {
      threads.emplace_back(QThread::create([&, w] {
        Record& record = records[w];
        for (int op = 0; op < maxOpsPerWorker && !stopping.load() && !runDeadline.hasExpired(); ++op) {
          {
            std::unique_lock lk(gateMutex);
            if (!gateOpen && !stop) {
              ++parked;
              gateChanged.notify_all();
              gateChanged.wait_for(lk, std::chrono::seconds(30), [&] { return gateOpen || stop; });
              --parked;
            }
          }
          for (int attempt = 0; attempt < maxAttemptsPerOp && !runDeadline.hasExpired(); ++attempt) {
            const qint64 start = clock.elapsed();
            qint64 value = 0;
            const Outcome outcome = incrOnce(value, w);
            if (outcome == Outcome::Ok) {
              record.done.push_back({value, start, clock.elapsed()});
              ++successes;
              break;
            }
            record.failed.push_back({clock.elapsed(), outcome == Outcome::NoReply});
            if (outcome == Outcome::NotSent) {
              // Nothing to talk to (restarting): back off 10 ms, or until told to stop.
              std::unique_lock lk(gateMutex);
              if (gateChanged.wait_for(lk, std::chrono::milliseconds(10), [&] { return stop; })) break;
            }
          }
        }
        ++finished;
      }));
      threads.back()->start();
    }

    // Whatever happens below, the workers stop and are joined before the
    // state they use goes.
    const auto joinWorkers = qScopeGuard([&] {
      stopping.store(true);
      {
        std::lock_guard lk(gateMutex);
        stop = true;
        gateChanged.notify_all();
      }
      for (auto& thread : threads)
        thread->wait(QDeadlineTimer(30000));
    });

    // The GUI thread's chain: acquireAsync, INCR with the signal API, return
    // the lease (queued, never inside the socket's own signals), again.
    struct Chain {
      QObject context;
      SocketLease lease;
      int attempt = 0; // events of older attempts are ignored
      bool parked = false;
      bool done = false;
      qint64 start = 0;
    } chain;
    Record& chainRecord = records[workers];
    std::function<void()> next;
    const auto finish = [&](int attempt, Outcome outcome, qint64 value) {
      if (attempt != chain.attempt) return;
      ++chain.attempt;
      if (outcome == Outcome::Ok || outcome == Outcome::ErrorReply)
        chain.lease.release();
      else
        chain.lease.discard();
      if (outcome == Outcome::Ok) {
        chainRecord.done.push_back({value, chain.start, clock.elapsed()});
        ++successes;
        next();
      } else {
        chainRecord.failed.push_back({clock.elapsed(), outcome == Outcome::NoReply});
        QTimer::singleShot(outcome == Outcome::NotSent ? 10 : 0, &chain.context, [&] { next(); });
      }
    };
    const auto finishLater = [&](int attempt, Outcome outcome, qint64 value = 0) {
      QMetaObject::invokeMethod(
          &chain.context, [&, attempt, outcome, value] { finish(attempt, outcome, value); }, Qt::QueuedConnection);
    };
    int chainOps = 0;
    next = [&] {
      if (stopping.load() || runDeadline.hasExpired() || ++chainOps > maxOpsPerWorker * maxAttemptsPerOp) {
        chain.done = true;
        return;
      }
      {
        std::lock_guard lk(gateMutex);
        if (!gateOpen) {
          chain.parked = true;
          return;
        }
      }
      chain.start = clock.elapsed();
      const int attempt = chain.attempt;
      pool->acquireAsync(
          &chain.context,
          [&, attempt](SocketLease lease) {
            if (attempt != chain.attempt) return;
            if (!lease) {
              if (lease.error() != SocketLease::Error::ConnectFailed)
                failures.add(QStringLiteral("chain: acquireAsync: ") + lease.errorString());
              finishLater(attempt, Outcome::NotSent);
              return;
            }
            chain.lease = std::move(lease);
            QTcpSocket* const socket = chain.lease.socket();
            const auto parse = [&, socket, attempt] {
              resp::Reply reply;
              const QByteArray buffered = socket->peek(socket->bytesAvailable());
              const qsizetype n = resp::parse(buffered, 0, reply);
              if (n < 0) finishLater(attempt, Outcome::NoReply);
              if (n <= 0) return;
              socket->read(n);
              finishLater(attempt, reply.isInteger() ? Outcome::Ok : Outcome::ErrorReply, reply.integer);
            };
            QObject::connect(socket, &QIODevice::readyRead, &chain.context, parse);
            QObject::connect(socket, &QAbstractSocket::errorOccurred, &chain.context,
                             [&, attempt] { finishLater(attempt, Outcome::NoReply); });
            QTimer::singleShot(5000, &chain.context, [&, attempt] { finish(attempt, Outcome::NoReply, 0); });
            const QByteArray request = resp::encode({"INCR", key});
            if (socket->write(request) != request.size()) finishLater(attempt, Outcome::NotSent);
          },
          QDeadlineTimer(10000));
    };
    const auto resumeChain = [&] {
      if (!chain.parked) return;
      chain.parked = false;
      next();
    };

    // Watch the connections while it runs: the server's view and the pool's.
    int maxConnectedClients = 0; // INFO clients connected_clients, minus the admin
    ServerClients maxServer{0, 0};
    int maxOpen = 0;
    int samples = 0;
    QTimer watch;
    watch.setInterval(10);
    QObject::connect(&watch, &QTimer::timeout, [&] {
      if (const int connected = redis.connectedClients(); connected > 0)
        maxConnectedClients = std::max(maxConnectedClients, connected - 1);
      const ServerClients now = poolClients(redis);
      maxServer.all = std::max(maxServer.all, now.all);
      maxServer.live = std::max(maxServer.live, now.live);
      maxOpen = std::max(maxOpen, pool->stats().openCount);
      ++samples;
    });
    watch.start();
    next();

    struct Fault {
      const char* name;
      qint64 atMs;
      qint64 tookMs;
    };
    std::vector<Fault> faults;
    const auto progress = [&](int more) {
      const int target = successes.load() + more;
      return waitUntil([&] { return successes.load() >= target; }, 20000);
    };

    QVERIFY2(progress(perPhase), "no progress before the first fault");

    // Fault 1: every pool connection killed, leased or idle.
    qint64 t = clock.elapsed();
    const int killed = redis.killNormalClients();
    QVERIFY2(killed >= 0, qPrintable(redis.errorString()));
    faults.push_back({"CLIENT KILL TYPE normal", t, clock.elapsed() - t});
    QVERIFY2(progress(perPhase), "no progress after CLIENT KILL");

    // Fault 2: the load parks with every socket idle in the pool; the server
    // closes them (timeout 1); then the load goes on with them.
    setGate(false);
    QVERIFY2(waitUntil(
                 [&] {
                   std::lock_guard lk(gateMutex);
                   return parked == workers && chain.parked && !chain.lease;
                 },
                 20000),
             "the load did not park");
    const int idleBefore = pool->stats().idleCount;
    QVERIFY(redis.setIdleTimeout(1));
    t = clock.elapsed();
    // The admin stays busy (the watch polls every 10 ms), so only the pool's go.
    const bool closedIdle = waitUntil([&] { return poolClients(redis).all == 0; }, 10000);
    QVERIFY(redis.setIdleTimeout(0));
    QVERIFY2(closedIdle, "the server did not close the idle connections");
    const qint64 idleClosedAfter = clock.elapsed() - t;
    t = clock.elapsed();
    setGate(true);
    resumeChain();
    faults.push_back({"timeout 1 (idle sockets closed by the server)", t, idleClosedAfter});
    QVERIFY2(progress(perPhase), "no progress after the idle timeout");

    // Fault 3: a restart on the same port, keeping the data.
    t = clock.elapsed();
    QVERIFY2(redis.restart(), qPrintable(redis.errorString()));
    faults.push_back({"restart (SHUTDOWN SAVE, same port)", t, clock.elapsed() - t});
    QVERIFY2(progress(perPhase), "no progress after the restart");

    // Stop the load.
    stopping.store(true);
    {
      std::lock_guard lk(gateMutex);
      stop = true;
      gateChanged.notify_all();
    }
    for (auto& thread : threads)
      QVERIFY(thread->wait(QDeadlineTimer(30000)));
    QCOMPARE(finished.load(), workers); // also orders the workers' records before our reads (TSan)
    QVERIFY2(waitUntil([&] { return chain.done; }, 10000), "the async chain did not stop");
    watch.stop();
    QCOMPARE(failures.list(), QStringList());

    // The accounting.
    std::vector<qint64> values;
    std::vector<Failed> failed;
    for (const Record& r : records) {
      for (const Done& d : r.done)
        values.push_back(d.value);
      failed.insert(failed.end(), r.failed.begin(), r.failed.end());
    }
    std::sort(values.begin(), values.end());
    const auto counter = redis.command({"GET", key});
    QVERIFY2(counter && counter->type == resp::Reply::Type::Bulk, qPrintable(redis.errorString()));
    const qint64 final = counter->string.toLongLong();
    const qint64 sentNoReply =
        std::count_if(failed.begin(), failed.end(), [](const Failed& f) { return f.afterSending; });
    const qint64 replies = static_cast<qint64>(values.size());
    QCOMPARE(replies, qint64(successes.load()));
    QVERIFY2(std::adjacent_find(values.begin(), values.end()) == values.end(), "an INCR value was seen twice");
    QVERIFY(values.empty() || values.front() >= 1);
    QVERIFY2(values.empty() || values.back() <= final, "a reply beyond the final counter");
    const qint64 lostReplies = final - replies;
    QVERIFY2(lostReplies >= 0 && lostReplies <= sentNoReply,
             qPrintable(QStringLiteral("counter %1, replies %2, exchanges failed after sending %3")
                            .arg(final)
                            .arg(replies)
                            .arg(sentNoReply)));
    const auto errorsBefore = [&](qint64 ms) {
      return std::count_if(failed.begin(), failed.end(), [ms](const Failed& f) { return f.atMs < ms; });
    };
    QCOMPARE(qint64(errorsBefore(faults.front().atMs)), qint64(0)); // no error without a fault

    // Never more than maxSize at once.
    const SocketPoolStats atEnd = pool->stats();
    QVERIFY(samples > 0);
    QVERIFY2(maxOpen <= maxSize, qPrintable(QString::number(maxOpen)));
    QVERIFY2(atEnd.maxActive <= quint64(maxSize), qPrintable(QString::number(atEnd.maxActive)));
    QVERIFY2(maxServer.live <= maxSize, qPrintable(QString::number(maxServer.live)));
    QVERIFY2(maxConnectedClients <= maxSize, qPrintable(QStringLiteral("connected_clients - 1 reached %1 (CLIENT "
                                                                       "LIST: %2, %3 not closing)")
                                                            .arg(maxConnectedClients)
                                                            .arg(maxServer.all)
                                                            .arg(maxServer.live)));
    // Nothing leaked. (The chain's last lease, released in its callback inside
    // the running loop, is back on the loop's next turn.)
    QVERIFY(waitUntil([&] { return pool->stats().activeCount == 0; }, 10000));
    const SocketPoolStats s = pool->stats();
    QCOMPARE(s.openCount, s.idleCount);
    QCOMPARE(s.created - s.closed, quint64(s.openCount));
    const qint64 received = redis.totalConnectionsReceivedAllRuns();
    pool.reset();
    QVERIFY2(waitUntil([&] { return redis.connectedClients() == 1; }, 10000),
             qPrintable(QStringLiteral("connected_clients %1 after the pool is gone").arg(redis.connectedClients())));

    // Figures.
    QStringList recovery;
    for (std::size_t i = 0; i < faults.size(); ++i) {
      const Fault& f = faults[i];
      const qint64 end = i + 1 < faults.size() ? faults[i + 1].atMs : clock.elapsed();
      qint64 first = -1;
      for (const Record& r : records)
        for (const Done& d : r.done)
          if (d.startMs >= f.atMs && (first < 0 || d.endMs < first)) first = d.endMs;
      const qint64 errors = qint64(errorsBefore(end) - errorsBefore(f.atMs));
      recovery << QStringLiteral("%1: took %2 ms, %3 errors, next success after %4 ms")
                      .arg(QLatin1String(f.name))
                      .arg(f.tookMs)
                      .arg(errors)
                      .arg(first < 0 ? -1 : first - f.atMs);
    }
    qInfo("figures: %lld INCRs answered (%lld by the GUI chain), %lld errors (%lld after sending), counter %lld "
          "(%lld replies lost with their connection); killed %d, %d idle sockets closed by timeout; %s; max "
          "connections: connected_clients-1 %d, CLIENT LIST %d (%d not closing), pool open %d, maxActive %llu, "
          "maxSize %d, %d samples; connections: pool created %llu, server received %lld (admin %d); %lld ms",
          static_cast<long long>(replies), static_cast<long long>(records[workers].done.size()),
          static_cast<long long>(failed.size()), static_cast<long long>(sentNoReply), static_cast<long long>(final),
          static_cast<long long>(lostReplies), killed, idleBefore, qPrintable(recovery.join(QStringLiteral("; "))),
          maxConnectedClients, maxServer.all, maxServer.live, maxOpen, static_cast<unsigned long long>(s.maxActive),
          maxSize, samples, static_cast<unsigned long long>(s.created), static_cast<long long>(received),
          redis.adminConnects(), static_cast<long long>(clock.elapsed()));
  }

  // maxSize 1; thread A holds the only socket; the server kills that
  // connection; once redis reports it gone, A returns the lease without any
  // I/O (so Qt has not seen the close) while thread B is blocked in
  // acquire(). B's first command must work: the pool must not hand it the
  // dead socket.
  void deadSocketReturnedWithoutIoIsNotHandedToTheWaiterBlockedInAcquire() {
    RedisServer redis;
    QVERIFY2(redis.start(), qPrintable(redis.errorString()));
    SocketPool pool(localHost, redis.port());
    pool.setMaxSize(1);
    ThreadFailures failures;

    std::atomic<qint64> idOfA{-1};
    QSemaphore returnIt;
    std::atomic<bool> aDone{false};
    std::unique_ptr<QThread> a(QThread::create([&] {
      SocketLease lease = pool.acquire(QDeadlineTimer(10000));
      const auto id = lease ? resp::exchange(*lease.socket(), {"CLIENT", "ID"}, QDeadlineTimer(5000)) : std::nullopt;
      if (!id || !id->isInteger()) {
        failures.add(QStringLiteral("A: no lease or no CLIENT ID: ") + lease.errorString());
        idOfA = 0;
        return;
      }
      idOfA = id->integer;
      if (!returnIt.tryAcquire(1, 20000)) failures.add(QStringLiteral("A: never told to return the lease"));
      lease.release(); // no I/O since the kill
      aDone = true;
    }));
    a->start();
    std::unique_ptr<QThread> b;
    const auto joinThreads = qScopeGuard([&] {
      returnIt.release();
      a->wait(QDeadlineTimer(30000));
      if (b) b->wait(QDeadlineTimer(30000));
    });
    QVERIFY(waitUntil([&] { return idOfA.load() != -1; }, 10000));
    QVERIFY2(idOfA.load() > 0, qPrintable(failures.list().join(QStringLiteral("; "))));
    QCOMPARE(redis.connectedClients(), 2);
    QVERIFY2(redis.killClient(idOfA.load()), qPrintable(redis.errorString()));
    QVERIFY(waitUntil([&] { return redis.connectedClients() == 1; }, 10000));

    std::mutex bMutex;
    QString bResult; // guarded by bMutex; empty: B's first command worked
    std::atomic<bool> bDone{false};
    b.reset(QThread::create([&] {
      SocketLease lease = pool.acquire(QDeadlineTimer(10000));
      QString result;
      if (!lease) {
        result = QStringLiteral("acquire failed: ") + lease.errorString();
      } else if (!pingPong(*lease.socket())) {
        result = QStringLiteral("PING failed on the socket it was handed: %1 (state %2)")
                     .arg(lease->errorString())
                     .arg(static_cast<int>(lease->state()));
        lease.discard();
      }
      std::lock_guard lk(bMutex);
      bResult = result;
      bDone = true;
    }));
    b->start();
    QVERIFY2(waitUntil([&] { return pool.stats().waitingCount == 1; }, 10000), "B never waited");
    returnIt.release();
    QVERIFY(a->wait(QDeadlineTimer(20000)));
    QVERIFY(b->wait(QDeadlineTimer(20000)));
    QVERIFY(aDone.load() && bDone.load());
    QCOMPARE(failures.list(), QStringList());
    const SocketPoolStats s = pool.stats();
    {
      std::lock_guard lk(bMutex);
      qInfo("figures: B: %s; pool: %llu created, %llu ping failures, %llu discards",
            bResult.isEmpty() ? "first command worked" : qPrintable(bResult),
            static_cast<unsigned long long>(s.created), static_cast<unsigned long long>(s.pingFailures),
            static_cast<unsigned long long>(s.discards));
      QVERIFY2(bResult.isEmpty(), qPrintable(QStringLiteral("thread B's first command: ") + bResult));
    }
    // And the pool still works.
    SocketLease lease = pool.acquire(QDeadlineTimer(10000));
    QVERIFY2(lease, qPrintable(lease.errorString()));
    QVERIFY(pingPong(*lease.socket()));
  }

  // The pool destroyed with two leases out (GUI thread, a worker) and
  // four acquireAsync requests pending (three receivers in the GUI thread, one
  // in a thread with an event loop; three wait in the pool, one for a helper
  // thread). The leases stay usable and close their
  // sockets when returned; every pending callback is called with Cancelled,
  // in its receiver's thread.
  void destroyingThePoolCancelsPendingAsyncAcquiresInTheirReceiversThreadAndLeasesOutStayUsable() {
    RedisServer redis;
    QVERIFY2(redis.start(), qPrintable(redis.errorString()));
    auto pool = std::make_unique<SocketPool>(localHost, redis.port());
    pool->setMaxSize(2);
    ThreadFailures failures;

    SocketLease here = pool->acquire(QDeadlineTimer(10000));
    QVERIFY2(here, qPrintable(here.errorString()));
    QVERIFY(pingPong(*here.socket()));
    QSemaphore workerHolds, useIt;
    std::atomic<bool> workerDone{false};
    std::unique_ptr<QThread> worker(QThread::create([&] {
      SocketLease lease = pool->acquire(QDeadlineTimer(10000));
      if (!lease || !pingPong(*lease.socket())) failures.add(QStringLiteral("worker: no working lease"));
      workerHolds.release();
      if (!useIt.tryAcquire(1, 20000)) failures.add(QStringLiteral("worker: never told to go on"));
      if (lease && !pingPong(*lease.socket()))
        failures.add(QStringLiteral("worker: PING after the pool was destroyed: ") + lease->errorString());
      lease.release(); // the pool is gone: closed
      workerDone = true;
    }));
    worker->start();
    const auto joinWorker = qScopeGuard([&] {
      useIt.release();
      worker->wait(QDeadlineTimer(30000));
    });
    QVERIFY(workerHolds.tryAcquire(1, 10000));
    QCOMPARE(redis.connectedClients(), 3);

    struct Call {
      SocketLease::Error error;
      bool inReceiversThread;
    };
    std::mutex callsMutex;
    std::vector<Call> calls; // guarded by callsMutex
    const auto callback = [&](QThread* expected) {
      return [&, expected](SocketLease lease) {
        std::lock_guard lk(callsMutex);
        calls.push_back({lease.error(), QThread::currentThread() == expected});
      };
    };
    QObject receivers[3];
    for (QObject& r : receivers)
      pool->acquireAsync(&r, callback(QThread::currentThread()), QDeadlineTimer(30000));
    EventLoopThread remote;
    remote.run([&] { pool->acquireAsync(remote.context(), callback(remote.thread()), QDeadlineTimer(30000)); });
    // The pool runs maxSize + 1 helper threads for async acquires: three
    // requests wait in the pool, the fourth is still queued for a helper.
    QVERIFY(waitUntil([&] { return pool->stats().waitingCount == 3; }, 10000));

    pool.reset();

    // The leases still out work, and close their sockets when returned.
    QVERIFY(pingPong(*here.socket()));
    here.release();
    QVERIFY(waitUntil([&] { return redis.connectedClients() == 2; }, 10000));
    useIt.release();
    QVERIFY(worker->wait(QDeadlineTimer(20000)));
    QVERIFY(workerDone.load());
    QCOMPARE(failures.list(), QStringList());
    QVERIFY2(waitUntil([&] { return redis.connectedClients() == 1; }, 10000),
             qPrintable(QStringLiteral("connected_clients %1").arg(redis.connectedClients())));

    // The pending requests were cancelled, each in its receiver's thread.
    const bool allCalled = waitUntil(
        [&] {
          std::lock_guard lk(callsMutex);
          return calls.size() == 4;
        },
        5000);
    std::lock_guard lk(callsMutex);
    qInfo("figures: %d of 4 pending acquireAsync callbacks called after the pool was destroyed",
          static_cast<int>(calls.size()));
    QVERIFY2(allCalled, qPrintable(QStringLiteral("%1 of 4 pending acquireAsync callbacks were called (with "
                                                  "Cancelled expected) within 5 s of destroying the pool")
                                       .arg(calls.size())));
    for (const Call& c : calls) {
      QCOMPARE(c.error, SocketLease::Error::Cancelled);
      QVERIFY(c.inReceiversThread);
    }
  }

  // Last in the file, since a failure here crashes the process. A slot on the leased
  // socket's own errorOccurred, disconnected or readyRead returns the lease
  // there (discard(), release(), or the last shared_ptr to it let go) while
  // the socket is not reusable: the server kills the connection while a
  // BLPOP is pending (for readyRead: the BLPOP's reply is sent, then the
  // connection killed). In the GUI thread and in a worker thread with an
  // event loop. Nothing may crash, and the pool keeps working.
  void returningALeaseInsideItsSocketsOwnSignalDoesNotCrashAndThePoolKeepsWorking_data() {
    QTest::addColumn<bool>("inWorker");
    QTest::addColumn<QByteArray>("signal");
    QTest::addColumn<QByteArray>("action");
    for (const bool inWorker : {false, true})
      for (const char* signal : {"errorOccurred", "disconnected", "readyRead"})
        for (const char* action : {"discard", "release", "drop"})
          QTest::addRow("%s/%s/%s", inWorker ? "worker" : "gui", signal, action)
              << inWorker << QByteArray(signal) << QByteArray(action);
  }
  void returningALeaseInsideItsSocketsOwnSignalDoesNotCrashAndThePoolKeepsWorking() {
    QFETCH(bool, inWorker);
    QFETCH(QByteArray, signal);
    QFETCH(QByteArray, action);

    RedisServer redis;
    QVERIFY2(redis.start(), qPrintable(redis.errorString()));
    std::optional<EventLoopThread> worker;
    if (inWorker) worker.emplace();
    {
      SocketPool pool(localHost, redis.port());
      pool.setMaxSize(2);

      // The lease lives here; only the owner thread touches it.
      struct InSignal {
        std::shared_ptr<SocketLease> lease;
        bool acted = false;
        std::atomic<qint64> clientId{-1};
        std::atomic<bool> done{false};
        QString failure; // written before clientId is set
      } s;
      // What is left of the lease goes in its own thread.
      const auto dropLease = qScopeGuard([&] {
        if (inWorker)
          worker->run([&] { s.lease.reset(); });
        else
          s.lease.reset();
      });
      QObject guiContext;
      QObject* const context = inWorker ? worker->context() : &guiContext;

      // Runs in the owner thread: the BLPOP goes out, the slot is armed.
      const auto arm = [&, context](SocketLease lease) {
        if (!lease) {
          s.failure = QStringLiteral("no lease: ") + lease.errorString();
          s.clientId = 0;
          return;
        }
        s.lease = std::make_shared<SocketLease>(std::move(lease));
        QTcpSocket* const socket = s.lease->socket();
        const auto id = resp::exchange(*socket, {"CLIENT", "ID"}, QDeadlineTimer(5000));
        if (!id || !id->isInteger()) {
          s.failure = QStringLiteral("no CLIENT ID");
          s.clientId = 0;
          return;
        }
        const auto act = [&, context, action] {
          if (s.acted) return;
          s.acted = true;
          if (action == "discard")
            s.lease->discard();
          else if (action == "release")
            s.lease->release();
          else
            s.lease.reset(); // the last reference: the lease returns its socket now
          // Later, once the emission is over.
          QMetaObject::invokeMethod(context, [&] { s.done = true; }, Qt::QueuedConnection);
        };
        if (signal == "errorOccurred")
          QObject::connect(socket, &QAbstractSocket::errorOccurred, context, act);
        else if (signal == "disconnected")
          QObject::connect(socket, &QAbstractSocket::disconnected, context, act);
        else
          QObject::connect(socket, &QIODevice::readyRead, context, act);
        socket->write(resp::encode({"BLPOP", "connpool:nothing", "0"}));
        socket->flush();
        s.clientId = id->integer;
      };
      if (inWorker) {
        QMetaObject::invokeMethod(context, [&] { arm(pool.acquire(QDeadlineTimer(10000))); }, Qt::QueuedConnection);
      } else {
        pool.acquireAsync(&guiContext, arm, QDeadlineTimer(10000));
      }
      QVERIFY(waitUntil([&] { return s.clientId.load() != -1; }, 10000));
      QVERIFY2(s.clientId.load() > 0, qPrintable(s.failure));
      // The BLPOP is pending on the server.
      QVERIFY(waitUntil(
          [&] {
            const auto clients = redis.clientList();
            if (!clients) return false;
            for (const auto& c : *clients)
              if (c.value("id").toLongLong() == s.clientId.load()) return c.value("cmd") == "blpop";
            return false;
          },
          10000));

      if (signal == "readyRead") {
        // The reply goes out first (the admin's LPUSH answer comes after it), then the kill.
        const auto pushed = redis.command({"LPUSH", "connpool:nothing", "x"});
        QVERIFY(pushed && pushed->isInteger());
      }
      // A worker thread may have run its readyRead slot, and closed the
      // connection, before the kill.
      const bool killed = redis.killClient(s.clientId.load());
      QVERIFY2(killed || (inWorker && signal == "readyRead"), qPrintable(redis.errorString()));
      QVERIFY2(waitUntil([&] { return s.done.load(); }, 10000),
               qPrintable(QStringLiteral("the slot on %1 never ran").arg(QLatin1String(signal))));
      QVERIFY(waitUntil([&] { return redis.connectedClients() == 1; }, 10000));

      // The pool keeps working.
      SocketLease fresh = pool.acquire(QDeadlineTimer(10000));
      QVERIFY2(fresh, qPrintable(fresh.errorString()));
      QVERIFY(pingPong(*fresh.socket()));
      fresh.release();
    }
    QVERIFY(waitUntil([&] { return redis.connectedClients() == 1; }, 10000));
  }
};

QTEST_MAIN(tst_SocketPoolRedis)
#include "tst_SocketPoolRedis.moc"
