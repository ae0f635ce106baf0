// SPDX-License-Identifier: MIT
// SocketPool over TLS (QSslSocket) against a loopback TLS echo server using a
// committed test-only certificate (certs/: CA, server cert for 127.0.0.1 and
// localhost, its key, and an unrelated CA).
#include "echo.h"
#include "testserver.h"
#include <connpool/qt/socketpool.h>

#include <QtCore/qfile.h>
#include <QtCore/qthread.h>
#include <QtNetwork/qsslsocket.h>
#include <QtTest/qsignalspy.h>
#include <QtTest/qtest.h>

#include <atomic>
#include <memory>

using connpool::qt::SocketLease;
using connpool::qt::SocketPool;

namespace {

QList<QSslCertificate> certificates(const char* name) {
  return QSslCertificate::fromPath(QStringLiteral(CONNPOOL_TEST_CERTS "/") + QLatin1String(name));
}

TlsIdentity serverIdentity() {
  QFile key(QStringLiteral(CONNPOOL_TEST_CERTS "/server.key"));
  if (!key.open(QIODevice::ReadOnly)) return TlsIdentity{QSslCertificate(), QSslKey()};
  return {certificates("server.pem").value(0), QSslKey(&key, QSsl::Rsa)};
}

} // namespace

class tst_SocketPoolTls : public QObject {
  Q_OBJECT

private slots:
  void initTestCase() {
    if (!QSslSocket::supportsSsl()) QFAIL("Qt has no TLS backend here (install libssl3)");
    QVERIFY(!certificates("ca.pem").isEmpty());
    QVERIFY(!serverIdentity().key.isNull());
  }

  void tlsEchoSucceedsWithTheRightCaAndReusesEncryptedSockets() {
    TestServer server(serverIdentity());
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    pool.setTlsEnabled(true);
    pool.setCaCertificates(certificates("ca.pem"));
    QCOMPARE(pool.sslConfiguration().peerVerifyMode(), QSslSocket::AutoVerifyPeer); // verifies: client mode
    QSignalSpy failed(&pool, &SocketPool::connectFailed);

    {
      SocketLease lease = pool.acquire(QDeadlineTimer(20000));
      QVERIFY2(lease, qPrintable(lease.errorString()));
      QVERIFY(lease.sslSocket());
      QVERIFY(lease.sslSocket()->isEncrypted());
      QVERIFY(lease.sslSocket()->sslHandshakeErrors().isEmpty());
      QVERIFY(echoBlocking(*lease.socket(), "over TLS\n"));
    }
    // Reused in another thread, with the signal API: the QSslSocket's inner
    // socket and notifiers follow it there.
    std::atomic<bool> ok{false};
    std::unique_ptr<QThread> worker(QThread::create([&] {
      SocketLease lease = pool.acquire(QDeadlineTimer(20000));
      ok = lease && lease->thread() == QThread::currentThread() && lease.sslSocket()->isEncrypted() &&
           echoWithSignals(*lease.socket(), "over TLS, elsewhere\n");
    }));
    worker->start();
    QVERIFY(worker->wait(QDeadlineTimer(60000)));
    QVERIFY(ok);
    // And a socket returned without any exchange (TLS 1.3 session tickets
    // may be waiting unread) still passes the idle probe.
    {
      SocketLease unused = pool.acquire(QDeadlineTimer(20000));
    }
    SocketLease again = pool.acquire(QDeadlineTimer(20000));
    QVERIFY(again);
    QVERIFY(echoBlocking(*again.socket(), "once more\n"));

    const auto s = pool.stats();
    QCOMPARE(s.misses, quint64(1));
    QCOMPARE(s.hits, quint64(3));
    QCOMPARE(s.pingFailures, quint64(0));
    QCOMPARE(server.accepted(), 1);
    QCOMPARE(failed.count(), 0);
  }

  void tlsHandshakeWithTheWrongCaFailsLoudly() {
    TestServer server(serverIdentity());
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    pool.setTlsEnabled(true);
    pool.setCaCertificates(certificates("other-ca.pem"));
    QSignalSpy tlsErrors(&pool, &SocketPool::sslErrors);
    QSignalSpy failed(&pool, &SocketPool::connectFailed);

    SocketLease lease = pool.acquire(QDeadlineTimer(20000));
    QVERIFY(!lease);
    QCOMPARE(lease.error(), SocketLease::Error::ConnectFailed);
    QCOMPARE(lease.socketError(), QAbstractSocket::SslHandshakeFailedError);
    QVERIFY(!lease.sslErrors().isEmpty());
    QTRY_COMPARE(tlsErrors.count(), 1);
    QTRY_COMPARE(failed.count(), 1);
    const auto reported = tlsErrors.at(0).at(0).value<QList<QSslError>>();
    QCOMPARE(reported, lease.sslErrors());
    bool untrusted = false;
    for (const QSslError& e : reported)
      untrusted |= e.error() == QSslError::UnableToGetLocalIssuerCertificate ||
                   e.error() == QSslError::CertificateUntrusted ||
                   e.error() == QSslError::UnableToVerifyFirstCertificate;
    QVERIFY2(untrusted, qPrintable(lease.errorString()));
    QCOMPARE(pool.stats().factoryFailures, quint64(1));
    QCOMPARE(pool.stats().openCount, 0);
  }

  void tlsPeerNameMismatchFailsLoudly() {
    TestServer server(serverIdentity());
    const quint16 port = server.start();
    QVERIFY(port);
    SocketPool pool(QStringLiteral("127.0.0.1"), port);
    pool.setTlsEnabled(true);
    pool.setCaCertificates(certificates("ca.pem"));
    pool.setPeerVerifyName(QStringLiteral("not-this-server.example"));
    SocketLease lease = pool.acquire(QDeadlineTimer(20000));
    QVERIFY(!lease);
    bool mismatch = false;
    for (const QSslError& e : lease.sslErrors())
      mismatch |= e.error() == QSslError::HostNameMismatch;
    QVERIFY2(mismatch, qPrintable(lease.errorString()));
  }
};

QTEST_MAIN(tst_SocketPoolTls)
#include "tst_SocketPoolTls.moc"
