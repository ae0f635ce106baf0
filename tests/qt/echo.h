// SPDX-License-Identifier: MIT
// One request/response round trip through a socket the calling thread owns,
// with either of Qt's socket APIs.
#pragma once

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qtcpsocket.h>

/// The blocking API: write, then waitForReadyRead until the echo is complete.
inline bool echoBlocking(QTcpSocket& socket, const QByteArray& message, int timeoutMs = 10000) {
  if (socket.write(message) != message.size()) return false;
  const QDeadlineTimer deadline(timeoutMs);
  QByteArray echoed;
  while (echoed.size() < message.size()) {
    if (socket.bytesAvailable() == 0 && !socket.waitForReadyRead(static_cast<int>(deadline.remainingTime())))
      return false;
    echoed += socket.read(message.size() - echoed.size());
  }
  return echoed == message;
}

/// The signal API: write, then readyRead in a local event loop of this thread
/// (which only works when the socket's notifiers live in this thread).
inline bool echoWithSignals(QTcpSocket& socket, const QByteArray& message, int timeoutMs = 10000) {
  QEventLoop loop;
  QByteArray echoed;
  const auto connection = QObject::connect(&socket, &QIODevice::readyRead, &loop, [&] {
    echoed += socket.read(message.size() - echoed.size());
    if (echoed.size() >= message.size()) loop.quit();
  });
  QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
  if (socket.write(message) != message.size()) return false;
  loop.exec();
  QObject::disconnect(connection);
  return echoed == message;
}
