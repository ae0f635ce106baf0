// SPDX-License-Identifier: MIT
#include "echoserver.h"

#include "echolistener.h"

#include <QtNetwork/qhostaddress.h>

EchoServer::EchoServer(QObject* parent) : QObject(parent), listener_(new EchoListener(live_)) {
  thread_.setObjectName(QStringLiteral("echo server"));
  listener_->moveToThread(&thread_);
  // The server thread deletes its listener (and the connections it owns).
  connect(&thread_, &QThread::finished, listener_, &QObject::deleteLater);
  thread_.start();
  // The connection count changes in the server thread; publish it here.
  poll_.setInterval(200);
  connect(&poll_, &QTimer::timeout, this, [this] {
    const int now = live_.load();
    if (now == connections_) return;
    connections_ = now;
    emit connectionsChanged();
  });
  poll_.start();
}

EchoServer::~EchoServer() {
  inServerThread([this] {
    listener_->close();
    listener_->closeConnections(false);
  });
  thread_.quit();
  thread_.wait();
}

template <class F> void EchoServer::inServerThread(F f) {
  QMetaObject::invokeMethod(listener_, f, Qt::BlockingQueuedConnection);
}

bool EchoServer::start(quint16 port) {
  quint16 bound = 0;
  inServerThread([&] {
    if (listener_->isListening() || listener_->listen(QHostAddress::LocalHost, port)) bound = listener_->serverPort();
  });
  if (bound != 0 && bound != port_) {
    port_ = bound;
    emit portChanged();
  }
  setRunning(bound != 0);
  return bound != 0;
}

bool EchoServer::isRunning() const { return running_; }
int EchoServer::port() const { return port_; }
int EchoServer::delay() const { return delay_; }

void EchoServer::setDelay(int msecs) {
  msecs = qMax(0, msecs);
  if (msecs == delay_) return;
  delay_ = msecs;
  inServerThread([this, msecs] { listener_->setDelay(msecs); });
  emit delayChanged();
}

int EchoServer::connections() const { return connections_; }

void EchoServer::kill() {
  inServerThread([this] {
    listener_->close();
    listener_->closeConnections(false);
  });
  setRunning(false);
}

bool EchoServer::restart() { return start(static_cast<quint16>(port_)); }

void EchoServer::resetConnections() {
  inServerThread([this] { listener_->closeConnections(true); });
}

void EchoServer::setRunning(bool running) {
  if (running == running_) return;
  running_ = running;
  emit runningChanged();
}
