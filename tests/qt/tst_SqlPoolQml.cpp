// SPDX-License-Identifier: MIT
// The QML element SqlPool (import ConnPool): a QML app declares the pool and
// binds to its statistics; the calls come from C++, and a ConnectionModel
// in QML lists the pool's connections.
#include <connpool/qt/connectionmodel.h>
#include <connpool/qt/sqlpool.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qscopedpointer.h>
#include <QtCore/qtemporarydir.h>
#include <QtQml/qqmlcomponent.h>
#include <QtQml/qqmlengine.h>
#include <QtSql/qsqlquery.h>
#include <QtTest/qtest.h>

using connpool::qt::SqlPool;

class tst_SqlPoolQml : public QObject {
  Q_OBJECT

private slots:
  void bindingsFollowTheSqlPool() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QQmlEngine engine;
    QQmlComponent component(&engine);
    component.setData(QStringLiteral(R"(
      import ConnPool
      SqlPool {
        id: pool
        driverName: "QSQLITE"
        databaseName: "%1"
        maxSize: 2
        statsInterval: 20
        readonly property string summary: activeCount + " active, " + gets + " gets"
        readonly property ConnectionModel model: ConnectionModel { sqlPool: pool }
      }
    )")
                          .arg(dir.filePath(QStringLiteral("qml.db")))
                          .toUtf8(),
                      QUrl());
    QScopedPointer<QObject> object(component.create());
    QVERIFY2(object, qPrintable(component.errorString()));
    auto* pool = qobject_cast<SqlPool*>(object.data());
    QVERIFY(pool);
    QCOMPARE(pool->driverName(), QStringLiteral("QSQLITE"));
    QCOMPARE(pool->maxSize(), 2);
    QCOMPARE(object->property("summary").toString(), QStringLiteral("0 active, 0 gets"));
    auto f = pool->run([](QSqlDatabase& db) { return QSqlQuery(db).exec(QStringLiteral("SELECT 1")); });
    QTRY_VERIFY(f.isFinished());
    QVERIFY(f.result());
    QTRY_COMPARE(object->property("summary").toString(), QStringLiteral("0 active, 1 gets"));
    QTRY_VERIFY(object->property("idleCount").toInt() >= 1);
    auto* model = object->property("model").value<connpool::qt::ConnectionModel*>();
    QVERIFY(model);
    QTRY_COMPARE(model->rowCount(), pool->stats().openCount);
    QVERIFY(model->rowCount() >= 1);
  }
};

QTEST_MAIN(tst_SqlPoolQml)
#include "tst_SqlPoolQml.moc"
