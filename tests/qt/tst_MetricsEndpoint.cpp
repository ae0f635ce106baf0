// connpool::qt::MetricsEndpoint: real HTTP over loopback TCP, against
// SocketPools connected to a real echo server.
#include "echo.h"
#include "metricsendpoint.h"
#include "socketpool.h"
#include "testserver.h"

#include <QtCore/qelapsedtimer.h>
#include <QtNetwork/qtcpsocket.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <memory>
#include <vector>

using connpool::qt::MetricsEndpoint;
using connpool::qt::SocketLease;
using connpool::qt::SocketPool;

namespace {

struct HttpResponse {
  bool complete = false; // the server closed the connection
  int status = 0;
  QMap<QByteArray, QByteArray> headers; // names lower-cased
  QByteArray body, raw;
};

// Sends `request` as is and reads until the server closes. Spins the event
// loop (the endpoint lives in this thread), bounded by `timeoutMs`.
HttpResponse exchange(quint16 port, const QByteArray& request, int timeoutMs = 10000) {
  HttpResponse r;
  QTcpSocket socket;
  QObject::connect(&socket, &QTcpSocket::readyRead, [&] { r.raw += socket.readAll(); });
  socket.connectToHost(QHostAddress(QHostAddress::LocalHost), port);
  (void)QTest::qWaitFor(
      [&] {
        return socket.state() == QAbstractSocket::ConnectedState || socket.state() == QAbstractSocket::UnconnectedState;
      },
      timeoutMs);
  if (socket.state() != QAbstractSocket::ConnectedState) return r;
  socket.write(request);
  r.complete = QTest::qWaitFor([&] { return socket.state() == QAbstractSocket::UnconnectedState; }, timeoutMs);
  r.raw += socket.readAll();
  const qsizetype end = r.raw.indexOf("\r\n\r\n");
  if (end < 0) return r;
  const QList<QByteArray> lines = r.raw.left(end).split('\n');
  const QList<QByteArray> status = lines.first().trimmed().split(' ');
  if (status.size() >= 2 && status[0] == "HTTP/1.1") r.status = status[1].toInt();
  for (qsizetype i = 1; i < lines.size(); ++i) {
    const qsizetype colon = lines[i].indexOf(':');
    r.headers.insert(lines[i].left(colon).toLower(), lines[i].mid(colon + 1).trimmed());
  }
  r.body = r.raw.mid(end + 4);
  return r;
}

QByteArray get(const QByteArray& path) { return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"; }

// The value of the one sample line starting with `series` + ' ', or -1.
qint64 sampleValue(const QByteArray& body, const QByteArray& series) {
  qint64 value = -1;
  int found = 0;
  for (const QByteArray& line : body.split('\n'))
    if (line.startsWith(series + ' ')) value = line.mid(series.size() + 1).toLongLong(), ++found;
  return found == 1 ? value : -1;
}

} // namespace

class tst_MetricsEndpoint : public QObject {
  Q_OBJECT

private:
  TestServer server_;
  quint16 backendPort_ = 0;

private slots:
  void initTestCase() {
    backendPort_ = server_.start();
    QVERIFY(backendPort_);
  }

  void getMetricsServesTheOpenMetricsTextOfEveryPool() {
    SocketPool pool(QStringLiteral("127.0.0.1"), backendPort_);
    pool.setMaxSize(4);
    { // three sockets: two return idle, one stays leased
      std::vector<SocketLease> leases;
      for (int i = 0; i < 3; ++i) {
        leases.push_back(pool.acquire(QDeadlineTimer(10000)));
        QVERIFY2(leases.back().isValid(), qPrintable(leases.back().errorString()));
        QVERIFY(echoBlocking(*leases.back().socket(), "hello\n"));
      }
      leases.resize(1);
    }
    SocketLease held = pool.acquire(QDeadlineTimer(10000));
    QVERIFY(held.isValid());
    QCOMPARE(pool.stats().idleCount, 2);
    QCOMPARE(pool.stats().activeCount, 1);

    MetricsEndpoint endpoint;
    QSignalSpy listening(&endpoint, &MetricsEndpoint::listeningChanged);
    QVERIFY(endpoint.addPool(&pool, QStringLiteral("main")));
    QVERIFY2(endpoint.listen(QHostAddress(QStringLiteral("127.0.0.1"))), qPrintable(endpoint.errorString()));
    QCOMPARE(listening.size(), 1);
    QVERIFY(endpoint.isListening());
    QVERIFY(endpoint.serverPort() != 0);
    QCOMPARE(endpoint.property("port").toUInt(), uint(endpoint.serverPort()));

    QSignalSpy served(&endpoint, &MetricsEndpoint::requestsServedChanged);
    const HttpResponse r = exchange(endpoint.serverPort(), get("/metrics"));
    QVERIFY(r.complete);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.headers.value("content-type"), QByteArray("application/openmetrics-text; version=1.0.0; charset=utf-8"));
    QCOMPARE(r.headers.value("content-length").toLongLong(), r.body.size());
    QCOMPARE(r.headers.value("connection"), QByteArray("close"));
    QVERIFY(r.body.endsWith("# EOF\n"));
    QCOMPARE(r.body.count("# EOF"), 1);
    QVERIFY(r.body.contains("# TYPE db_client_connection_count gauge\n"));
    const auto stats = pool.stats();
    QCOMPARE(sampleValue(r.body, "db_client_connection_count{pool_name=\"main\",state=\"idle\"}"), stats.idleCount);
    QCOMPARE(sampleValue(r.body, "db_client_connection_count{pool_name=\"main\",state=\"used\"}"), stats.activeCount);
    QCOMPARE(sampleValue(r.body, "connpool_gets_total{pool_name=\"main\"}"), qint64(stats.gets));
    QCOMPARE(sampleValue(r.body, "connpool_created_total{pool_name=\"main\"}"), qint64(stats.created));
    QCOMPARE(endpoint.requestsServed(), quint64(1));
    QCOMPARE(served.size(), 1);

    // HEAD: the same headers, no body.
    const HttpResponse head = exchange(endpoint.serverPort(), "HEAD /metrics HTTP/1.0\r\n\r\n");
    QCOMPARE(head.status, 200);
    QVERIFY(head.headers.value("content-length").toLongLong() > 0);
    QVERIFY(head.body.isEmpty());
  }

  void otherPathsAre404OtherMethods405GarbageAndOversizedRequests400() {
    MetricsEndpoint endpoint;
    QVERIFY(endpoint.listen());
    const quint16 port = endpoint.serverPort();
    QCOMPARE(exchange(port, get("/nope")).status, 404);
    QCOMPARE(exchange(port, get("/metrics/x")).status, 404);
    const HttpResponse post = exchange(port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    QCOMPARE(post.status, 405);
    QCOMPARE(post.headers.value("allow"), QByteArray("GET, HEAD"));
    for (const QByteArray& garbage :
         {QByteArray("garbage\r\n\r\n"), QByteArray("GET /metrics\r\n\r\n"),
          QByteArray("GET /metrics HTTP/1.1\r\n\r\n"), QByteArray("GET /metrics HTTP/1.1\r\nHost x\r\n\r\n"),
          QByteArray("GET /metrics HTTP/1.1\nHost: x\n\r\n\r\n"), QByteArray("GET metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
          QByteArray("GET /metrics HTTP/2\r\nHost: x\r\n\r\n")}) {
      const HttpResponse r = exchange(port, garbage);
      QVERIFY2(r.complete, garbage.constData());
      QVERIFY2(r.status == 400, garbage.constData());
    }
    // Headers past 8 KiB, never finished: answered 400 and closed, not buffered on.
    const HttpResponse big = exchange(port, "GET /metrics HTTP/1.1\r\nX-Pad: " + QByteArray(9000, 'a'));
    QVERIFY(big.complete);
    QCOMPARE(big.status, 400);
    // Just under the limit is fine.
    const HttpResponse fits =
        exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: " + QByteArray(8000, 'a') + "\r\n\r\n");
    QCOMPARE(fits.status, 200);
    QCOMPARE(endpoint.requestsServed(), quint64(12));
  }

  void aClientThatNeverFinishesItsRequestIsDroppedAfterTheTimeout() {
    MetricsEndpoint endpoint;
    QSignalSpy timeoutChanged(&endpoint, &MetricsEndpoint::requestTimeoutChanged);
    endpoint.setRequestTimeout(200);
    QCOMPARE(timeoutChanged.size(), 1);
    QCOMPARE(endpoint.requestTimeout(), 200);
    QVERIFY(endpoint.listen());

    QTcpSocket silent, partial;
    silent.connectToHost(QHostAddress(QHostAddress::LocalHost), endpoint.serverPort());
    partial.connectToHost(QHostAddress(QHostAddress::LocalHost), endpoint.serverPort());
    QTRY_COMPARE_WITH_TIMEOUT(partial.state(), QAbstractSocket::ConnectedState, 5000);
    partial.write("GET /metrics HTTP/1.1\r\nHost: x\r\n"); // never the blank line
    QElapsedTimer since;
    since.start();
    QTRY_COMPARE_WITH_TIMEOUT(silent.state(), QAbstractSocket::UnconnectedState, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(partial.state(), QAbstractSocket::UnconnectedState, 5000);
    QVERIFY(since.elapsed() >= 100); // not at once
    QVERIFY(partial.readAll().isEmpty());
    QCOMPARE(endpoint.requestsServed(), quint64(0));
    // The endpoint still serves others.
    QCOMPARE(exchange(endpoint.serverPort(), get("/metrics")).status, 200);
  }

  void aDestroyedPoolDisappearsFromTheOutput() {
    MetricsEndpoint endpoint;
    QVERIFY(endpoint.listen());
    SocketPool first(QStringLiteral("127.0.0.1"), backendPort_);
    auto second = std::make_unique<SocketPool>(QStringLiteral("127.0.0.1"), backendPort_);
    QVERIFY(endpoint.addPool(&first, QStringLiteral("first")));
    QVERIFY(endpoint.addPool(second.get(), QStringLiteral("second")));
    QTest::ignoreMessage(QtWarningMsg, "connpool::qt::MetricsEndpoint::addPool: another pool is named \"second\"");
    QVERIFY(!endpoint.addPool(&first, QStringLiteral("second"))); // name taken
    QTest::ignoreMessage(QtWarningMsg, "connpool::qt::MetricsEndpoint::addPool: null pool");
    QVERIFY(!endpoint.addPool(nullptr, QStringLiteral("none")));
    {
      SocketLease lease = second->acquire(QDeadlineTimer(10000));
      QVERIFY(lease.isValid());
    }

    const QByteArray both = exchange(endpoint.serverPort(), get("/metrics")).body;
    QVERIFY(both.contains("pool_name=\"first\""));
    QCOMPARE(sampleValue(both, "connpool_gets_total{pool_name=\"second\"}"), 1);
    QCOMPARE(both.count("# TYPE connpool_gets_total counter"), 0);
    QCOMPARE(both.count("# TYPE connpool_gets counter\n"), 1); // each family once

    second.reset();
    const HttpResponse after = exchange(endpoint.serverPort(), get("/metrics"));
    QCOMPARE(after.status, 200);
    QVERIFY(after.body.contains("pool_name=\"first\""));
    QVERIFY(!after.body.contains("pool_name=\"second\""));

    endpoint.removePool(&first);
    QCOMPARE(exchange(endpoint.serverPort(), get("/metrics")).body, QByteArray("# EOF\n"));
  }

  void closeStopsListening() {
    MetricsEndpoint endpoint;
    QVERIFY(endpoint.listen());
    const quint16 port = endpoint.serverPort();
    QSignalSpy listening(&endpoint, &MetricsEndpoint::listeningChanged);
    endpoint.close();
    QCOMPARE(listening.size(), 1);
    QVERIFY(!endpoint.isListening());
    QVERIFY(!exchange(port, get("/metrics"), 2000).status);
  }
};

QTEST_MAIN(tst_MetricsEndpoint)
#include "tst_MetricsEndpoint.moc"
