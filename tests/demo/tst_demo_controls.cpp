// SPDX-License-Identifier: MIT
// The dashboard's controls act on the live pool: moving max_size resizes the
// SAME pool at once; "Apply (replaces the pool)" is only for the start-only
// breaker backoff and carries the live settings over; the fault injection
// buttons show up in the counters.
#include "dashboard.h"

#include <QtCore/qscopedpointer.h>
#include <QtQml/qqmlapplicationengine.h>
#include <QtQml/qqmlextensionplugin.h>
#include <QtQuick/qquickitem.h>
#include <QtQuick/qquickwindow.h>
#include <QtTest/qtest.h>

Q_IMPORT_QML_PLUGIN(ConnPoolDemoPlugin)

using connpool::qt::SocketPool;

class tst_demo_controls : public QObject {
  Q_OBJECT

  // A click in the middle of `item` or at (fx, fy) of its size.
  static void click(QQuickWindow* window, QQuickItem* item, qreal fx = 0.5, qreal fy = 0.5) {
    const QPointF at = item->mapToScene(QPointF(item->width() * fx, item->height() * fy));
    QTest::mouseClick(window, Qt::LeftButton, Qt::NoModifier, at.toPoint());
  }

  struct Ui {
    QScopedPointer<QQmlApplicationEngine> engine;
    QQuickWindow* window = nullptr;
    /// Walks the visual tree: Repeater-made items are not QObject children.
    QQuickItem* find(const char* name) const { return find(window->contentItem(), QString::fromLatin1(name)); }
    static QQuickItem* find(QQuickItem* item, const QString& name) {
      if (item->objectName() == name) return item;
      const QList<QQuickItem*> children = item->childItems();
      for (QQuickItem* child : children)
        if (QQuickItem* found = find(child, name)) return found;
      return nullptr;
    }
  };

  static bool load(Dashboard& dashboard, Ui& ui) {
    ui.engine.reset(new QQmlApplicationEngine);
    ui.engine->setInitialProperties({{QStringLiteral("dashboard"), QVariant::fromValue(&dashboard)}});
    ui.engine->load(QUrl(QStringLiteral("qrc:/qt/qml/ConnPoolDemo/Main.qml")));
    if (ui.engine->rootObjects().isEmpty()) return false;
    ui.window = qobject_cast<QQuickWindow*>(ui.engine->rootObjects().constFirst());
    return ui.window && QTest::qWaitForWindowExposed(ui.window);
  }

private slots:
  void movingMaxSizeResizesTheLivePoolAndApplyReplacesItOnlyForStartOnlySettings() {
    Dashboard dashboard(QString(), 0, false, {});
    QVERIFY(dashboard.isReady());
    Ui ui;
    QVERIFY(load(dashboard, ui));
    SocketPool* first = dashboard.pool();
    QCOMPARE(first->maxSize(), 6);
    QTRY_VERIFY(first->gets() > 0); // the load runs

    auto* control = ui.find("maxSizeControl");
    QVERIFY(control);
    auto* slider = control->property("slider").value<QQuickItem*>();
    QVERIFY(slider);
    QCOMPARE(slider->property("value").toInt(), 6);
    click(ui.window, slider, 0.75);
    QTRY_VERIFY(slider->property("value").toInt() > 6);
    const int chosen = slider->property("value").toInt();
    // Live: the same pool object now has that size, and the pure pool runs with it.
    QTRY_COMPARE(first->maxSize(), chosen);
    QCOMPARE(dashboard.pool(), first);
    QCOMPARE(dashboard.poolGeneration(), 1);
    QTRY_COMPARE(first->stats().currentMaxSize, chosen);
    const quint64 gets = first->gets();
    QTRY_VERIFY(first->gets() > gets); // still serving

    // The breaker backoff is start-only: Apply replaces the pool, keeping the live size.
    auto* backoff = ui.find("backoffControl");
    QVERIFY(backoff);
    auto* backoffSlider = backoff->property("slider").value<QQuickItem*>();
    QVERIFY(backoffSlider);
    click(ui.window, backoffSlider, 0.9);
    QTRY_VERIFY(backoffSlider->property("value").toInt() != first->backoffInitial());
    const int backoffChosen = backoffSlider->property("value").toInt();
    auto* apply = ui.find("applyButton");
    QVERIFY(apply);
    QVERIFY(apply->property("text").toString().contains(QStringLiteral("replaces the pool")));
    click(ui.window, apply);
    QTRY_VERIFY(dashboard.pool() != first);
    QCOMPARE(dashboard.pool()->maxSize(), chosen);
    QCOMPARE(dashboard.pool()->backoffInitial(), backoffChosen);
    QCOMPARE(dashboard.poolGeneration(), 2);
    QCOMPARE(slider->property("value").toInt(), chosen);
    QTRY_VERIFY(dashboard.pool()->gets() > 0);
    // The old pool drains: its workers stop and it is deleted.
    QTRY_COMPARE(dashboard.retiringPools(), 0);
  }

  void theConnectionListShowsThePoolsConnections() {
    Dashboard dashboard(QString(), 0, false, {});
    QVERIFY(dashboard.isReady());
    Ui ui;
    QVERIFY(load(dashboard, ui));
    auto* list = ui.find("connectionList");
    QVERIFY(list);
    QTRY_VERIFY(list->property("count").toInt() > 0);
    QTRY_COMPARE(list->property("count").toInt(), dashboard.pool()->publishedStats().openCount);
  }

  void killingTheServerShowsFactoryFailuresAndRestartRecovers() {
    Dashboard dashboard(QString(), 0, false, {});
    QVERIFY(dashboard.isReady());
    Ui ui;
    QVERIFY(load(dashboard, ui));
    SocketPool* pool = dashboard.pool();
    QTRY_VERIFY(pool->gets() > 0);

    auto* kill = ui.find("killButton");
    auto* restart = ui.find("restartButton");
    auto* failures = ui.find("counter_factoryFailures");
    QVERIFY(kill && restart && failures);
    click(ui.window, kill);
    QTRY_VERIFY(!dashboard.server()->isRunning());
    // Connects are refused: the counter on screen moves and raises its alarm.
    QTRY_VERIFY(failures->property("value").toDouble() > 0);
    QTRY_VERIFY(failures->property("raised").toBool());

    QTRY_VERIFY(restart->isEnabled());
    click(ui.window, restart);
    QTRY_VERIFY(dashboard.server()->isRunning());
    const quint64 before = pool->puts();
    QTRY_VERIFY(pool->puts() > before + 10); // round trips complete again
  }
};

QTEST_MAIN(tst_demo_controls)
#include "tst_demo_controls.moc"
