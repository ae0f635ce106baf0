// SPDX-License-Identifier: MIT
// Apps written when ConnPool was a static QML module keep building and
// working: Q_IMPORT_QML_PLUGIN(ConnPoolPlugin) still links against
// connpool::qml, and `import ConnPool` resolves with the plugin's directory on
// the import path (the plugin is loaded) or without it (the types come from
// the linked library).
#include <connpool/qt/socketpool.h>

#include <QtCore/qjsonarray.h>
#include <QtCore/qjsonobject.h>
#include <QtCore/qpluginloader.h>
#include <QtCore/qscopedpointer.h>
#include <QtQml/qqmlcomponent.h>
#include <QtQml/qqmlengine.h>
#include <QtQml/qqmlextensionplugin.h>
#include <QtTest/qtest.h>

Q_IMPORT_QML_PLUGIN(ConnPoolPlugin)

class tst_QmlStaticImport : public QObject {
  Q_OBJECT

private slots:
  void theOldImportLineStillRegistersAStaticPluginForTheUri() {
    bool found = false;
    for (const QStaticPlugin& plugin : QPluginLoader::staticPlugins()) {
      const QJsonObject meta = plugin.metaData();
      if (meta.value(QStringLiteral("className")).toString() != QStringLiteral("ConnPoolPlugin")) continue;
      found = true;
      QCOMPARE(meta.value(QStringLiteral("IID")).toString(), QStringLiteral(QQmlEngineExtensionInterface_iid));
      QCOMPARE(meta.value(QStringLiteral("uri")).toArray().first().toString(), QStringLiteral("ConnPool"));
    }
    QVERIFY(found);
  }

  void importConnPoolResolves_data() {
    QTest::addColumn<QString>("importPath");
    QTest::newRow("types from the linked library") << QString();
    QTest::newRow("plugin on the import path") << QStringLiteral(CONNPOOL_BUILD_QML_DIR);
  }

  void importConnPoolResolves() {
    QFETCH(QString, importPath);
    QQmlEngine engine;
    if (!importPath.isEmpty()) engine.addImportPath(importPath);
    QQmlComponent component(&engine);
    component.setData("import ConnPool\nSocketPool { host: \"127.0.0.1\"; port: 9; maxSize: 3 }\n", QUrl());
    QScopedPointer<QObject> object(component.create());
    QVERIFY2(object, qPrintable(component.errorString()));
    auto* pool = qobject_cast<connpool::qt::SocketPool*>(object.data());
    QVERIFY(pool);
    QCOMPARE(pool->maxSize(), 3);
  }
};

QTEST_MAIN(tst_QmlStaticImport)
#include "tst_QmlStaticImport.moc"
