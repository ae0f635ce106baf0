// SPDX-License-Identifier: MIT
// connpool-demo: the QML dashboard of a live SocketPool under load.
//
//   connpool-demo                         embedded echo server + pool to it
//   connpool-demo --host H --port P [--tls [--ca FILE]]   an external echo server
//   connpool-demo --screenshot FILE.png --after SECONDS   offscreen run, PNG, stats line
//   connpool-demo --fault-drill ...       scripted faults on the embedded server
//   connpool-demo --watch URL [--interval S] [--pool NAME]   another program's pools, from its /metrics
#include "dashboard.h"
#include "watcher.h"

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qtimer.h>
#include <QtGui/qguiapplication.h>
#include <QtGui/qimage.h>
#include <QtQml/qqmlapplicationengine.h>
#include <QtQml/qqmlextensionplugin.h>
#include <QtQuick/qquickwindow.h>

#include <cstdio>
#include <cstring>
import connpool;

Q_IMPORT_QML_PLUGIN(ConnPoolDemoPlugin)

namespace {

/// --watch: the dashboard of another program's pools. With a screenshot
/// file: after `afterSeconds`, saves the window, prints one "watch: pool=..."
/// line per pool seen and the scrape cost, and exits 0 (1 when no pool was
/// seen or the picture could not be saved).
int runWatch(const QString& urlText, const QString& intervalText, const QString& pool, const QString& screenshot,
             double afterSeconds) {
  const QUrl url = Watcher::parseUrl(urlText);
  if (!url.isValid()) {
    std::fprintf(stderr,
                 "connpool-demo: --watch wants an http:// URL with a host, e.g. "
                 "http://127.0.0.1:9464/metrics (got %s)\n",
                 qPrintable(urlText));
    return 2;
  }
  bool ok = true;
  const double seconds = intervalText.toDouble(&ok);
  if (!ok || seconds < 0.05 || seconds > 3600) {
    std::fprintf(stderr, "connpool-demo: --interval wants seconds between 0.05 and 3600\n");
    return 2;
  }
  // Destroyed after the engine (declared first): the QML never outlives it.
  Watcher watcher(url, static_cast<int>(seconds * 1000));
  watcher.setPreferredPool(pool);
  QQmlApplicationEngine engine;
  engine.setInitialProperties({{QStringLiteral("watcher"), QVariant::fromValue(&watcher)}});
  engine.load(QUrl(QStringLiteral("qrc:/qt/qml/ConnPoolDemo/Main.qml")));
  if (engine.rootObjects().isEmpty()) return 1;
  auto* window = qobject_cast<QQuickWindow*>(engine.rootObjects().constFirst());
  if (!window) return 1;
  if (!screenshot.isEmpty()) {
    QTimer::singleShot(static_cast<int>(afterSeconds * 1000), &watcher, [&] {
      const QImage image = window->grabWindow();
      const bool saved = !image.isNull() && image.save(screenshot, "PNG");
      if (!saved) std::fprintf(stderr, "connpool-demo: could not save %s\n", qPrintable(screenshot));
      const QStringList lines = watcher.watchLines();
      for (const QString& line : lines)
        std::printf("%s\n", qPrintable(line));
      std::printf("%s\n", qPrintable(watcher.costLine()));
      if (lines.isEmpty())
        std::fprintf(stderr, "connpool-demo: no pool seen at %s: %s\n", qPrintable(watcher.url()),
                     qPrintable(watcher.statusText()));
      std::fflush(stdout);
      QCoreApplication::exit(saved && !lines.isEmpty() ? 0 : 1);
    });
  }
  return QGuiApplication::exec();
}

} // namespace

int main(int argc, char* argv[]) {
  // --version needs no display: answered before the GUI starts.
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--version") == 0) {
      std::printf("connpool-demo %s\n", connpool::version);
      return 0;
    }
  // Screenshot mode renders offscreen unless a platform was chosen.
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--screenshot") == 0 && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
      qputenv("QT_QPA_PLATFORM", "offscreen");

  QGuiApplication app(argc, argv);
  QGuiApplication::setApplicationName(QStringLiteral("connpool-demo"));

  QCommandLineParser parser;
  parser.setApplicationDescription(
      QStringLiteral("Dashboard of a connpool SocketPool under load. With no --host it starts its own echo server."));
  parser.addHelpOption();
  const QCommandLineOption version(QStringLiteral("version"), QStringLiteral("Print the connpool version and exit."));
  parser.addOption(version); // handled above, before the GUI starts
  const QCommandLineOption host(QStringLiteral("host"), QStringLiteral("Echo server to pool to."),
                                QStringLiteral("HOST"));
  const QCommandLineOption port(QStringLiteral("port"), QStringLiteral("Its port."), QStringLiteral("PORT"));
  const QCommandLineOption tls(QStringLiteral("tls"), QStringLiteral("Connect with TLS (peer verified)."));
  const QCommandLineOption ca(QStringLiteral("ca"), QStringLiteral("PEM file of the CA certificates to trust."),
                              QStringLiteral("FILE"));
  const QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                      QStringLiteral("Render offscreen, save the window to FILE and exit."),
                                      QStringLiteral("FILE"));
  const QCommandLineOption after(QStringLiteral("after"), QStringLiteral("Seconds of load before the screenshot."),
                                 QStringLiteral("SECONDS"), QStringLiteral("5"));
  const QCommandLineOption workers(QStringLiteral("workers"), QStringLiteral("Worker threads at start (default 8)."),
                                   QStringLiteral("N"));
  const QCommandLineOption drill(QStringLiteral("fault-drill"),
                                 QStringLiteral("Within --after seconds: reset the embedded server's connections, kill "
                                                "it, restart it, then slow it down (as the buttons do)."));
  const QCommandLineOption watch(QStringLiteral("watch"),
                                 QStringLiteral("Watch the pools of the program serving URL (its MetricsEndpoint or "
                                                "any connpool OpenMetrics/Prometheus text) instead of the embedded "
                                                "pool."),
                                 QStringLiteral("URL"));
  const QCommandLineOption interval(QStringLiteral("interval"),
                                    QStringLiteral("Seconds between scrapes with --watch (default 1)."),
                                    QStringLiteral("SECONDS"), QStringLiteral("1"));
  const QCommandLineOption poolOption(QStringLiteral("pool"),
                                      QStringLiteral("With --watch: the pool (pool_name) to show first."),
                                      QStringLiteral("NAME"));
  parser.addOptions({host, port, tls, ca, screenshot, after, workers, drill, watch, interval, poolOption});
  parser.process(app);

  const bool external = parser.isSet(host) || parser.isSet(port);
  bool portOk = true;
  const uint portValue = parser.value(port).toUInt(&portOk);
  if (external && (!parser.isSet(host) || !portOk || portValue == 0 || portValue > 65535)) {
    std::fprintf(stderr, "connpool-demo: --host and --port (1-65535) go together\n");
    return 2;
  }
  if (parser.isSet(tls) && !external) {
    std::fprintf(stderr, "connpool-demo: --tls needs --host/--port (the embedded echo server is plain TCP)\n");
    return 2;
  }
  QList<QSslCertificate> caCertificates;
  if (parser.isSet(ca)) {
    caCertificates = QSslCertificate::fromPath(parser.value(ca));
    if (caCertificates.isEmpty()) {
      std::fprintf(stderr, "connpool-demo: no certificate in %s\n", qPrintable(parser.value(ca)));
      return 2;
    }
  }
  bool afterOk = true;
  const double afterSeconds = parser.value(after).toDouble(&afterOk);
  if (!afterOk || afterSeconds < 0) {
    std::fprintf(stderr, "connpool-demo: --after wants a number of seconds\n");
    return 2;
  }

  if (parser.isSet(watch)) {
    if (parser.isSet(host) || parser.isSet(port) || parser.isSet(tls) || parser.isSet(workers) || parser.isSet(drill)) {
      std::fprintf(stderr, "connpool-demo: --watch shows another program's pools: no --host, --port, --tls, "
                           "--workers or --fault-drill with it\n");
      return 2;
    }
    return runWatch(parser.value(watch), parser.value(interval), parser.value(poolOption),
                    parser.isSet(screenshot) ? parser.value(screenshot) : QString(), afterSeconds);
  }
  if (parser.isSet(interval) || parser.isSet(poolOption)) {
    std::fprintf(stderr, "connpool-demo: --interval and --pool go with --watch\n");
    return 2;
  }

  // Destroyed after the engine (declared first): the QML never outlives it.
  Dashboard dashboard(external ? parser.value(host) : QString(), static_cast<quint16>(portValue), parser.isSet(tls),
                      caCertificates);
  if (!dashboard.isReady()) {
    std::fprintf(stderr, "connpool-demo: the embedded echo server could not listen on 127.0.0.1\n");
    return 1;
  }
  if (parser.isSet(workers)) dashboard.generator()->setWorkers(parser.value(workers).toInt());

  QQmlApplicationEngine engine;
  engine.setInitialProperties({{QStringLiteral("dashboard"), QVariant::fromValue(&dashboard)}});
  engine.load(QUrl(QStringLiteral("qrc:/qt/qml/ConnPoolDemo/Main.qml")));
  if (engine.rootObjects().isEmpty()) return 1;
  auto* window = qobject_cast<QQuickWindow*>(engine.rootObjects().constFirst());
  if (!window) return 1;

  if (parser.isSet(drill) && dashboard.server()) {
    // The same calls and log lines as the fault injection buttons.
    EchoServer* server = dashboard.server();
    const auto at = [&](double fraction, auto step) {
      QTimer::singleShot(static_cast<int>(afterSeconds * 1000 * fraction), &dashboard, step);
    };
    at(0.30, [&dashboard, server] {
      server->resetConnections();
      dashboard.log(QStringLiteral("warning"), QStringLiteral("drill: server reset every connection"));
    });
    at(0.45, [&dashboard, server] {
      server->kill();
      dashboard.log(QStringLiteral("warning"), QStringLiteral("drill: echo server killed"));
    });
    at(0.60, [&dashboard, server] {
      dashboard.log(server->restart() ? QStringLiteral("info") : QStringLiteral("error"),
                    QStringLiteral("drill: echo server restarted"));
    });
    at(0.75, [&dashboard, server] {
      server->setDelay(15);
      dashboard.log(QStringLiteral("info"), QStringLiteral("drill: server delay set to 15 ms"));
    });
  }

  if (parser.isSet(screenshot)) {
    const QString file = parser.value(screenshot);
    QTimer::singleShot(static_cast<int>(afterSeconds * 1000), &app, [&] {
      const QImage image = window->grabWindow();
      const bool saved = !image.isNull() && image.save(file, "PNG");
      if (!saved) std::fprintf(stderr, "connpool-demo: could not save %s\n", qPrintable(file));
      dashboard.stopLoad();
      std::printf("%s\n", qPrintable(dashboard.statsLine()));
      std::fflush(stdout);
      QCoreApplication::exit(saved ? 0 : 1);
    });
  }
  return QGuiApplication::exec();
}
