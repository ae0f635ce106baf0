// SPDX-License-Identifier: MIT
#include "testserver.h"

#include "resetconnection.h"

#include <QtCore/qlist.h>
#include <QtCore/qpointer.h>
#include <QtNetwork/qsslsocket.h>
#include <QtNetwork/qtcpserver.h>

#if defined(Q_OS_WIN)
#include <winsock2.h>
#else
#include <sys/socket.h>
#endif

namespace {

// Written for WinSock too (not built there): half-close of one server-side
// connection (its reset is resetConnection, shared with the demo).
void shutDownSending(qintptr fd) {
#if defined(Q_OS_WIN)
  ::shutdown(static_cast<SOCKET>(fd), SD_SEND);
#else
  ::shutdown(static_cast<int>(fd), SHUT_WR);
#endif
}

} // namespace

class EchoServer final : public QTcpServer {
public:
  EchoServer(std::optional<TlsIdentity> tls, std::atomic<int>& accepted, std::atomic<int>& live)
      : accepted(accepted), live(live), tls_(std::move(tls)) {}

  // Server thread only, like every member below.
  void closeAll(bool reset, bool half) {
    for (const QPointer<QTcpSocket>& s : std::as_const(connections_)) {
      if (!s) continue;
      if (half) {
        shutDownSending(s->socketDescriptor());
        continue;
      }
      if (reset) {
        resetConnection(*s);
        s->deleteLater();
      } else {
        s->disconnectFromHost();
      }
    }
  }
  void stopAll() {
    close();
    closeAll(false, false);
  }

  bool echoing = true;
  std::atomic<int>& accepted;
  std::atomic<int>& live;

protected:
  void incomingConnection(qintptr fd) override {
    QTcpSocket* s = tls_ ? new QSslSocket(this) : new QTcpSocket(this);
    if (!s->setSocketDescriptor(fd)) {
      delete s;
      return;
    }
    ++accepted;
    ++live;
    connections_.append(s);
    connect(s, &QIODevice::readyRead, this, [this, s] {
      const QByteArray data = s->readAll();
      if (echoing) s->write(data);
    });
    // Counted once, however the connection ends.
    connect(s, &QObject::destroyed, this, [this] { --live; });
    connect(s, &QAbstractSocket::disconnected, s, &QObject::deleteLater);
    connect(s, &QAbstractSocket::errorOccurred, s, [s] {
      if (s->state() == QAbstractSocket::UnconnectedState) s->deleteLater();
    });
    if (auto* ssl = qobject_cast<QSslSocket*>(s)) {
      ssl->setLocalCertificate(tls_->certificate);
      ssl->setPrivateKey(tls_->key);
      ssl->startServerEncryption();
    }
  }

private:
  std::optional<TlsIdentity> tls_;
  QList<QPointer<QTcpSocket>> connections_;
};

TestServer::TestServer(std::optional<TlsIdentity> tls) : server_(new EchoServer(std::move(tls), accepted_, live_)) {
  thread_.setObjectName(QStringLiteral("test server"));
  server_->moveToThread(&thread_);
  QObject::connect(&thread_, &QThread::finished, server_, &QObject::deleteLater);
  QObject::connect(
      &thread_, &QThread::finished, &thread_, [this] { finished_.store(true, std::memory_order_release); },
      Qt::DirectConnection);
  thread_.start();
}

TestServer::~TestServer() {
  stop();
  thread_.quit();
  thread_.wait();
  (void)finished_.load(std::memory_order_acquire);
}

template <class F> void TestServer::inServerThread(F f) {
  QMetaObject::invokeMethod(server_, f, Qt::BlockingQueuedConnection);
}

quint16 TestServer::start(quint16 port) {
  quint16 result = 0;
  inServerThread([&] {
    if (server_->listen(QHostAddress::LocalHost, port)) result = server_->serverPort();
  });
  return result;
}

void TestServer::stop() {
  inServerThread([this] { server_->stopAll(); });
}
void TestServer::closeConnections() {
  inServerThread([this] { server_->closeAll(false, false); });
}
void TestServer::resetConnections() {
  inServerThread([this] { server_->closeAll(true, false); });
}
void TestServer::halfCloseConnections() {
  inServerThread([this] { server_->closeAll(false, true); });
}
void TestServer::setEchoing(bool on) {
  inServerThread([this, on] { server_->echoing = on; });
}
int TestServer::accepted() const { return accepted_.load(); }
int TestServer::live() const { return live_.load(); }
