// SPDX-License-Identifier: MIT
// connpool-qt-bench: the Qt layer's blocking user loop, pooled against one
// dedicated socket per thread.
//
//   connpool-qt-bench --mode=pool|dedicated --threads N --max M --seconds S
//
// T worker threads made with QThread::create (they never run an event loop)
// loop until --seconds pass (a stop flag checked each iteration):
//   pool:      lease = pool.acquire() -> 16-byte echo -> lease reset
//              over one connpool::qt::SocketPool with maxSize = M;
//   dedicated: the same echo on one QTcpSocket per thread, connected once
//              before the clock starts (acquire and release are 0).
// The echo writes 16 bytes and waitForReadyRead()s until the same 16 bytes
// are back. The echo server is a QTcpServer on 127.0.0.1 (a free port) in its
// own QThread, running its event loop; the SocketPool lives in the main
// thread, which runs its event loop for the whole run, as a GUI thread would.
//
// Each phase is timed with steady_clock around acquire(), the echo and the
// lease reset. RSS is VmRSS from /proc/self/status: "start" just before the
// workers are released (server up, pool made, dedicated sockets connected),
// "end" once every worker has been joined (before teardown). Failed acquires
// and echoes are counted and printed, never fatal; a failed echo discards
// the lease. Exit status: 0 after a run, 1 when the server cannot listen, 2
// on bad options.
//
// stdout: a few human-readable lines, then one machine-readable line:
//   qtbench: mode=pool threads=1 max=1 seconds=1 ops=N rt_per_s=X acquire_us=A
//            roundtrip_us=R release_us=L rss_start_kb=K rss_end_kb=K
//            rss_growth_kb=G elapsed_s=E acquire_errors=N echo_errors=N
// (max=0 in dedicated mode: there is no pool.)
#include <connpool/qt/socketpool.h>

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qhostaddress.h>
#include <QtNetwork/qtcpserver.h>
#include <QtNetwork/qtcpsocket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <latch>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using connpool::qt::SocketLease;
using connpool::qt::SocketPool;

constexpr int kMessageSize = 16;
constexpr int kEchoTimeoutMs = 5000;
constexpr int kAcquireTimeoutMs = 5000;

long rssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

std::int64_t nsSince(Clock::time_point& mark) {
  const Clock::time_point now = Clock::now();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - mark).count();
  mark = now;
  return ns;
}

/// A loopback echo server living in its own thread (with its event loop).
class EchoServer {
public:
  EchoServer() : server_(new QTcpServer) {
    thread_.setObjectName(QStringLiteral("echo server"));
    server_->moveToThread(&thread_);
    // Accepted sockets are children of the server: deleting it (in its
    // thread, when the thread finishes) deletes them too.
    QObject::connect(&thread_, &QThread::finished, server_, &QObject::deleteLater);
    QObject::connect(server_, &QTcpServer::newConnection, server_, [server = server_] {
      while (QTcpSocket* c = server->nextPendingConnection()) {
        QObject::connect(c, &QIODevice::readyRead, c, [c] { c->write(c->readAll()); });
        QObject::connect(c, &QAbstractSocket::disconnected, c, &QObject::deleteLater);
      }
    });
    thread_.start();
  }
  ~EchoServer() {
    QMetaObject::invokeMethod(server_, [s = server_] { s->close(); }, Qt::BlockingQueuedConnection);
    thread_.quit();
    thread_.wait();
  }
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  /// Listens on 127.0.0.1, any free port; 0 on failure.
  quint16 listen() {
    quint16 port = 0;
    QMetaObject::invokeMethod(
        server_,
        [&] {
          if (server_->listen(QHostAddress::LocalHost, 0)) port = server_->serverPort();
        },
        Qt::BlockingQueuedConnection);
    return port;
  }

private:
  QThread thread_;
  QTcpServer* server_;
};

/// Write 16 bytes, then waitForReadyRead until the same 16 are back.
bool echo(QTcpSocket& socket, const QByteArray& message) {
  if (socket.write(message) != message.size()) return false;
  const QDeadlineTimer deadline(kEchoTimeoutMs);
  QByteArray echoed;
  while (echoed.size() < message.size()) {
    if (socket.bytesAvailable() == 0 && !socket.waitForReadyRead(static_cast<int>(deadline.remainingTime())))
      return false;
    echoed += socket.read(message.size() - echoed.size());
  }
  return echoed == message;
}

/// One worker's figures, written by it alone, read after it is joined.
struct alignas(64) WorkerStats {
  std::uint64_t ops = 0; // completed round trips
  std::uint64_t acquires = 0, echoes = 0, releases = 0;
  std::uint64_t acquireErrors = 0, echoErrors = 0;
  std::int64_t acquireNs = 0, roundTripNs = 0, releaseNs = 0;
};

QByteArray messageFor(int worker, std::uint64_t op) {
  char text[kMessageSize + 1];
  std::snprintf(text, sizeof text, "%04x%012llx", worker & 0xffff,
                static_cast<unsigned long long>(op & 0xffffffffffffULL));
  return QByteArray(text, kMessageSize);
}

struct Options {
  bool pooled = true;
  int threads = 1;
  int maxSize = 1;
  double seconds = 1;
};

std::optional<Options> parseOptions(const QCoreApplication& app) {
  QCommandLineParser parser;
  parser.setApplicationDescription(
      QStringLiteral("acquire -> 16-byte echo -> release loops on QThread::create threads, pooled or dedicated"));
  parser.addHelpOption();
  const QCommandLineOption mode(QStringLiteral("mode"), QStringLiteral("pool or dedicated (default pool)"),
                                QStringLiteral("mode"), QStringLiteral("pool"));
  const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("worker threads (default 1)"),
                                   QStringLiteral("N"), QStringLiteral("1"));
  const QCommandLineOption max(QStringLiteral("max"), QStringLiteral("the pool's maxSize (default 1)"),
                               QStringLiteral("M"), QStringLiteral("1"));
  const QCommandLineOption seconds(QStringLiteral("seconds"), QStringLiteral("run time (default 1)"),
                                   QStringLiteral("S"), QStringLiteral("1"));
  parser.addOptions({mode, threads, max, seconds});
  parser.process(app); // --help and unknown options exit here

  Options o;
  bool okT = false, okM = false, okS = false;
  o.threads = parser.value(threads).toInt(&okT);
  o.maxSize = parser.value(max).toInt(&okM);
  o.seconds = parser.value(seconds).toDouble(&okS);
  const QString m = parser.value(mode);
  if (m != QLatin1String("pool") && m != QLatin1String("dedicated")) {
    std::fprintf(stderr, "connpool-qt-bench: --mode must be pool or dedicated\n");
    return std::nullopt;
  }
  o.pooled = m == QLatin1String("pool");
  if (!okT || o.threads < 1 || !okM || o.maxSize < 1 || !okS || !(o.seconds > 0) || o.seconds > 86400) {
    std::fprintf(stderr, "connpool-qt-bench: --threads and --max must be >= 1, --seconds in (0, 86400]\n");
    return std::nullopt;
  }
  return o;
}

double meanUs(std::int64_t ns, std::uint64_t count) {
  return count ? static_cast<double>(ns) / 1000.0 / static_cast<double>(count) : 0.0;
}

} // namespace

int main(int argc, char* argv[]) {
  QCoreApplication app(argc, argv);
  const std::optional<Options> options = parseOptions(app);
  if (!options) return 2;
  const Options& o = *options;

  EchoServer server;
  const quint16 port = server.listen();
  if (port == 0) {
    std::fprintf(stderr, "connpool-qt-bench: the echo server cannot listen on 127.0.0.1\n");
    return 1;
  }

  // Lives in the main thread, whose event loop runs below.
  std::optional<SocketPool> pool;
  if (o.pooled) {
    pool.emplace(QStringLiteral("127.0.0.1"), port);
    pool->setMaxSize(o.maxSize);
  }

  std::vector<WorkerStats> stats(static_cast<std::size_t>(o.threads));
  std::atomic<bool> stop{false};
  std::latch ready(o.threads); // every worker set up (dedicated: connected)
  std::latch go(1);            // the clock starts
  std::atomic<int> connectFailures{0};

  std::vector<std::unique_ptr<QThread>> workers;
  for (int i = 0; i < o.threads; ++i) {
    auto body = [&, i, &st = stats[static_cast<std::size_t>(i)]] {
      std::optional<QTcpSocket> dedicated;
      if (!o.pooled) {
        dedicated.emplace();
        dedicated->connectToHost(QHostAddress::LocalHost, port);
        if (!dedicated->waitForConnected(kAcquireTimeoutMs)) connectFailures.fetch_add(1);
      }
      ready.count_down();
      go.wait();
      for (std::uint64_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
        const QByteArray message = messageFor(i, n);
        Clock::time_point mark = Clock::now();
        if (!o.pooled) {
          ++st.echoes;
          const bool ok = dedicated->state() == QAbstractSocket::ConnectedState && echo(*dedicated, message);
          st.roundTripNs += nsSince(mark);
          if (ok) {
            ++st.ops;
          } else {
            ++st.echoErrors;
            // Out of step or dead: start over on a fresh connection.
            dedicated->abort();
            dedicated->connectToHost(QHostAddress::LocalHost, port);
            if (!dedicated->waitForConnected(kAcquireTimeoutMs)) QThread::msleep(1);
          }
          continue;
        }
        std::optional<SocketLease> lease;
        lease.emplace(pool->acquire(QDeadlineTimer(kAcquireTimeoutMs)));
        ++st.acquires;
        st.acquireNs += nsSince(mark);
        if (!lease->isValid()) {
          ++st.acquireErrors;
          QThread::msleep(1); // a refused connect fails fast: do not spin
          continue;
        }
        ++st.echoes;
        const bool ok = echo(*lease->socket(), message);
        st.roundTripNs += nsSince(mark);
        if (!ok) {
          ++st.echoErrors;
          lease->discard(); // never hand an out-of-step stream to the next borrower
        }
        lease.reset(); // what leaving the user's scope does
        ++st.releases;
        st.releaseNs += nsSince(mark);
        if (ok) ++st.ops;
      }
    };
    workers.emplace_back(QThread::create(body));
    workers.back()->setObjectName(QStringLiteral("worker %1").arg(i));
    workers.back()->start();
  }

  ready.wait();
  const long rssStart = rssKb();
  const Clock::time_point start = Clock::now();
  go.count_down();

  // The main thread serves the pool's queued signals meanwhile.
  QEventLoop loop;
  QTimer::singleShot(std::chrono::milliseconds(static_cast<long long>(o.seconds * 1000)), &loop, [&] {
    stop.store(true, std::memory_order_relaxed);
    loop.quit();
  });
  loop.exec();
  for (auto& w : workers)
    w->wait();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const long rssEnd = rssKb();
  workers.clear();

  WorkerStats total;
  for (const WorkerStats& s : stats) {
    total.ops += s.ops;
    total.acquires += s.acquires;
    total.echoes += s.echoes;
    total.releases += s.releases;
    total.acquireErrors += s.acquireErrors;
    total.echoErrors += s.echoErrors;
    total.acquireNs += s.acquireNs;
    total.roundTripNs += s.roundTripNs;
    total.releaseNs += s.releaseNs;
  }
  const double rtPerS = static_cast<double>(total.ops) / elapsed;
  const double acquireUs = meanUs(total.acquireNs, total.acquires);
  const double roundTripUs = meanUs(total.roundTripNs, total.echoes);
  const double releaseUs = meanUs(total.releaseNs, total.releases);
  const char* modeName = o.pooled ? "pool" : "dedicated";

  std::printf("connpool-qt-bench: mode=%s threads=%d max=%d seconds=%g (port %u)\n", modeName, o.threads,
              o.pooled ? o.maxSize : 0, o.seconds, port);
  std::printf("  round trips/s (total): %.0f\n", rtPerS);
  std::printf("  ops total: %llu in %.3f s\n", static_cast<unsigned long long>(total.ops), elapsed);
  std::printf("  per-op mean: acquire %.2f us, round trip %.2f us, release %.2f us\n", acquireUs, roundTripUs,
              releaseUs);
  std::printf("  RSS: start %ld kB, end %ld kB, growth %+ld kB\n", rssStart, rssEnd, rssEnd - rssStart);
  std::printf("  errors: acquire %llu, echo %llu, dedicated connect %d\n",
              static_cast<unsigned long long>(total.acquireErrors), static_cast<unsigned long long>(total.echoErrors),
              connectFailures.load());
  std::printf("qtbench: mode=%s threads=%d max=%d seconds=%g ops=%llu rt_per_s=%.1f acquire_us=%.2f "
              "roundtrip_us=%.2f release_us=%.2f rss_start_kb=%ld rss_end_kb=%ld rss_growth_kb=%ld elapsed_s=%.3f "
              "acquire_errors=%llu echo_errors=%llu\n",
              modeName, o.threads, o.pooled ? o.maxSize : 0, o.seconds, static_cast<unsigned long long>(total.ops),
              rtPerS, acquireUs, roundTripUs, releaseUs, rssStart, rssEnd, rssEnd - rssStart, elapsed,
              static_cast<unsigned long long>(total.acquireErrors), static_cast<unsigned long long>(total.echoErrors));
  std::fflush(stdout);

  pool.reset(); // closes the idle sockets (leases are all back)
  return 0;
}
