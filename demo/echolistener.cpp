// SPDX-License-Identifier: MIT
#include "echolistener.h"

#include "resetconnection.h"

#include <QtCore/qtimer.h>
#include <QtNetwork/qtcpsocket.h>

EchoListener::EchoListener(std::atomic<int>& live, QObject* parent) : QTcpServer(parent), live_(live) {}

void EchoListener::setDelay(int msecs) { delay_ = qMax(0, msecs); }

void EchoListener::closeConnections(bool reset) {
  for (const QPointer<QTcpSocket>& s : std::as_const(connections_)) {
    if (!s) continue;
    if (reset) {
      resetConnection(*s);
      s->deleteLater();
    } else {
      s->disconnectFromHost();
    }
  }
  connections_.clear();
}

void EchoListener::incomingConnection(qintptr fd) {
  auto* s = new QTcpSocket(this);
  if (!s->setSocketDescriptor(fd)) {
    delete s;
    return;
  }
  ++live_;
  connections_.removeAll(nullptr);
  connections_.append(s);
  connect(s, &QIODevice::readyRead, this, [this, s] { echo(s); });
  // Counted once, however the connection ends.
  connect(s, &QObject::destroyed, this, [this] { --live_; });
  connect(s, &QAbstractSocket::disconnected, s, &QObject::deleteLater);
  connect(s, &QAbstractSocket::errorOccurred, s, [s] {
    if (s->state() == QAbstractSocket::UnconnectedState) s->deleteLater();
  });
}

void EchoListener::echo(QTcpSocket* socket) {
  const QByteArray data = socket->readAll();
  if (delay_ == 0) {
    socket->write(data);
    return;
  }
  // The socket is the timer's context: a connection closed meanwhile drops it.
  QTimer::singleShot(delay_, socket, [socket, data] {
    if (socket->state() == QAbstractSocket::ConnectedState) socket->write(data);
  });
}
