// SPDX-License-Identifier: MIT
// EchoListener: the demo's loopback echo server socket, living in the echo
// server's own thread (every member is used from there only).
#pragma once

#include <QtCore/qlist.h>
#include <QtCore/qpointer.h>
#include <QtNetwork/qtcpserver.h>

#include <atomic>

class EchoListener final : public QTcpServer {
  Q_OBJECT

public:
  /// `live` counts the connections open now; it is read by other threads.
  explicit EchoListener(std::atomic<int>& live, QObject* parent = nullptr);

  /// Per-request delay before the echo is sent (0: answer at once).
  void setDelay(int msecs);
  /// Every connection: reset (RST) when `reset`, graceful close otherwise.
  void closeConnections(bool reset);

protected:
  void incomingConnection(qintptr fd) override;

private:
  void echo(QTcpSocket* socket);

  std::atomic<int>& live_;
  int delay_ = 0;
  QList<QPointer<QTcpSocket>> connections_;
};
