// SPDX-License-Identifier: MIT
// connpool::qt::SocketPool under faults against real loopback servers
// (127.0.0.1 only): a server killed or restarted, connections reset or
// half-closed, a peer that accepts and never answers (or never reads), a port
// with nothing listening and a TLS peer with the wrong certificate. Each test
// checks what the user sees (the lease's return value and the pool's
// signals), that no socket leaks, and that the pool recovers once the server
// is back.
//
// "No socket leaks" is checked from outside the library, twice over:
//  - every QTcpSocket a test sees (through a lease, or through the ping hook,
//    which runs on idle sockets) is tracked with a QPointer; all must be
//    destroyed once the pool is;
//  - the process's open file descriptors (/proc/self/fd) are counted before
//    the test creates its servers and pools, and must be back to that number
//    once they are gone. This also covers sockets no test code ever sees
//    (a refused or failed TLS connect). It does not see a leaked QTcpSocket
//    whose connection the peer closed (Qt closes the descriptor then): the
//    QPointers do.
#include "asyncacquire.h"
#include "echo.h"
#include "testserver.h"
#include "threadfailures.h"
#include <connpool/qt/socketpool.h>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qfile.h>
#include <QtCore/qpointer.h>
#include <QtCore/qthread.h>
#include <QtNetwork/qsslsocket.h>
#include <QtNetwork/qtcpsocket.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using connpool::qt::SocketLease;
using connpool::qt::SocketPool;
using connpool::qt::SocketPoolStats;

namespace {

const QString localHost = QStringLiteral("127.0.0.1");

// Open file descriptors of this process, all of them or only sockets.
struct FdCount {
  int all = 0;
  int sockets = 0;
  friend bool operator==(const FdCount&, const FdCount&) = default;
};

FdCount openFds() {
  FdCount count;
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return {-1, -1};
  const int own = ::dirfd(dir);
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.' || std::atoi(entry->d_name) == own) continue;
    ++count.all;
    char target[128] = {};
    if (::readlinkat(own, entry->d_name, target, sizeof target - 1) > 0 && std::strncmp(target, "socket:", 7) == 0)
      ++count.sockets;
  }
  ::closedir(dir);
  return count;
}

// For QCOMPARE's failure message (found by argument-dependent lookup).
char* toString(const FdCount& c) {
  return qstrdup(qPrintable(QStringLiteral("%1 fds (%2 sockets)").arg(c.all).arg(c.sockets)));
}

// Every socket the test has seen, by QPointer: nulled when the socket is
// destroyed, whichever thread does it. (Signal connections would not do: the
// pool drops them when a socket is returned.)
class SocketTracker {
public:
  void see(QTcpSocket* socket) {
    if (!socket) return;
    QObject* const object = socket;
    std::lock_guard lk(mutex_);
    for (const QPointer<QObject>& p : sockets_)
      if (p.data() == object) return;
    sockets_.emplace_back(object);
  }
  int live() const {
    std::lock_guard lk(mutex_);
    int n = 0;
    for (const QPointer<QObject>& p : sockets_)
      n += !p.isNull();
    return n;
  }
  int seen() const {
    std::lock_guard lk(mutex_);
    return static_cast<int>(sockets_.size());
  }
  // A ping hook that records each idle socket the pool probes, then runs `then`.
  SocketPool::PingFunction pingFunction(SocketPool::PingFunction then = {}) {
    return [this, then = std::move(then)](QTcpSocket& socket, QDeadlineTimer deadline) {
      see(&socket);
      return then ? then(socket, deadline) : true;
    };
  }

private:
  mutable std::mutex mutex_;
  // QObject, not QTcpSocket: another thread may be destroying one right now,
  // and QPointer<QTcpSocket> would downcast it on the way (UBSan: vptr).
  std::vector<QPointer<QObject>> sockets_; // guarded by mutex_
};

SocketLease acquire(SocketPool& pool, SocketTracker& tracker, int timeoutMs = 10000) {
  SocketLease lease = pool.acquire(QDeadlineTimer(timeoutMs));
  tracker.see(lease.socket());
  return lease;
}

// The pool the server-fault tests share: up to `maxSize` sockets, stats
// published every 5 ms (so the *Changed signals follow promptly), and every
// idle socket the pool probes seen by `tracker` (its ping hook).
void setUpTrackedPool(SocketPool& pool, SocketTracker& tracker, int maxSize) {
  pool.setMaxSize(maxSize);
  pool.setStatsInterval(5);
  pool.setPingFunction(tracker.pingFunction());
}

// Fills the pool with `count` idle sockets that have each done one echo.
bool fillIdle(SocketPool& pool, SocketTracker& tracker, int count) {
  std::vector<SocketLease> leases;
  for (int i = 0; i < count; ++i) {
    leases.push_back(acquire(pool, tracker));
    if (!leases.back() || !echoBlocking(*leases.back().socket(), "warm up\n")) return false;
  }
  return true; // all returned here, idle
}

// A TCP listener that never accepts: the kernel completes the handshake (the
// connection waits in the backlog), so connecting succeeds, but nothing is
// ever read or answered. Its receive buffer is tiny, so a client's writes
// stay unsent.
class SilentListener {
public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int small = 4096;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 && ::listen(fd_, 64) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0)
      port_ = ntohs(address.sin_port);
  }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  ~SilentListener() { ::close(fd_); }
  quint16 port() const { return port_; }

private:
  int fd_ = -1;
  quint16 port_ = 0;
};

// A loopback port nothing listens on: bound by the kernel's choice, then freed.
quint16 unusedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  quint16 port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
    port = ntohs(address.sin_port);
  ::close(fd);
  return port;
}

// Waits (in the kernel, up to `timeoutMs`) for input on the socket without
// letting Qt read it: no event loop runs meanwhile.
bool kernelHasInput(const QTcpSocket& socket, int timeoutMs) {
  pollfd p{static_cast<int>(socket.socketDescriptor()), POLLIN, 0};
  return ::poll(&p, 1, timeoutMs) == 1 && (p.revents & POLLIN);
}

QList<QSslCertificate> certificates(const char* name) {
  return QSslCertificate::fromPath(QStringLiteral(CONNPOOL_TEST_CERTS "/") + QLatin1String(name));
}

TlsIdentity identity(const char* cert, const char* keyFile) {
  QFile key(QStringLiteral(CONNPOOL_TEST_CERTS "/") + QLatin1String(keyFile));
  if (!key.open(QIODevice::ReadOnly)) return TlsIdentity{QSslCertificate(), QSslKey()};
  return {certificates(cert).value(0), QSslKey(&key, QSsl::Rsa)};
}
// Signed by ca.pem, for 127.0.0.1 and localhost.
TlsIdentity rightIdentity() { return identity("server.pem", "server.key"); }
// Self-signed, for the same names: no pool that trusts ca.pem accepts it.
TlsIdentity wrongIdentity() { return identity("wrong-server.pem", "wrong-server.key"); }

quint64 lastValue(const QSignalSpy& spy) { return spy.isEmpty() ? 0 : spy.last().at(0).toULongLong(); }

} // namespace

class tst_SocketPoolFaults : public QObject {
  Q_OBJECT

private slots:
  void initTestCase() {
    if (!QSslSocket::supportsSsl()) QFAIL("Qt has no TLS backend here (install libssl3)");
    QVERIFY(!rightIdentity().key.isNull());
    QVERIFY(!wrongIdentity().key.isNull());
    // Warm up what loads once per process (the TLS backend, its
    // configuration), so that the fd counts below see only sockets.
    TestServer server(rightIdentity());
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(localHost, port);
    pool.setTlsEnabled(true);
    pool.setCaCertificates(certificates("ca.pem"));
    SocketLease lease = pool.acquire(QDeadlineTimer(20000));
    QVERIFY2(lease, qPrintable(lease.errorString()));
    QVERIFY(echoBlocking(*lease.socket(), "warm up\n"));
  }

  void serverKilledWhileLeasesAreOutFailsTheirExchangeThenRefusesAndRecoversOnRestart_data() {
    QTest::addColumn<bool>("reset");
    QTest::newRow("exit (FIN)") << false;
    QTest::newRow("crash (RST)") << true;
  }
  void serverKilledWhileLeasesAreOutFailsTheirExchangeThenRefusesAndRecoversOnRestart() {
    QFETCH(bool, reset);
    const FdCount fdsBefore = openFds();
    SocketTracker tracker;
    {
      auto server = std::make_unique<TestServer>();
      const quint16 port = server->start();
      QVERIFY(port);
      SocketPool pool(localHost, port);
      setUpTrackedPool(pool, tracker, 3);
      pool.setConnectTimeout(10000);
      QSignalSpy failed(&pool, &SocketPool::connectFailed);
      QSignalSpy discards(&pool, &SocketPool::discardsChanged);
      SocketLease a = acquire(pool, tracker);
      SocketLease b = acquire(pool, tracker);
      QVERIFY(a && b);
      QVERIFY(echoBlocking(*a.socket(), "a\n"));
      QVERIFY(echoBlocking(*b.socket(), "b\n"));

      // Killed: the listener and every connection close, the thread is gone.
      if (reset) server->resetConnections();
      server.reset();

      // The borrowers see it on their next exchange.
      QVERIFY(!echoBlocking(*a.socket(), "after the kill\n", 5000));
      QCOMPARE(a->error(), QAbstractSocket::RemoteHostClosedError);
      QVERIFY(!echoBlocking(*b.socket(), "after the kill\n", 5000));
      QCOMPARE(b->error(), QAbstractSocket::RemoteHostClosedError);
      a.release(); // returned, not discarded: the pool sees it unconnected and closes it
      b.discard();
      QTRY_COMPARE(tracker.live(), 0); // closed at once, deleted once QtNetwork is done with it
      SocketPoolStats s = pool.stats();
      QCOMPARE(s.discards, quint64(2));
      QCOMPARE(s.openCount, 0);
      QTRY_COMPARE(lastValue(discards), quint64(2));

      // While it is down: refused, promptly, by return value and by signal.
      QElapsedTimer clock;
      clock.start();
      SocketLease down = acquire(pool, tracker);
      QVERIFY(!down);
      QVERIFY2(clock.elapsed() < 5000, "a refused connect must not wait for the connect timeout");
      QCOMPARE(down.error(), SocketLease::Error::ConnectFailed);
      QCOMPARE(down.socketError(), QAbstractSocket::ConnectionRefusedError);
      QTRY_COMPARE(failed.count(), 1);
      QCOMPARE(failed.at(0).at(0).value<QAbstractSocket::SocketError>(), QAbstractSocket::ConnectionRefusedError);

      // Back on the same port (QTcpServer rebinds with SO_REUSEADDR).
      server = std::make_unique<TestServer>();
      QCOMPARE(server->start(port), port);
      SocketLease back = acquire(pool, tracker);
      QVERIFY2(back, qPrintable(back.errorString()));
      QVERIFY(echoBlocking(*back.socket(), "back\n"));
      s = pool.stats();
      QCOMPARE(s.openCount, 1);
      QCOMPARE(s.factoryFailures, quint64(1));
      QCOMPARE(server->accepted(), 1);
    }
    QTRY_COMPARE(tracker.live(), 0);
    QTRY_COMPARE(openFds(), fdsBefore);
  }

  void serverKilledWhileSocketsAreIdleHealthCheckClosesThemAndAcquireIsRefusedUntilRestart() {
    const FdCount fdsBefore = openFds();
    SocketTracker tracker;
    {
      auto server = std::make_unique<TestServer>();
      const quint16 port = server->start();
      QVERIFY(port);
      SocketPool pool(localHost, port);
      setUpTrackedPool(pool, tracker, 3);
      pool.setHealthCheckInterval(20);
      QSignalSpy failed(&pool, &SocketPool::connectFailed);
      QSignalSpy pingFailures(&pool, &SocketPool::pingFailuresChanged);
      QVERIFY(fillIdle(pool, tracker, 3));
      QCOMPARE(tracker.live(), 3);

      server.reset();
      // The maintenance thread finds and closes each one; nobody acquired.
      QTRY_COMPARE_WITH_TIMEOUT(pool.stats().pingFailures, quint64(3), 10000);
      QTRY_COMPARE(lastValue(pingFailures), quint64(3));
      QTRY_COMPARE(pool.stats().openCount, 0); // a failure is counted just before its close
      QTRY_COMPARE(tracker.live(), 0);

      SocketLease down = acquire(pool, tracker);
      QCOMPARE(down.error(), SocketLease::Error::ConnectFailed);
      QCOMPARE(down.socketError(), QAbstractSocket::ConnectionRefusedError);
      QTRY_COMPARE(failed.count(), 1);

      server = std::make_unique<TestServer>();
      QCOMPARE(server->start(port), port);
      SocketLease back = acquire(pool, tracker);
      QVERIFY2(back, qPrintable(back.errorString()));
      QVERIFY(echoBlocking(*back.socket(), "back\n"));
      QCOMPARE(failed.count(), 1);
    }
    QTRY_COMPARE(tracker.live(), 0);
    QTRY_COMPARE(openFds(), fdsBefore);
  }

  void serverRestartedOnTheSamePortStaleSocketsAreReplacedWithoutAnErrorReachingTheNextBorrower() {
    const FdCount fdsBefore = openFds();
    SocketTracker tracker;
    {
      auto server = std::make_unique<TestServer>();
      const quint16 port = server->start();
      QVERIFY(port);
      SocketPool pool(localHost, port);
      setUpTrackedPool(pool, tracker, 3); // no health checks: only acquire can notice
      QSignalSpy failed(&pool, &SocketPool::connectFailed);
      QSignalSpy pingFailures(&pool, &SocketPool::pingFailuresChanged);
      QVERIFY(fillIdle(pool, tracker, 3));
      SocketLease held = acquire(pool, tracker); // one out, two idle
      QVERIFY(held);

      server.reset();
      server = std::make_unique<TestServer>();
      QCOMPARE(server->start(port), port); // the same port, rebound at once

      // The lease that was out when it went: its exchange fails.
      QVERIFY(!echoBlocking(*held.socket(), "across the restart\n", 5000));
      QCOMPARE(held->error(), QAbstractSocket::RemoteHostClosedError);
      held.discard();
      // The next borrower: both stale idle sockets fail the probe, a fresh one works.
      SocketLease next = acquire(pool, tracker);
      QVERIFY2(next, qPrintable(next.errorString()));
      QVERIFY(echoBlocking(*next.socket(), "after the restart\n"));
      const SocketPoolStats s = pool.stats();
      QCOMPARE(s.pingFailures, quint64(2));
      QCOMPARE(s.discards, quint64(1));
      QCOMPARE(s.openCount, 1);
      QCOMPARE(server->accepted(), 1);
      QTRY_COMPARE(tracker.live(), 1);
      QTRY_COMPARE(lastValue(pingFailures), quint64(2));
      QCOMPARE(failed.count(), 0); // the server was back: no connect failed
    }
    QTRY_COMPARE(tracker.live(), 0);
    QTRY_COMPARE(openFds(), fdsBefore);
  }

  void connectionsResetOrHalfClosedByTheServerFailTheLeasedExchangeAndNeverComeBackFromThePool_data() {
    QTest::addColumn<bool>("reset");
    QTest::newRow("reset (RST)") << true;
    QTest::newRow("half-closed (FIN, still reading)") << false;
  }
  void connectionsResetOrHalfClosedByTheServerFailTheLeasedExchangeAndNeverComeBackFromThePool() {
    QFETCH(bool, reset);
    const FdCount fdsBefore = openFds();
    SocketTracker tracker;
    {
      TestServer server;
      const quint16 port = server.start();
      QVERIFY(port);
      SocketPool pool(localHost, port);
      setUpTrackedPool(pool, tracker, 3);
      QSignalSpy failed(&pool, &SocketPool::connectFailed);
      QSignalSpy pingFailures(&pool, &SocketPool::pingFailuresChanged);
      QVERIFY(fillIdle(pool, tracker, 3));
      SocketLease used = acquire(pool, tracker);
      SocketLease unused = acquire(pool, tracker); // and one stays idle
      QVERIFY(used && unused);
      QPointer<QTcpSocket> usedSocket = used.socket(), unusedSocket = unused.socket();

      reset ? server.resetConnections() : server.halfCloseConnections();

      QVERIFY(!echoBlocking(*used.socket(), "after the drop\n", 5000));
      QCOMPARE(used->error(), QAbstractSocket::RemoteHostClosedError);
      used.release(); // unconnected now: closed, not pooled
      QTRY_VERIFY(usedSocket.isNull());
      // Returned without any I/O: Qt may not know yet, but the pool will not
      // hand it out: closed now, or when the probe finds the EOF/RST.
      unused.release();
      SocketLease next = acquire(pool, tracker);
      QVERIFY2(next, qPrintable(next.errorString()));
      QVERIFY(echoBlocking(*next.socket(), "fresh\n"));
      QTRY_VERIFY(unusedSocket.isNull());
      const SocketPoolStats s = pool.stats();
      QCOMPARE(s.discards + s.pingFailures, quint64(3)); // every dropped socket, one way or the other
      QVERIFY(s.pingFailures >= 1);                      // at least the idle one
      QCOMPARE(s.openCount, 1);
      QTRY_COMPARE(tracker.live(), 1);
      QTRY_COMPARE(lastValue(pingFailures), s.pingFailures);
      QCOMPARE(failed.count(), 0);
      QCOMPARE(server.accepted(), 4);
    }
    QTRY_COMPARE(tracker.live(), 0);
    QTRY_COMPARE(openFds(), fdsBefore);
  }

  void serverThatAcceptsAndNeverAnswersTimesOutTheRoundTripAndTheAbandonedSocketIsNotReused() {
    const FdCount fdsBefore = openFds();
    SocketTracker tracker;
    {
      TestServer server;
      const quint16 port = server.start();
      QVERIFY(port);
      server.setEchoing(false);
      SocketPool pool(localHost, port);
      pool.setMaxSize(2);
      pool.setStatsInterval(5);
      // The application's check: a protocol round trip, bounded.
      pool.setPingFunction(tracker.pingFunction([](QTcpSocket& socket, QDeadlineTimer deadline) {
        const int limit = deadline.isForever() ? 300 : static_cast<int>(qMin<qint64>(deadline.remainingTime(), 300));
        return echoBlocking(socket, "ping\n", limit);
      }));
      QSignalSpy failed(&pool, &SocketPool::connectFailed);
      QSignalSpy discards(&pool, &SocketPool::discardsChanged);
      QSignalSpy pingFailures(&pool, &SocketPool::pingFailuresChanged);

      // Connecting works; the round trip times out.
      SocketLease lease = acquire(pool, tracker);
      QVERIFY2(lease, qPrintable(lease.errorString()));
      QVERIFY(!echoBlocking(*lease.socket(), "hello?\n", 200));
      QCOMPARE(lease->error(), QAbstractSocket::SocketTimeoutError);
      QCOMPARE(lease->state(), QAbstractSocket::ConnectedState);
      // The documented rule for an unfinished exchange: discard.
      lease.discard();
      QTRY_COMPARE(tracker.live(), 0);
      QTRY_COMPARE(lastValue(discards), quint64(1));

      // A borrower that breaks the rule and returns it: nothing is unread or
      // unsent on the client, so the socket goes idle; the application ping
      // then refuses it and the next borrower gets a fresh one.
      lease = acquire(pool, tracker);
      QVERIFY(lease);
      QPointer<QTcpSocket> abandoned = lease.socket();
      QVERIFY(!echoBlocking(*lease.socket(), "hello?\n", 200));
      lease.release();
      QCOMPARE(pool.stats().idleCount, 1);
      lease = acquire(pool, tracker);
      QVERIFY(lease);
      QVERIFY(abandoned.isNull());
      QCOMPARE(pool.stats().pingFailures, quint64(1));
      QTRY_COMPARE(lastValue(pingFailures), quint64(1));

      // The server answers again: the idle socket passes the ping and works.
      lease.release();
      server.setEchoing(true);
      lease = acquire(pool, tracker);
      QVERIFY(lease);
      QVERIFY(echoBlocking(*lease.socket(), "answered\n"));
      const SocketPoolStats s = pool.stats();
      QCOMPARE(s.hits, quint64(1));
      QCOMPARE(s.pingFailures, quint64(1));
      QCOMPARE(s.openCount, 1);
      QCOMPARE(failed.count(), 0);
    }
    QTRY_COMPARE(tracker.live(), 0);
    QTRY_COMPARE(openFds(), fdsBefore);
  }

  void serverThatAcceptsAndNeverAnswersTimesOutATlsConnectAsConnectFailedWithSignal() {
    const FdCount fdsBefore = openFds();
    {
      TestServer server; // plain: reads the ClientHello and drops it
      const quint16 port = server.start();
      QVERIFY(port);
      server.setEchoing(false);
      SocketPool pool(localHost, port);
      pool.setTlsEnabled(true);
      pool.setCaCertificates(certificates("ca.pem"));
      pool.setConnectTimeout(300);
      QSignalSpy failed(&pool, &SocketPool::connectFailed);
      QSignalSpy tlsErrors(&pool, &SocketPool::sslErrors);
      QElapsedTimer clock;
      clock.start();
      SocketLease lease = pool.acquire(QDeadlineTimer(20000));
      QVERIFY(!lease);
      QVERIFY2(clock.elapsed() < 10000, "the handshake is bounded by connectTimeout");
      QCOMPARE(lease.error(), SocketLease::Error::ConnectFailed);
      QCOMPARE(lease.socketError(), QAbstractSocket::SocketTimeoutError);
      QVERIFY2(lease.errorString().contains(QLatin1String("timed out")), qPrintable(lease.errorString()));
      QTRY_COMPARE(failed.count(), 1);
      QCOMPARE(failed.at(0).at(0).value<QAbstractSocket::SocketError>(), QAbstractSocket::SocketTimeoutError);
      QCOMPARE(tlsErrors.count(), 0); // no certificate was ever seen
      QCOMPARE(pool.stats().openCount, 0);
    }
    QTRY_COMPARE(openFds(), fdsBefore);
  }

  void peerThatNeverReadsLeavesUnsentDataAndTheReturnedSocketIsClosedNotPooled() {
    const FdCount fdsBefore = openFds();
    SocketTracker tracker;
    {
      SilentListener listener;
      QVERIFY(listener.port());
      SocketPool pool(localHost, listener.port());
      pool.setMaxSize(1);
      pool.setStatsInterval(5);
      QSignalSpy discards(&pool, &SocketPool::discardsChanged);
      SocketLease lease = acquire(pool, tracker);
      QVERIFY2(lease, qPrintable(lease.errorString()));
      QPointer<QTcpSocket> stuck = lease.socket();
      const QByteArray request(16 << 20, 'x'); // far more than both kernel buffers hold
      QCOMPARE(lease->write(request), request.size());
      while (lease->flush()) {
      }
      QVERIFY(!lease->waitForReadyRead(100));
      QCOMPARE(lease->error(), QAbstractSocket::SocketTimeoutError);
      QVERIFY(lease->bytesToWrite() > 0);
      lease.release(); // unsent output: closed, not pooled
      QTRY_VERIFY(stuck.isNull());
      SocketPoolStats s = pool.stats();
      QCOMPARE(s.discards, quint64(1));
      QCOMPARE(s.idleCount, 0);
      QCOMPARE(s.openCount, 0);
      QTRY_COMPARE(lastValue(discards), quint64(1));

      // The slot is free again: the next borrower connects afresh.
      lease = acquire(pool, tracker);
      QVERIFY(lease);
      QCOMPARE(lease->bytesToWrite(), 0);
      QCOMPARE(pool.stats().misses, quint64(2));
    }
    QTRY_COMPARE(tracker.live(), 0);
    QTRY_COMPARE(openFds(), fdsBefore);
  }

  void borrowerReturningASocketWithAnUnreadReplyNeverPassesThatReplyToTheNextBorrower() {
    const FdCount fdsBefore = openFds();
    SocketTracker tracker;
    {
      TestServer server;
      const quint16 port = server.start();
      QVERIFY(port);
      SocketPool pool(localHost, port);
      pool.setMaxSize(1);
      pool.setPingFunction(tracker.pingFunction());

      // The reply is in Qt's buffer, unread: closed on return.
      SocketLease lease = acquire(pool, tracker);
      QVERIFY(lease);
      QVERIFY(lease->write("first request\n") > 0);
      QVERIFY(lease->waitForReadyRead(10000));
      QVERIFY(lease->bytesAvailable() > 0);
      lease.release();
      QCOMPARE(pool.stats().discards, quint64(1));
      QCOMPARE(pool.stats().openCount, 0);

      // The reply is still in the kernel, which Qt has not looked at: the
      // return itself finds the bytes (it may hand the socket straight to a
      // waiter, with no probe in between), so the socket is closed, not pooled.
      lease = acquire(pool, tracker);
      QVERIFY(lease);
      QPointer<QTcpSocket> unread = lease.socket();
      QVERIFY(lease->write("second request\n") > 0);
      QVERIFY(lease->flush());
      QVERIFY(kernelHasInput(*lease.socket(), 10000));
      QCOMPARE(lease->bytesAvailable(), 0);
      lease.release();
      QCOMPARE(pool.stats().idleCount, 0);
      QCOMPARE(pool.stats().discards, quint64(2));
      lease = acquire(pool, tracker);
      QVERIFY(lease);
      QTRY_VERIFY(unread.isNull());
      QCOMPARE(pool.stats().pingFailures, quint64(0));
      QVERIFY(echoBlocking(*lease.socket(), "third request\n")); // its own reply, nothing else
      QCOMPARE(lease->bytesAvailable(), 0);
      QCOMPARE(server.accepted(), 3);
    }
    QTRY_COMPARE(tracker.live(), 0);
    QTRY_COMPARE(openFds(), fdsBefore);
  }

  void portWithNothingListeningIsRefusedPromptlyByReturnValueAndSignalWithoutLeakingSockets() {
    const FdCount fdsBefore = openFds();
    SocketTracker tracker;
    {
      const quint16 port = unusedPort();
      QVERIFY(port);
      SocketPool pool(localHost, port);
      pool.setConnectTimeout(10000);
      QSignalSpy failed(&pool, &SocketPool::connectFailed);
      QSignalSpy factoryFailures(&pool, &SocketPool::factoryFailuresChanged);
      pool.setStatsInterval(5);

      constexpr int attempts = 50;
      QElapsedTimer clock;
      clock.start();
      SocketLease first = pool.acquire(QDeadlineTimer(10000));
      QCOMPARE(first.error(), SocketLease::Error::ConnectFailed);
      const FdCount fdsAfterFirst = openFds();
      for (int i = 1; i < attempts; ++i) {
        SocketLease lease = pool.acquire(QDeadlineTimer(10000));
        QVERIFY(!lease);
        QCOMPARE(lease.error(), SocketLease::Error::ConnectFailed);
        QCOMPARE(lease.socketError(), QAbstractSocket::ConnectionRefusedError);
        QVERIFY(!lease.errorString().isEmpty());
      }
      QVERIFY2(
          clock.elapsed() < 10000,
          qPrintable(
              QStringLiteral("%1 refusals took %2 ms, connectTimeout is 10000").arg(attempts).arg(clock.elapsed())));
      QCOMPARE(openFds(), fdsAfterFirst); // no growth across the failures
      QTRY_COMPARE(failed.count(), attempts);
      for (const QList<QVariant>& args : std::as_const(failed))
        QCOMPARE(args.at(0).value<QAbstractSocket::SocketError>(), QAbstractSocket::ConnectionRefusedError);
      QTRY_COMPARE(lastValue(factoryFailures), quint64(attempts));

      // The async form reports the same, in the caller's thread.
      AsyncAcquire async(pool);
      QTRY_VERIFY(async.called);
      QCOMPARE(async.lease.error(), SocketLease::Error::ConnectFailed);
      QCOMPARE(async.lease.socketError(), QAbstractSocket::ConnectionRefusedError);
      QTRY_COMPARE(failed.count(), attempts + 1);
      QCOMPARE(pool.stats().openCount, 0);

      // Something listens there now: the same pool connects.
      TestServer server;
      QCOMPARE(server.start(port), port);
      SocketLease lease = acquire(pool, tracker);
      QVERIFY2(lease, qPrintable(lease.errorString()));
      QVERIFY(echoBlocking(*lease.socket(), "listening now\n"));
    }
    QTRY_COMPARE(tracker.live(), 0);
    QTRY_COMPARE(openFds(), fdsBefore);
  }

  void tlsPeerWithAWrongCertificateFailsTheHandshakeWithSslErrorsAndRecoversWhenTheRightServerIsBack() {
    const FdCount fdsBefore = openFds();
    SocketTracker tracker;
    {
      auto server = std::make_unique<TestServer>(wrongIdentity());
      const quint16 port = server->start();
      QVERIFY(port);
      SocketPool pool(localHost, port);
      pool.setTlsEnabled(true);
      pool.setCaCertificates(certificates("ca.pem"));
      pool.setStatsInterval(5);
      QSignalSpy tlsErrors(&pool, &SocketPool::sslErrors);
      QSignalSpy failed(&pool, &SocketPool::connectFailed);

      constexpr int attempts = 5;
      for (int i = 0; i < attempts; ++i) {
        SocketLease lease = acquire(pool, tracker, 20000);
        QVERIFY(!lease);
        QCOMPARE(lease.error(), SocketLease::Error::ConnectFailed);
        QCOMPARE(lease.socketError(), QAbstractSocket::SslHandshakeFailedError);
        bool untrusted = false;
        for (const QSslError& e : lease.sslErrors())
          untrusted |= e.error() == QSslError::SelfSignedCertificate || e.error() == QSslError::CertificateUntrusted ||
                       e.error() == QSslError::UnableToGetLocalIssuerCertificate;
        QVERIFY2(untrusted, qPrintable(lease.errorString()));
      }
      QTRY_COMPARE(tlsErrors.count(), attempts);
      QTRY_COMPARE(failed.count(), attempts);
      QCOMPARE(failed.at(0).at(0).value<QAbstractSocket::SocketError>(), QAbstractSocket::SslHandshakeFailedError);
      QVERIFY(!tlsErrors.at(0).at(0).value<QList<QSslError>>().isEmpty());
      QCOMPARE(pool.stats().factoryFailures, quint64(attempts));
      QCOMPARE(pool.stats().openCount, 0);
      QCOMPARE(tracker.seen(), 0); // no unverified socket ever reached a borrower

      // The right server is back on the same port: the same pool connects.
      server.reset();
      server = std::make_unique<TestServer>(rightIdentity());
      QCOMPARE(server->start(port), port);
      SocketLease lease = acquire(pool, tracker, 20000);
      QVERIFY2(lease, qPrintable(lease.errorString()));
      QVERIFY(lease.sslSocket()->isEncrypted());
      QVERIFY(echoBlocking(*lease.socket(), "trusted\n"));
      QCOMPARE(tlsErrors.count(), attempts);
    }
    QTRY_COMPARE(tracker.live(), 0);
    QTRY_COMPARE(openFds(), fdsBefore);
  }

  // Two threads share one pool; the test thread injects a fault every 4th
  // cycle (server-side: reset, half-close, close, restart; borrower-side:
  // unread reply, discard mid-exchange; other peers: silent, refused, wrong
  // certificate). CONNPOOL_QT_FAULT_CYCLES sets the cycles per thread
  // (default 5000: 10,000 in all).
  void thousandsOfAcquireReturnCyclesWithInjectedFaultsLeaveFileDescriptorsAndSocketsAsBefore() {
    const int cycles = qEnvironmentVariableIsSet("CONNPOOL_QT_FAULT_CYCLES")
                           ? qEnvironmentVariableIntValue("CONNPOOL_QT_FAULT_CYCLES")
                           : 5000;
    QVERIFY(cycles > 0);
    constexpr int maxSize = 3;
    enum Fault { Reset, HalfClose, Close, Restart, UnreadReply, DiscardMidExchange, Silent, Refused, WrongCert, Kinds };
    std::atomic<int> injected[Kinds] = {};
    std::atomic<int> refusedSeen{0}, echoFailures{0}, completed{0};
    std::atomic<int> maxOpenSeen{0};
    ThreadFailures failures;
    SocketTracker tracker;
    QElapsedTimer clock;
    clock.start();

    const FdCount fdsBefore = openFds();
    SocketPoolStats last;
    {
      TestServer server;
      const quint16 port = server.start();
      QVERIFY(port);
      // Accepts, reads and drops, never answers. (Not a SilentListener: its
      // backlog would fill with the connections it never accepts.)
      TestServer silentServer;
      const quint16 silentPort = silentServer.start();
      QVERIFY(silentPort);
      silentServer.setEchoing(false);
      TestServer wrongTls(wrongIdentity());
      const quint16 wrongTlsPort = wrongTls.start();
      QVERIFY(wrongTlsPort);

      SocketPool pool(localHost, port);
      pool.setMaxSize(maxSize);
      pool.setHealthCheckInterval(5);
      pool.setConnectTimeout(5000);
      pool.setPingFunction(tracker.pingFunction());
      // Side pools for the faults that need another peer.
      SocketPool silentPool(localHost, silentPort);
      silentPool.setMaxSize(1);
      SocketPool refusedPool(localHost, unusedPort());
      SocketPool wrongTlsPool(localHost, wrongTlsPort);
      wrongTlsPool.setTlsEnabled(true);
      wrongTlsPool.setCaCertificates(certificates("ca.pem"));

      auto noteOpen = [&] {
        const int open = pool.stats().openCount;
        int seen = maxOpenSeen.load();
        while (open > seen && !maxOpenSeen.compare_exchange_weak(seen, open)) {
        }
      };
      // One cycle: acquire, echo, return; a failed exchange is discarded.
      auto cycle = [&](int worker, int i) {
        SocketLease lease = acquire(pool, tracker);
        noteOpen();
        if (!lease) {
          if (lease.error() == SocketLease::Error::ConnectFailed)
            ++refusedSeen;
          else
            failures.add(QStringLiteral("worker %1 cycle %2: %3").arg(worker).arg(i).arg(lease.errorString()));
          return;
        }
        const QByteArray message = QStringLiteral("worker %1 cycle %2\n").arg(worker).arg(i).toUtf8();
        if (!echoBlocking(*lease.socket(), message, 5000)) {
          ++echoFailures;
          lease.discard();
        }
        ++completed;
      };
      // The injector: every 4th cycle, the next fault in turn, then the cycle.
      auto inject = [&](int i) {
        const auto fault = static_cast<Fault>((i / 4) % Kinds);
        ++injected[fault];
        switch (fault) {
        case Reset: server.resetConnections(); break;
        case HalfClose: server.halfCloseConnections(); break;
        case Close: server.closeConnections(); break;
        case Restart: {
          server.stop();
          SocketLease lease = acquire(pool, tracker);
          if (!lease) {
            if (lease.error() == SocketLease::Error::ConnectFailed) ++refusedSeen;
          } else if (!echoBlocking(*lease.socket(), "down?\n", 5000)) {
            ++echoFailures;
            lease.discard();
          }
          lease = SocketLease();
          if (server.start(port) != port) failures.add(QStringLiteral("could not rebind port %1").arg(port));
          break;
        }
        case UnreadReply: {
          SocketLease lease = acquire(pool, tracker);
          if (lease) {
            lease->write("never read\n");
            lease->flush();
          }
          break; // returned with the reply on its way
        }
        case DiscardMidExchange: {
          SocketLease lease = acquire(pool, tracker);
          if (lease) {
            lease->write("abandoned\n");
            lease.discard();
          }
          break;
        }
        case Silent: {
          SocketLease lease = acquire(silentPool, tracker);
          if (!lease || echoBlocking(*lease.socket(), "anyone?\n", 20))
            failures.add(QStringLiteral("the silent peer connected: %1, answered").arg(bool(lease)));
          lease.discard();
          break;
        }
        case Refused: {
          SocketLease lease = acquire(refusedPool, tracker);
          if (lease.socketError() != QAbstractSocket::ConnectionRefusedError)
            failures.add(QStringLiteral("not refused: ") + lease.errorString());
          break;
        }
        case WrongCert: {
          SocketLease lease = acquire(wrongTlsPool, tracker, 20000);
          if (lease.socketError() != QAbstractSocket::SslHandshakeFailedError || lease.sslErrors().isEmpty())
            failures.add(QStringLiteral("wrong certificate accepted: ") + lease.errorString());
          break;
        }
        case Kinds: break;
        }
      };

      // Set as the worker's last act and read after wait(), which orders
      // through a lock ThreadSanitizer cannot see: this makes it visible.
      std::atomic<bool> otherDone{false};
      std::unique_ptr<QThread> other(QThread::create([&] {
        for (int i = 0; i < cycles; ++i)
          cycle(1, i);
        otherDone.store(true, std::memory_order_release);
      }));
      other->start();
      for (int i = 0; i < cycles; ++i) {
        if (i % 4 == 3) inject(i);
        cycle(0, i);
      }
      QVERIFY(other->wait(QDeadlineTimer(600000)));
      QVERIFY(otherDone.load(std::memory_order_acquire));
      QCOMPARE(failures.list(), QStringList());

      // Recovered: with the faults over, a clean round trip.
      SocketLease lease = acquire(pool, tracker);
      QVERIFY2(lease, qPrintable(lease.errorString()));
      QVERIFY(echoBlocking(*lease.socket(), "after the storm\n"));
      lease = SocketLease();
      last = pool.stats();
      QVERIFY(last.openCount <= maxSize);
      QCOMPARE(last.created - last.closed, quint64(last.openCount));
      QCOMPARE(last.activeCount, 0);
    }
    QTRY_COMPARE(tracker.live(), 0);
    QTRY_COMPARE(openFds(), fdsBefore);

    QVERIFY(maxOpenSeen.load() <= maxSize);
    int faults = 0;
    for (const auto& n : injected)
      faults += n.load();
    QVERIFY(faults >= cycles / 4 - 1);
    QVERIFY(completed.load() > cycles); // most cycles of the two threads got through
    const FdCount fdsAfter = openFds();
    qInfo("figures: %d cycles x 2 threads, %d completed, %d faults injected (reset %d, half-close %d, close %d, "
          "restart %d, unread reply %d, discard mid-exchange %d, silent peer %d, refused %d, wrong cert %d); "
          "seen: %d refused, %d failed echoes, %llu ping failures, %llu discards; %d sockets tracked, %llu created "
          "by the main pool; fds before %d (%d sockets), after %d (%d sockets); %lld ms",
          cycles, completed.load(), faults, injected[Reset].load(), injected[HalfClose].load(), injected[Close].load(),
          injected[Restart].load(), injected[UnreadReply].load(), injected[DiscardMidExchange].load(),
          injected[Silent].load(), injected[Refused].load(), injected[WrongCert].load(), refusedSeen.load(),
          echoFailures.load(), static_cast<unsigned long long>(last.pingFailures),
          static_cast<unsigned long long>(last.discards), tracker.seen(), static_cast<unsigned long long>(last.created),
          fdsBefore.all, fdsBefore.sockets, fdsAfter.all, fdsAfter.sockets, static_cast<long long>(clock.elapsed()));
  }
};

QTEST_MAIN(tst_SocketPoolFaults)
#include "tst_SocketPoolFaults.moc"
