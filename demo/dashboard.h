// SPDX-License-Identifier: MIT
// Dashboard: what the QML window shows and drives in the embedded mode: the
// SocketPool (replaced when settings are applied), the embedded echo server,
// the load generator, and the PoolView the cards show (fed from the pool's
// statistics, with 60 s of sampled history for the charts).
#pragma once

#include "echoserver.h"
#include "loadgenerator.h"
#include "poolmonitor.h"
#include <connpool/qt/socketpool.h>

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qlist.h>
#include <QtCore/qobject.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qsslcertificate.h>
#include <QtQmlIntegration/qqmlintegration.h>

#include <memory>
#include <vector>

class Dashboard : public PoolMonitor {
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
  PoolView* view() const override;
  bool isWatching() const override;
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

Q_SIGNALS:
  void poolChanged();
  void retiringPoolsChanged();
  /// Every sample: round trips and uptime.
  void historyChanged();

private:
  std::unique_ptr<connpool::qt::SocketPool> makePool(const Settings& settings);
  void sample();
  void release(connpool::qt::SocketPool* pool);
  void watchStats(connpool::qt::SocketPool* pool);

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
  std::unique_ptr<PoolView> view_;
};
