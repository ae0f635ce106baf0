// SPDX-License-Identifier: MIT
// Private: PoolObjectPrivate, what the state behind every Qt pool object
// (SocketPool, SqlPool) has in common, written once: the settings under a
// mutex (fixed ones refused once started, live ones applied to the running
// pool), the running pool, the start for minIdle, the breaker state, the
// stats timer and the published snapshot, and the members of the public
// classes that only read the running pool (warmUp, drain, connections, the
// metrics text). Imports connpool (maintenancedriver_p.h): include it last.
#pragma once

#include <connpool/qt/connectioninfo.h>
#include <connpool/qt/socketpoolstats.h>

#include <QtCore/qbytearray.h>
#include <QtCore/qlist.h>
#include <QtCore/qlogging.h>
#include <QtCore/qmetaobject.h>
#include <QtCore/qobject.h>
#include <QtCore/qstring.h>
#include <QtCore/qtimer.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <stop_token>
#include <system_error>
#include <utility>

#include "connectionerrorlog_p.h"
#include "maintenancedriver_p.h"
#include "statsconversion_p.h"
#include "statspublisher_p.h"

namespace connpool::qt {

/// The base of SocketPoolPrivate and SqlPoolPrivate (CRTP). `Q` is the
/// public QObject; `Settings` its settings struct (with the fields
/// poollimits_p.h names); `Running` the started pool (`pool`, `errorLog`).
/// `Derived` provides:
///  - `std::shared_ptr<Running> start(QString* why)`: null after close or
///    with invalid settings (`why` says which rule);
///  - `bool applyLive(pool&, int Settings::* field, const Settings& now,
///    int value, QString* why)`: a live setting applied to the running pool;
/// and may hide `void countQueued(connpool::metrics&) const` (below).
template <class Derived, class Q, class Settings, class Running> class PoolObjectPrivate {
public:
  explicit PoolObjectPrivate(Q* q) : q(q), statsTimer(new QTimer(q)) {
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
  PoolObjectPrivate(const PoolObjectPrivate&) = delete;
  PoolObjectPrivate& operator=(const PoolObjectPrivate&) = delete;

  /// The running pool, or null before the start.
  std::shared_ptr<Running> runningPool() const {
    std::lock_guard lk(mutex);
    return running;
  }

  template <class T> T read(T Settings::* field) const {
    std::lock_guard lk(mutex);
    return settings.*field;
  }
  /// A setting fixed at start: stored before it, refused with a warning after.
  template <class T> void setFixed(T Settings::* field, T value, const char* name) {
    {
      std::lock_guard lk(mutex);
      if (!acceptsFixedSettingLocked(name) || settings.*field == value) return;
      settings.*field = std::move(value);
    }
    emit q->settingsChanged();
  }
  bool acceptsFixedSettingLocked(const char* name) const {
    if (!running && !closed) return true;
    qWarning("%s: %s changed after the pool started; ignored", className(), name);
    return false;
  }
  /// A live setting: stored before the start; applied to the running pool
  /// after it (refused with a warning naming the rule when it cannot be).
  void setLive(int Settings::* field, int value, const char* name) {
    std::shared_ptr<Running> e;
    Settings now;
    {
      std::lock_guard lk(mutex);
      if (settings.*field == value || closed) return;
      if (!running)
        settings.*field = value;
      else {
        e = running;
        now = settings;
      }
    }
    if (e) {
      // Only q's thread writes live settings, so `now` stays current.
      QString why;
      if (!derived().applyLive(*e->pool, field, now, value, &why)) {
        qWarning("%s: %s = %d refused (%s); it stays %d", className(), name, value, qPrintable(why), now.*field);
        return;
      }
      {
        std::lock_guard lk(mutex);
        settings.*field = value;
      }
      kickMaintenance(); // a setting that needs passes now starts them
    }
    emit q->settingsChanged();
  }

  /// Starts the pool for minIdle at the next turn of the event loop: queued,
  /// so that every property set in this turn (host, port, ...) is in place
  /// before it starts.
  void startSoon() {
    if (startQueued) return;
    startQueued = true;
    QMetaObject::invokeMethod(
        q,
        [this] {
          startQueued = false;
          if (read(&Settings::minIdle) <= 0) return;
          QString why;
          if (!derived().start(&why) && !why.isEmpty())
            qWarning("%s: cannot start for minIdle: %s", className(), qPrintable(why));
        },
        Qt::QueuedConnection);
  }

  void setCircuitOpen(bool open) {
    if (open == circuitOpen) return;
    circuitOpen = open;
    emit q->circuitOpenChanged(open);
  }

  void setStatsInterval(int msecs) {
    msecs = std::max(msecs, 1);
    if (msecs == statsIntervalMs) return;
    statsIntervalMs = msecs;
    statsTimer->setInterval(msecs);
    emit q->statsIntervalChanged();
  }
  void publishStats() {
    const SocketPoolStats now = q->stats();
    if (now == published) return;
    const SocketPoolStats old = std::exchange(published, now);
    emitStatsChange(q, old, now);
  }

  // ---- the public members that only read the running pool ---------------

  bool warmUp(int msecs) {
    QString why;
    const std::shared_ptr<Running> e = derived().start(&why);
    if (!e) {
      if (!why.isEmpty()) qWarning("%s::warmUp: %s", className(), qPrintable(why));
      return false;
    }
    const auto ctx =
        msecs < 0 ? connpool::context::background() : connpool::context::with_timeout(std::chrono::milliseconds(msecs));
    std::error_code ec;
    e->pool->warm_up(static_cast<std::size_t>(std::max(read(&Settings::minIdle), 0)), ctx, ec);
    return !ec;
  }
  int drain() {
    const std::shared_ptr<Running> e = runningPool();
    return e ? static_cast<int>(e->pool->drain()) : 0;
  }
  QList<ConnectionInfo> connections() const {
    const std::shared_ptr<Running> e = runningPool();
    QList<ConnectionInfo> out;
    if (!e) return out;
    const auto now = std::chrono::steady_clock::now(); // the pool's clock (config.clock unset)
    for (const connpool::connection_info& c : e->pool->connections())
      out.push_back(toConnectionInfo(c, now, e->errorLog->lastError(c.id)));
    return out;
  }
  /// The pure pool's metrics with what waits outside it (countQueued);
  /// all zero before the start. What stats() and the metrics text report.
  connpool::metrics poolMetrics() const {
    const std::shared_ptr<Running> e = runningPool();
    if (!e) return {};
    connpool::metrics m = e->pool->stats();
    derived().countQueued(m);
    return m;
  }
  /// Derived hides it when work waits in a queue of its own before the pure
  /// pool sees it (SqlPool's calls). Nothing does here.
  void countQueued(connpool::metrics&) const {}
  QByteArray openMetrics(const QString& poolName, bool eof) const {
    return QByteArray::fromStdString(connpool::to_openmetrics(poolMetrics(), poolName.toStdString(), eof));
  }
  QByteArray prometheusText(const QString& poolName) const {
    return QByteArray::fromStdString(connpool::to_prometheus_text(poolMetrics(), poolName.toStdString()));
  }

  Q* const q;

  mutable std::mutex mutex;
  Settings settings;                // guarded by mutex; live ones written by q's thread only
  std::shared_ptr<Running> running; // guarded by mutex; set once, at start
  bool closed = false;              // guarded by mutex; set by close()

  std::stop_source stopOnClose;  // requested by close(): ends waits and the maintenance pass in flight
  MaintenanceDriver maintenance; // started (under mutex) when the pool needs passes; stopped by close()

  // q's thread only:
  QTimer* const statsTimer;
  int statsIntervalMs = 100;
  SocketPoolStats published;
  bool circuitOpen = false;
  bool startQueued = false;

protected:
  ~PoolObjectPrivate() = default;

  /// Starts maintenance passes if the running pool needs them now.
  void kickMaintenance() {
    std::lock_guard lk(mutex);
    if (running && !closed) maintenance.kick(*running->pool, stopOnClose.get_token());
  }

private:
  Derived& derived() { return static_cast<Derived&>(*this); }
  const Derived& derived() const { return static_cast<const Derived&>(*this); }
  static const char* className() { return Q::staticMetaObject.className(); }
};

} // namespace connpool::qt
