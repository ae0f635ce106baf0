// SPDX-License-Identifier: MIT
// Dashboard: what the QML window shows and drives: the SocketPool (replaced
// when settings are applied), the embedded echo server, the load generator,
// and 60 s of sampled history for the charts.
#pragma once

#include "echoserver.h"
#include "loadgenerator.h"
#include <connpool/qt/socketpool.h>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qlist.h>
#include <QtCore/qobject.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qsslcertificate.h>
#include <QtQmlIntegration/qqmlintegration.h>

#include <memory>
#include <vector>

class Dashboard : public QObject {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("created by the application")

  Q_PROPERTY(connpool::qt::SocketPool* pool READ pool NOTIFY poolChanged)
  Q_PROPERTY(int poolGeneration READ poolGeneration NOTIFY poolChanged)
  Q_PROPERTY(EchoServer* server READ server CONSTANT)
  Q_PROPERTY(LoadGenerator* generator READ generator CONSTANT)
  Q_PROPERTY(QString target READ target CONSTANT)
  Q_PROPERTY(bool tls READ isTls CONSTANT)
  Q_PROPERTY(int retiringPools READ retiringPools NOTIFY retiringPoolsChanged)

  Q_PROPERTY(int sampleInterval READ sampleInterval CONSTANT)
  Q_PROPERTY(qreal historySeconds READ historySeconds CONSTANT)
  Q_PROPERTY(QList<qreal> timeHistory READ timeHistory NOTIFY historyChanged)
  Q_PROPERTY(QList<qreal> activeHistory READ activeHistory NOTIFY historyChanged)
  Q_PROPERTY(QList<qreal> idleHistory READ idleHistory NOTIFY historyChanged)
  Q_PROPERTY(QList<qreal> waitingHistory READ waitingHistory NOTIFY historyChanged)
  Q_PROPERTY(QList<qreal> p50History READ p50History NOTIFY historyChanged)
  Q_PROPERTY(QList<qreal> p99History READ p99History NOTIFY historyChanged)
  Q_PROPERTY(QList<qreal> hitRateHistory READ hitRateHistory NOTIFY historyChanged)
  Q_PROPERTY(qreal latencyP50 READ latencyP50 NOTIFY historyChanged)
  Q_PROPERTY(qreal latencyP99 READ latencyP99 NOTIFY historyChanged)
  Q_PROPERTY(qreal hitRate READ hitRate NOTIFY historyChanged)
  Q_PROPERTY(quint64 roundTrips READ roundTrips NOTIFY historyChanged)
  Q_PROPERTY(qreal uptime READ uptime NOTIFY historyChanged)

public:
  /// The settings a new pool gets (milliseconds; 0 = off; maxIdle -1 = maxSize).
  struct Settings {
    int maxSize = 6;
    int maxIdle = 4;
    int maxIdleTime = 5000;
    int maxAge = 20000;
    int healthCheckInterval = 1000;
    int minIdle = 1;
    int backoffInitial = 500; ///< circuit breaker (start-only)
    int leakThreshold = 3000; ///< leases held longer are logged (start-only)
  };

  /// An empty `host` starts the embedded echo server and pools to it.
  Dashboard(const QString& host, quint16 port, bool tls, const QList<QSslCertificate>& caCertificates,
            QObject* parent = nullptr);
  ~Dashboard() override;

  /// False when the embedded server could not listen.
  bool isReady() const;

  connpool::qt::SocketPool* pool() const;
  int poolGeneration() const;
  EchoServer* server() const;
  LoadGenerator* generator() const;
  QString target() const;
  bool isTls() const;
  int retiringPools() const;

  int sampleInterval() const;
  /// The span of the history (the charts' 60 s).
  qreal historySeconds() const;
  /// When each sample was taken (seconds since start): the charts' x axis.
  QList<qreal> timeHistory() const;
  QList<qreal> activeHistory() const;
  QList<qreal> idleHistory() const;
  QList<qreal> waitingHistory() const;
  QList<qreal> p50History() const;
  QList<qreal> p99History() const;
  QList<qreal> hitRateHistory() const;
  qreal latencyP50() const;
  qreal latencyP99() const;
  qreal hitRate() const;
  quint64 roundTrips() const;
  qreal uptime() const;

  /// For the settings a running SocketPool cannot change (the circuit
  /// breaker's backoff here): drains the current pool (its workers finish
  /// their round trip and stop, then it is deleted) and starts a new one with
  /// the current pool's live settings and this backoff. Counters restart.
  /// maxSize, maxIdle, minIdle and the durations are set on the live pool
  /// directly (the QML sliders do that).
  Q_INVOKABLE void applySettings(int backoffInitial);
  /// Retires every connection of the current pool (SocketPool::drain).
  Q_INVOKABLE void drain();
  /// Stops the load and waits for the workers (before a final stats line).
  Q_INVOKABLE void stopLoad();
  /// One line with every counter and gauge of the current pool.
  Q_INVOKABLE QString statsLine() const;
  /// Adds an entry to the event log (fault injection buttons use it too).
  Q_INVOKABLE void log(const QString& severity, const QString& text);

Q_SIGNALS:
  void poolChanged();
  void retiringPoolsChanged();
  void historyChanged();
  /// severity: "info", "warning" or "error".
  void event(const QString& severity, const QString& text);

private:
  std::unique_ptr<connpool::qt::SocketPool> makePool(const Settings& settings);
  void sample();
  void release(connpool::qt::SocketPool* pool);
  void trimHistory();

  QString host_;
  quint16 port_ = 0;
  bool tls_ = false;
  QList<QSslCertificate> caCertificates_;
  bool ready_ = true;

  std::unique_ptr<EchoServer> server_;
  std::unique_ptr<connpool::qt::SocketPool> pool_;
  std::vector<std::unique_ptr<connpool::qt::SocketPool>> retired_;
  int generation_ = 1;
  // Declared last: destroyed (workers stopped) before the pools.
  std::unique_ptr<LoadGenerator> generator_;

  QTimer sampler_;
  QElapsedTimer uptime_;
  connpool::qt::SocketPoolStats previous_;
  QList<qreal> time_, active_, idle_, waiting_, p50_, p99_, hitRate_;
};
