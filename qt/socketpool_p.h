// Private: SocketPoolPrivate, the state behind a SocketPool: its settings,
// the started pool, the maintenance thread, the async-acquire helpers and
// the published stats, and who may touch each.
#pragma once

#include <connpool/qt/socketlease.h>
#include <connpool/qt/socketpool.h>
#include <connpool/qt/socketpoolstats.h>

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qlogging.h>
#include <QtCore/qobject.h>
#include <QtCore/qstring.h>
#include <QtCore/qthread.h>
#include <QtCore/qthreadpool.h>
#include <QtCore/qtimer.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <source_location>
#include <stop_token>
#include <utility>

#include "eventmailbox_p.h"
#include "poolsettings_p.h"
#include "runningpool_p.h"

namespace connpool::qt {

class SocketPoolPrivate {
public:
  explicit SocketPoolPrivate(SocketPool* q) : q(q), relay(std::make_shared<Relay>(q)), statsTimer(new QTimer(q)) {
    // Single shot, restarted after each tick: two publications are always at
    // least statsInterval apart, even when a tick runs late.
    statsTimer->setSingleShot(true);
    statsTimer->setTimerType(Qt::PreciseTimer);
    statsTimer->setInterval(statsIntervalMs);
    QObject::connect(statsTimer, &QTimer::timeout, q, [this] {
      publishStats();
      statsTimer->start();
    });
    statsTimer->start();
  }

  static SocketPoolPrivate* get(SocketPool* q) { return q->d.get(); }

  std::shared_ptr<Engine> start(QString* why);
  /// `pull`: move the socket into the calling thread (false: it stays in no
  /// thread, for the async path to hand on).
  SocketLease acquire(QDeadlineTimer deadline, std::stop_token stop, const std::source_location& where, bool pull);
  void publishStats();
  void shutDown();
  void kickMaintenance();
  void startMaintenanceLocked(Engine& started);
  void setCircuitOpen(bool open);
  void startSoon();

  template <class T> T read(T Settings::* field) const {
    std::lock_guard lk(mutex);
    return settings.*field;
  }
  template <class T> void update(T Settings::* field, T value, const char* name) {
    {
      std::lock_guard lk(mutex);
      if (!configurableLocked(name) || settings.*field == value) return;
      settings.*field = std::move(value);
    }
    emit q->settingsChanged();
  }
  bool configurableLocked(const char* name) const {
    if (!engine && !shuttingDown) return true;
    qWarning("connpool::qt::SocketPool: %s changed after the pool started; ignored", name);
    return false;
  }
  /// A live setting: stored before the start; applied to the running pool
  /// after it (refused with a warning naming the rule when it cannot be).
  void updateLive(int Settings::* field, int value, const char* name);
  bool applyLive(Engine& e, int Settings::* field, const Settings& now, int value, QString* why);

  SocketPool* const q;
  const std::shared_ptr<Relay> relay; // the pure pool's callbacks hold it too

  mutable std::mutex mutex;
  Settings settings;                        // guarded by mutex; live ones written by q's thread only
  std::shared_ptr<Engine> engine;           // guarded by mutex; set once, at start
  std::unique_ptr<QThread> maintenance;     // guarded by mutex; set when maintenance is first needed
  QTimer* maintenanceTimer = nullptr;       // guarded by mutex; lives in `maintenance` while it runs
  std::atomic<bool> maintenanceDone{false}; // set by the maintenance thread as its last act
  bool shuttingDown = false;                // guarded by mutex

  std::stop_source shutdown; // ends async waits and pending health-check pings
  QThreadPool workers;       // runs async acquires; waited for on destruction

  // The SocketPool's thread only:
  QTimer* const statsTimer;
  int statsIntervalMs = 100;
  SocketPoolStats published;
  bool circuitOpen = false;
  bool startQueued = false;
};

} // namespace connpool::qt
