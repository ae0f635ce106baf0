// SPDX-License-Identifier: MIT
// The QML module `ConnPool`: a dashboard binds to a SocketPool's settings and
// statistics.
#include "echo.h"
#include "testserver.h"
#include <connpool/qt/socketpool.h>

#include <QtCore/qscopedpointer.h>
#include <QtQml/qqmlcomponent.h>
#include <QtQml/qqmlengine.h>
#include <QtTest/qtest.h>

using connpool::qt::SocketLease;
using connpool::qt::SocketPool;

class tst_SocketPoolQml : public QObject {
  Q_OBJECT

private slots:
  void dashboardBindingsFollowThePoolStats() {
    TestServer server;
    const quint16 port = server.start();
    QVERIFY(port);
    QQmlEngine engine;
    QQmlComponent component(&engine);
    component.setData(QStringLiteral(R"(
      import ConnPool
      SocketPool {
        host: "127.0.0.1"
        port: %1
        maxSize: 2
        statsInterval: 20
        readonly property string summary: activeCount + " active, " + idleCount + " idle, " + gets + " gets"
        readonly property int lastHits: publishedStats.hits
      }
    )")
                          .arg(port)
                          .toUtf8(),
                      QUrl());
    QScopedPointer<QObject> object(component.create());
    QVERIFY2(object, qPrintable(component.errorString()));
    auto* pool = qobject_cast<SocketPool*>(object.data());
    QVERIFY(pool);
    QCOMPARE(pool->host(), QStringLiteral("127.0.0.1"));
    QCOMPARE(pool->port(), int(port));
    QCOMPARE(pool->maxSize(), 2);
    QCOMPARE(object->property("summary").toString(), QStringLiteral("0 active, 0 idle, 0 gets"));

    SocketLease lease = pool->acquire(QDeadlineTimer(10000));
    QVERIFY(lease);
    QVERIFY(echoBlocking(*lease.socket(), "dashboard\n"));
    QTRY_COMPARE(object->property("summary").toString(), QStringLiteral("1 active, 0 idle, 1 gets"));
    lease.release();
    lease = pool->acquire(QDeadlineTimer(10000));
    lease.release();
    QTRY_COMPARE(object->property("summary").toString(), QStringLiteral("0 active, 1 idle, 2 gets"));
    QTRY_COMPARE(object->property("lastHits").toInt(), 1);
  }
};

QTEST_MAIN(tst_SocketPoolQml)
#include "tst_SocketPoolQml.moc"
