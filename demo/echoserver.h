// SPDX-License-Identifier: MIT
// EchoServer: the demo's embedded echo server on 127.0.0.1, run in its own
// QThread, with the fault injection the dashboard's buttons drive.
#pragma once

#include <QtCore/qobject.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>
#include <QtQmlIntegration/qqmlintegration.h>

#include <atomic>

class EchoListener;

/// Lives in the GUI thread; its methods run the work in the server thread and
/// wait for it (each is a few system calls).
class EchoServer : public QObject {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("created by the application")

  Q_PROPERTY(bool running READ isRunning NOTIFY runningChanged)
  Q_PROPERTY(int port READ port NOTIFY portChanged)
  Q_PROPERTY(int delay READ delay WRITE setDelay NOTIFY delayChanged)
  Q_PROPERTY(int connections READ connections NOTIFY connectionsChanged)

public:
  explicit EchoServer(QObject* parent = nullptr);
  ~EchoServer() override;

  /// Listens on 127.0.0.1:`port` (0: any free port). False on failure.
  bool start(quint16 port = 0);

  bool isRunning() const;
  int port() const;
  int delay() const;
  void setDelay(int msecs);
  int connections() const;

  /// Stops listening and closes every connection: new connects are refused.
  Q_INVOKABLE void kill();
  /// Listens again on the same port.
  Q_INVOKABLE bool restart();
  /// Resets (RST) every open connection; the server keeps listening.
  Q_INVOKABLE void resetConnections();

Q_SIGNALS:
  void runningChanged();
  void portChanged();
  void delayChanged();
  void connectionsChanged();

private:
  template <class F> void inServerThread(F f);
  void setRunning(bool running);

  std::atomic<int> live_{0};
  QThread thread_;
  EchoListener* listener_;
  QTimer poll_;
  bool running_ = false;
  int port_ = 0;
  int delay_ = 0;
  int connections_ = 0;
};
