// SPDX-License-Identifier: MIT
// A console tool against the installed Qt layer: pools sockets to an echo
// server it runs itself on 127.0.0.1 and borrows them from a worker thread.
#include <connpool/qt/socketlease.h>
#include <connpool/qt/socketpool.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qhostaddress.h>
#include <QtNetwork/qtcpserver.h>
#include <QtNetwork/qtcpsocket.h>

#include <cstdio>

using connpool::qt::SocketLease;
using connpool::qt::SocketPool;

int main(int argc, char** argv) {
  QCoreApplication app(argc, argv);
  QTcpServer server;
  if (!server.listen(QHostAddress::LocalHost, 0)) return 2;
  QObject::connect(&server, &QTcpServer::newConnection, &server, [&server] {
    while (QTcpSocket* peer = server.nextPendingConnection()) {
      QObject::connect(peer, &QTcpSocket::readyRead, peer, [peer] { peer->write(peer->readAll()); });
      QObject::connect(peer, &QTcpSocket::disconnected, peer, &QObject::deleteLater);
    }
  });

  SocketPool pool(QStringLiteral("127.0.0.1"), server.serverPort());
  pool.setMaxSize(2);
  QString replies;
  QThread* worker = QThread::create([&pool, &replies] {
    for (int i = 0; i < 3; ++i) {
      SocketLease lease = pool.acquire(QDeadlineTimer(5'000));
      if (!lease) return;
      QTcpSocket& s = *lease.socket();
      s.write(QByteArray("ping") + QByteArray::number(i));
      if (!s.waitForReadyRead(5'000)) return lease.discard();
      replies += QString::fromLatin1(s.readAll()) + QLatin1Char(' ');
    }
  });
  QObject::connect(worker, &QThread::finished, &app, &QCoreApplication::quit);
  QTimer::singleShot(20'000, &app, [] { QCoreApplication::exit(5); }); // bound, never reached when it works
  worker->start();
  const int rc = app.exec();
  worker->wait();
  delete worker;
  if (rc != 0) return rc;

  const auto stats = pool.stats();
  std::printf("downstream-tool: replies=%s hits=%d misses=%d compiler=%s\n", qPrintable(replies.trimmed()),
              int(stats.hits), int(stats.misses),
#if defined(__clang__)
              "clang"
#elif defined(__GNUC__)
              "gcc"
#else
              "other"
#endif
  );
  return replies.trimmed() == QStringLiteral("ping0 ping1 ping2") && stats.hits == 2 && stats.misses == 1 ? 0 : 1;
}
