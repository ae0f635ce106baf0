// SPDX-License-Identifier: MIT
// The dashboard in watch mode (Main.qml with a Watcher) against a real
// MetricsEndpoint served by this test process, with two SocketPools under
// load on the demo's echo server: the QML shows both pools, its counters
// and latency tiles match the endpoint's numbers; the endpoint killed and
// restarted turns the status red then green and shows the reset; garbage,
// huge, non-metrics and silent endpoints are refused with a message.
#include "echoserver.h"
#include "scrapedpools.h"
#include "watcher.h"
#include "watchmath.h"
#include <connpool/qt/metricsendpoint.h>
#include <connpool/qt/socketpool.h>

#include <QtCore/qscopedpointer.h>
#include <QtCore/qthread.h>
#include <QtNetwork/qtcpserver.h>
#include <QtNetwork/qtcpsocket.h>
#include <QtQml/qqmlapplicationengine.h>
#include <QtQml/qqmlextensionplugin.h>
#include <QtQuick/qquickitem.h>
#include <QtQuick/qquickwindow.h>
#include <QtTest/qtest.h>

#include <atomic>
#include <cmath>
#include <memory>
#include <vector>

Q_IMPORT_QML_PLUGIN(ConnPoolDemoPlugin)

using connpool::qt::MetricsEndpoint;
using connpool::qt::SocketLease;
using connpool::qt::SocketPool;

namespace {

/// The watched program: two pools on an echo server, workers leasing from
/// them, and a MetricsEndpoint serving both.
class WatchedApp {
public:
  explicit WatchedApp(quint16 metricsPort = 0) {
    ok_ = echo_.start();
    orders_ = std::make_unique<SocketPool>(QStringLiteral("127.0.0.1"), static_cast<quint16>(echo_.port()));
    orders_->setMaxSize(3);
    sessions_ = std::make_unique<SocketPool>(QStringLiteral("127.0.0.1"), static_cast<quint16>(echo_.port()));
    sessions_->setMaxSize(1); // three workers share one connection: they wait
    endpoint_.addPool(orders_.get(), QStringLiteral("orders"));
    endpoint_.addPool(sessions_.get(), QStringLiteral("sessions"));
    ok_ = ok_ && endpoint_.listen(QHostAddress::LocalHost, metricsPort);
  }
  ~WatchedApp() { stopLoad(); }

  bool ok() const { return ok_; }
  QString url() const { return QStringLiteral("http://127.0.0.1:%1/metrics").arg(endpoint_.serverPort()); }
  quint16 port() const { return endpoint_.serverPort(); }
  SocketPool* orders() const { return orders_.get(); }
  SocketPool* sessions() const { return sessions_.get(); }
  MetricsEndpoint& endpoint() { return endpoint_; }

  void startLoad(int perPool) {
    for (SocketPool* pool : {orders_.get(), sessions_.get()})
      for (int i = 0; i < perPool; ++i) {
        threads_.emplace_back(QThread::create([pool, this] {
          while (!stop_.load()) {
            SocketLease lease = pool->acquire(QDeadlineTimer(500));
            if (!lease.isValid()) continue;
            QTcpSocket* s = lease.socket();
            s->write("ping\n");
            QByteArray reply;
            while (reply.size() < 5 && (s->bytesAvailable() > 0 || s->waitForReadyRead(2000)))
              reply += s->readAll();
            QThread::usleep(500); // holds the lease a moment: the others wait
          }
        }));
        threads_.back()->start();
      }
  }
  void stopLoad() {
    stop_ = true;
    for (auto& t : threads_)
      t->wait();
    threads_.clear();
    stop_ = false;
  }

private:
  bool ok_ = false;
  EchoServer echo_;
  std::unique_ptr<SocketPool> orders_, sessions_;
  MetricsEndpoint endpoint_;
  std::atomic<bool> stop_{false};
  std::vector<std::unique_ptr<QThread>> threads_;
};

/// An HTTP server that answers every request with a canned response; "huge"
/// streams a body in 1 MiB pieces until `streamBytes` or the client leaves.
class CannedServer : public QTcpServer {
public:
  QByteArray head, body;
  qint64 streamBytes = 0;
  bool silent = false;
  qint64 written = 0; // body bytes handed to the socket, over all clients

  CannedServer() {
    connect(this, &QTcpServer::newConnection, this, [this] {
      while (QTcpSocket* s = nextPendingConnection()) {
        connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
        connect(s, &QTcpSocket::readyRead, s, [this, s] {
          if (!s->readAll().contains("\r\n\r\n") || silent || s->property("answered").toBool()) return;
          s->setProperty("answered", true);
          s->write(head + "\r\n");
          s->write(body);
          written += body.size();
          if (streamBytes == 0)
            s->disconnectFromHost();
          else
            more(s);
        });
        connect(s, &QTcpSocket::bytesWritten, s, [this, s] { more(s); });
      }
    });
  }
  QString url() const { return QStringLiteral("http://127.0.0.1:%1/metrics").arg(serverPort()); }

private:
  void more(QTcpSocket* s) {
    if (streamBytes == 0 || s->state() != QAbstractSocket::ConnectedState || s->bytesToWrite() > (1 << 20)) return;
    const qint64 sent = s->property("sent").toLongLong();
    if (sent >= streamBytes) {
      s->disconnectFromHost();
      return;
    }
    static const QByteArray piece((1 << 20), 'x');
    s->write(piece);
    written += piece.size();
    s->setProperty("sent", sent + piece.size());
  }
};

struct Ui {
  QScopedPointer<QQmlApplicationEngine> engine;
  QQuickWindow* window = nullptr;
  QQuickItem* find(const char* name) const { return find(window->contentItem(), QString::fromLatin1(name)); }
  static QQuickItem* find(QQuickItem* item, const QString& name) {
    if (item->objectName() == name) return item;
    const QList<QQuickItem*> children = item->childItems();
    for (QQuickItem* child : children)
      if (QQuickItem* found = find(child, name)) return found;
    return nullptr;
  }
  /// A Counter's value on screen.
  double counter(const char* name) const {
    QQuickItem* c = find(name);
    return c ? c->property("value").toDouble() : -1;
  }
  QString text(const char* name) const {
    QQuickItem* t = find(name);
    return t ? t->property("text").toString() : QString();
  }
  QString status() const {
    QQuickItem* pill = find("statusPill");
    return pill ? pill->property("status").toString() : QString();
  }
};

bool load(Watcher& watcher, Ui& ui) {
  ui.engine.reset(new QQmlApplicationEngine);
  ui.engine->setInitialProperties({{QStringLiteral("watcher"), QVariant::fromValue(&watcher)}});
  ui.engine->load(QUrl(QStringLiteral("qrc:/qt/qml/ConnPoolDemo/Main.qml")));
  if (ui.engine->rootObjects().isEmpty()) return false;
  ui.window = qobject_cast<QQuickWindow*>(ui.engine->rootObjects().constFirst());
  return ui.window && QTest::qWaitForWindowExposed(ui.window);
}

/// The latency tile's text for a wait quantile of `buckets`, as the QML formats it.
QString tile(double q, const std::vector<watchmath::Bucket>& buckets) {
  const double us = std::round(*watchmath::histogramQuantile(q, buckets) * 1e6);
  return QString::number(us / 1000, 'f', us < 10000 ? 2 : 1);
}

} // namespace

class tst_demo_watch : public QObject {
  Q_OBJECT

private slots:
  void bothPoolsShowAndTheirCountersAndLatencyTilesMatchTheEndpoint() {
    WatchedApp app;
    QVERIFY(app.ok());
    app.startLoad(3);
    Watcher watcher(QUrl(app.url()), 200);
    Ui ui;
    QVERIFY(load(watcher, ui));

    QTRY_VERIFY(ui.text("poolNames").contains(QStringLiteral("orders")));
    QVERIFY(ui.text("poolNames").contains(QStringLiteral("sessions")));
    QCOMPARE(watcher.poolNames(), (QStringList{QStringLiteral("orders"), QStringLiteral("sessions")}));
    QCOMPARE(ui.status(), QStringLiteral("up"));
    // Both at a glance in the watch card.
    QTRY_VERIFY(ui.find("summary_orders") && ui.find("summary_sessions"));
    // Counters move on screen, with a rate.
    QTRY_VERIFY(ui.counter("counter_gets") > 0);
    const double first = ui.counter("counter_gets");
    QTRY_VERIFY(ui.counter("counter_gets") > first);
    QTRY_VERIFY(ui.find("counter_gets")->property("rate").toDouble() > 0);

    // Still: the figures on screen are the endpoint's, exactly.
    app.stopLoad();
    const Scrape now = readScrape(app.endpoint().render().toStdString());
    QVERIFY2(now.error.isEmpty(), qPrintable(now.error));
    QVERIFY(watcher.setUrl(app.url())); // from scratch: the tiles cover the whole histogram
    for (int index : {0, 1}) {
      watcher.select(index);
      SocketPool* pool = index == 0 ? app.orders() : app.sessions();
      const auto stats = pool->stats();
      QTRY_COMPARE(ui.counter("counter_gets"), static_cast<double>(stats.gets));
      QCOMPARE(ui.counter("counter_hits"), static_cast<double>(stats.hits));
      QCOMPARE(ui.counter("counter_waits"), static_cast<double>(stats.waits));
      QCOMPARE(ui.counter("counter_puts"), static_cast<double>(stats.puts));
      QCOMPARE(ui.counter("counter_timeouts"), static_cast<double>(stats.timeouts));
      const auto& wait = now.pools[static_cast<std::size_t>(index)].histograms.at(QStringLiteral("wait"));
      QCOMPARE(ui.text("waitP50"), tile(0.5, wait));
      QCOMPARE(ui.text("waitP99"), tile(0.99, wait));
      QVERIFY(ui.find("gaugeOpen")->property("value").toInt() == stats.openCount);
    }
    QVERIFY(app.sessions()->stats().waits > 0); // one connection, three workers
    // The screenshot mode's lines say the same.
    const QStringList lines = watcher.watchLines();
    QCOMPARE(lines.size(), 2);
    QVERIFY2(lines[1].startsWith(QStringLiteral("watch: pool=sessions gets=%1 hits=%2 waits=%3 ")
                                     .arg(app.sessions()->stats().gets)
                                     .arg(app.sessions()->stats().hits)
                                     .arg(app.sessions()->stats().waits)),
             qPrintable(lines[1]));
  }

  void aKilledEndpointTurnsRedKeepsTheLastFiguresAndARestartShowsTheReset() {
    auto app = std::make_unique<WatchedApp>();
    QVERIFY(app->ok());
    app->startLoad(2);
    const quint16 port = app->port();
    Watcher watcher(QUrl(app->url()), 200);
    Ui ui;
    QVERIFY(load(watcher, ui));
    QTRY_COMPARE(ui.status(), QStringLiteral("up"));
    QTRY_VERIFY(ui.counter("counter_gets") > 50);
    QQuickItem* figures = ui.find("poolFigures");
    QVERIFY(figures);
    QCOMPARE(figures->opacity(), 1.0);

    // Killed: red, the last good figures kept and greyed.
    app.reset();
    QTRY_COMPARE(ui.status(), QStringLiteral("down"));
    QVERIFY(watcher.view()->isStale());
    QTRY_VERIFY(figures->opacity() < 1.0);
    QVERIFY(ui.counter("counter_gets") > 50);
    QVERIFY2(ui.text("statusText").startsWith(QStringLiteral("DOWN: ")), qPrintable(ui.text("statusText")));

    // Restarted on the same port with fresh counters: green, and a reset.
    app = std::make_unique<WatchedApp>(port);
    QVERIFY(app->ok());
    {
      SocketLease lease = app->orders()->acquire(QDeadlineTimer(5000));
      QVERIFY(lease.isValid());
    }
    QTRY_COMPARE(ui.status(), QStringLiteral("up"));
    QTRY_VERIFY(watcher.view()->resets() >= 1);
    QTRY_VERIFY(ui.find("resetBadge")->isVisible());
    QTRY_COMPARE(ui.counter("counter_gets"), static_cast<double>(app->orders()->stats().gets));
    QCOMPARE(figures->opacity(), 1.0);
    // Rates are never negative across the reset.
    for (const QVariant& r : watcher.view()->rates())
      QVERIFY(r.toDouble() >= 0);
  }

  void garbageHugeAndSilentEndpointsAreRefusedWithAMessage() {
    CannedServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost));
    server.head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n";
    server.body = "<html><body>this is no metrics page</body></html>\n";
    Watcher watcher(QUrl(server.url()), 200);
    watcher.scraper()->setTimeout(600);
    Ui ui;
    QVERIFY(load(watcher, ui));
    auto refused = [&](const QString& why) {
      return ui.status() == QLatin1String("down") && ui.text("statusText").contains(why);
    };
    QTRY_VERIFY2(refused(QStringLiteral("not metrics text (line 1")), qPrintable(ui.text("statusText")));

    // HTML: refused by its Content-Type.
    server.head = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nConnection: close\r\n";
    QVERIFY(watcher.setUrl(server.url()));
    QTRY_VERIFY2(refused(QStringLiteral("not metrics: the response is text/html")), qPrintable(ui.text("statusText")));

    // Not found: the HTTP status says so.
    server.head = "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\n";
    QVERIFY(watcher.setUrl(server.url()));
    QTRY_VERIFY2(refused(QStringLiteral("HTTP 404 Not Found")), qPrintable(ui.text("statusText")));

    // 50 MB announced: refused at the headers.
    server.head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 52428800\r\nConnection: close\r\n";
    server.body.clear();
    server.streamBytes = 50 << 20;
    server.written = 0;
    QVERIFY(watcher.setUrl(server.url()));
    QTRY_VERIFY2(refused(QStringLiteral("response of 50.0 MiB refused")), qPrintable(ui.text("statusText")));

    // 50 MB without a length: refused once 8 MiB are read, long before the end.
    server.head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n";
    server.written = 0;
    QVERIFY(watcher.setUrl(server.url()));
    QTRY_VERIFY2(refused(QStringLiteral("larger than the 8.0 MiB limit")), qPrintable(ui.text("statusText")));
    QVERIFY2(server.written < (40 << 20), qPrintable(QString::number(server.written)));

    // Silent: cut off by the deadline. Entered in the window's URL field.
    server.silent = true;
    QQuickItem* field = ui.find("urlField");
    QQuickItem* button = ui.find("watchButton");
    QVERIFY(field && button);
    const QString silentUrl = QStringLiteral("127.0.0.1:%1/silent").arg(server.serverPort());
    field->setProperty("text", silentUrl);
    QTest::mouseClick(ui.window, Qt::LeftButton, Qt::NoModifier,
                      button->mapToScene(QPointF(button->width() / 2, button->height() / 2)).toPoint());
    QTRY_COMPARE(watcher.url(), QStringLiteral("http://") + silentUrl);
    QTRY_VERIFY2(refused(QStringLiteral("too slow")), qPrintable(ui.text("statusText")));
    QVERIFY(watcher.poolNames().isEmpty());

    // Not a URL: refused before any request.
    QVERIFY(!watcher.setUrl(QStringLiteral("ftp://127.0.0.1/metrics")));
    QVERIFY(!Watcher::parseUrl(QStringLiteral("http://")).isValid());
    QCOMPARE(Watcher::parseUrl(QStringLiteral("127.0.0.1:9464")).toString(),
             QStringLiteral("http://127.0.0.1:9464/metrics"));
  }
};

QTEST_MAIN(tst_demo_watch)
#include "tst_demo_watch.moc"
