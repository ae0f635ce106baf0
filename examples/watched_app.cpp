// SPDX-License-Identifier: MIT
// A tiny Qt program with two connection pools under load and a
// MetricsEndpoint: what `connpool-demo --watch` attaches to (README, "Watch
// your own app"). It starts its own echo server on 127.0.0.1; worker threads
// lease from the pools "orders" (4 connections, 3 workers) and "sessions"
// (2 connections, 4 workers: it waits), echo a line and hold the lease a
// moment.
//
//   connpool-watched-app [--port P] [--workers-per-pool N] [--no-load]
//
// Prints "watched-app: serving http://127.0.0.1:P/metrics" once listening.
// --no-load: a short burst of load, then the pools stay idle (what
// scripts/watch_cost.sh measures the scrape cost against).
#include <connpool/qt/metricsendpoint.h>
#include <connpool/qt/socketpool.h>

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qthread.h>
#include <QtNetwork/qtcpserver.h>
#include <QtNetwork/qtcpsocket.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <random>
#include <vector>

using connpool::qt::MetricsEndpoint;
using connpool::qt::SocketLease;
using connpool::qt::SocketPool;

namespace {

// Echoes every byte back, in the main thread's event loop.
class EchoServer : public QTcpServer {
public:
  EchoServer() {
    connect(this, &QTcpServer::newConnection, this, [this] {
      while (QTcpSocket* s = nextPendingConnection()) {
        connect(s, &QTcpSocket::readyRead, s, [s] { s->write(s->readAll()); });
        connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
      }
    });
  }
};

// One worker: lease, echo a line, hold a moment, return; until stopped or,
// with a limit, after `rounds` round trips.
void work(SocketPool* pool, const std::atomic<bool>& stop, int rounds, unsigned seed) {
  std::minstd_rand random(seed);
  for (int i = 0; !stop.load() && (rounds <= 0 || i < rounds); ++i) {
    SocketLease lease = pool->acquire(QDeadlineTimer(300));
    if (!lease.isValid()) continue; // a timeout: counted by the pool
    QTcpSocket* s = lease.socket();
    s->write("ping\n");
    QByteArray reply;
    while (reply.size() < 5 && (s->bytesAvailable() > 0 || s->waitForReadyRead(1000)))
      reply += s->readAll();
    if (reply != "ping\n") lease.discard();
    QThread::usleep(200 + random() % 3000); // the work done on the connection
  }
}

} // namespace

int main(int argc, char* argv[]) {
  QCoreApplication app(argc, argv);
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral("Two connection pools under load, served at /metrics."));
  parser.addHelpOption();
  const QCommandLineOption port(QStringLiteral("port"), QStringLiteral("Metrics port (default 9464; 0: any free)."),
                                QStringLiteral("P"), QStringLiteral("9464"));
  const QCommandLineOption workers(QStringLiteral("workers-per-pool"), QStringLiteral("Worker threads per pool."),
                                   QStringLiteral("N"));
  const QCommandLineOption noLoad(QStringLiteral("no-load"), QStringLiteral("Stop the load after a short burst."));
  parser.addOptions({port, workers, noLoad});
  parser.process(app);
  bool ok = true;
  const uint metricsPort = parser.value(port).toUInt(&ok);
  if (!ok || metricsPort > 65535) {
    std::fprintf(stderr, "watched-app: --port wants 0-65535\n");
    return 2;
  }

  EchoServer echo;
  if (!echo.listen(QHostAddress::LocalHost)) {
    std::fprintf(stderr, "watched-app: echo server: %s\n", qPrintable(echo.errorString()));
    return 1;
  }
  SocketPool orders(QStringLiteral("127.0.0.1"), echo.serverPort());
  orders.setMaxSize(4);
  orders.setMaxIdle(2);
  SocketPool sessions(QStringLiteral("127.0.0.1"), echo.serverPort());
  sessions.setMaxSize(2);

  // The part a real program adds: one endpoint, each pool under its name.
  MetricsEndpoint endpoint;
  endpoint.addPool(&orders, QStringLiteral("orders"));
  endpoint.addPool(&sessions, QStringLiteral("sessions"));
  if (!endpoint.listen(QHostAddress::LocalHost, static_cast<quint16>(metricsPort))) {
    std::fprintf(stderr, "watched-app: metrics endpoint: %s\n", qPrintable(endpoint.errorString()));
    return 1;
  }

  std::atomic<bool> stop{false};
  const int rounds = parser.isSet(noLoad) ? 50 : 0;
  std::vector<std::unique_ptr<QThread>> threads;
  const auto start = [&](SocketPool* pool, int n) {
    for (int i = 0; i < n; ++i) {
      const auto seed = static_cast<unsigned>(threads.size() + 1);
      threads.emplace_back(QThread::create([pool, &stop, rounds, seed] { work(pool, stop, rounds, seed); }));
      threads.back()->start();
    }
  };
  const int perPool = parser.isSet(workers) ? qBound(1, parser.value(workers).toInt(), 64) : 0;
  start(&orders, perPool > 0 ? perPool : 3);
  start(&sessions, perPool > 0 ? perPool : 4);

  std::printf("watched-app: serving http://127.0.0.1:%u/metrics (pools orders, sessions)\n", endpoint.serverPort());
  std::fflush(stdout);
  // Workers stop before the pools go (SIGTERM ends the process outright).
  QObject::connect(&app, &QCoreApplication::aboutToQuit, [&] {
    stop = true;
    for (auto& t : threads)
      t->wait();
  });
  return QCoreApplication::exec();
}
