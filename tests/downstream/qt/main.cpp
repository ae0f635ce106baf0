// SPDX-License-Identifier: MIT
// A Qt Quick app against the installed connpool: a SocketPool declared in
// QML (`import ConnPool`, the installed plugin found through the QML import
// path; the app links only connpool::qt) pools sockets to an echo server this
// program runs on 127.0.0.1; a worker thread borrows them with a blocking
// acquire.
#include <connpool/qt/socketlease.h>
#include <connpool/qt/socketpool.h>

#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>
#include <QtGui/qguiapplication.h>
#include <QtNetwork/qhostaddress.h>
#include <QtNetwork/qtcpserver.h>
#include <QtNetwork/qtcpsocket.h>
#include <QtQml/qqmlapplicationengine.h>

#include <cstdio>

using connpool::qt::SocketLease;
using connpool::qt::SocketPool;

int main(int argc, char** argv) {
  QGuiApplication app(argc, argv);

  // The echo server, in the GUI thread's event loop.
  QTcpServer server;
  if (!server.listen(QHostAddress::LocalHost, 0)) return 2;
  QObject::connect(&server, &QTcpServer::newConnection, &server, [&server] {
    while (QTcpSocket* peer = server.nextPendingConnection()) {
      QObject::connect(peer, &QTcpSocket::readyRead, peer, [peer] { peer->write(peer->readAll()); });
      QObject::connect(peer, &QTcpSocket::disconnected, peer, &QObject::deleteLater);
    }
  });

  QQmlApplicationEngine engine;
#ifdef CONNPOOL_QML_DIR
  engine.addImportPath(QStringLiteral(CONNPOOL_QML_DIR)); // a prefix outside Qt's own
#endif
  engine.loadData(QStringLiteral(R"(
    import QtQuick
    import ConnPool
    Item {
      property alias pool: pool
      readonly property string summary: "maxSize " + pool.maxSize + " on " + pool.host
      SocketPool { id: pool; host: "127.0.0.1"; port: %1; maxSize: 2 }
    }
  )")
                      .arg(server.serverPort())
                      .toUtf8());
  if (engine.rootObjects().isEmpty()) return 3;
  QObject* root = engine.rootObjects().first();
  auto* pool = qobject_cast<SocketPool*>(root->property("pool").value<QObject*>());
  if (!pool) return 4;

  // Three borrow -> echo -> return cycles on a worker thread; two reuse the
  // first socket.
  QString replies;
  QThread* worker = QThread::create([pool, &replies] {
    for (int i = 0; i < 3; ++i) {
      SocketLease lease = pool->acquire(QDeadlineTimer(5'000));
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

  const auto stats = pool->stats();
  std::printf("downstream-qt: replies=%s hits=%d misses=%d maxSize=%d qml=\"%s\"\n", qPrintable(replies.trimmed()),
              int(stats.hits), int(stats.misses), pool->maxSize(), qPrintable(root->property("summary").toString()));
  return replies.trimmed() == QStringLiteral("ping0 ping1 ping2") && stats.hits == 2 && stats.misses == 1 ? 0 : 1;
}
