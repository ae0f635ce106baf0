#include <connpool/qt/socketpool.h>

#include "socketlease_p.h"
#include "socketprobe_p.h"

#include <QtCore/qabstracteventdispatcher.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qcoreevent.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qlogging.h>
#include <QtCore/qthread.h>
#include <QtCore/qthreadpool.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qsslsocket.h>
#include <QtNetwork/qtcpsocket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <source_location>
#include <stop_token>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

import connpool;

namespace connpool::qt {

namespace {

using std::chrono::milliseconds;

/// What the pure pool holds: a socket that closes itself in the right thread.
struct SocketHolder {
  detail::SocketPtr socket;
  std::uint64_t id = 0; ///< the pure pool's connection id, learnt at its first lease (0 until then: pings report it)
};

/// Carries the pool's events from any thread to the SocketPool's thread, and
/// keeps the last socket error seen per connection. Shared with the pure
/// pool's callbacks, which may run after the SocketPool is gone.
class Relay {
public:
  explicit Relay(SocketPool* q) : q_(q) {}

  /// Runs `f(q)` in q's thread later, unless q is gone by then.
  template <class F> void post(F f) {
    std::lock_guard lk(mutex_);
    if (!q_) return;
    // Posted under mutex_, and the slot takes it first: ThreadSanitizer sees
    // the order (Qt's own event-queue lock is invisible to it).
    QMetaObject::invokeMethod(
        q_,
        [this, q = q_, f = std::move(f)] {
          {
            std::lock_guard lk(mutex_);
          }
          f(q);
        },
        Qt::QueuedConnection);
  }
  /// q's thread, while q is being destroyed: no more posts.
  void detach() {
    std::lock_guard lk(mutex_);
    q_ = nullptr;
  }

  void noteError(std::uint64_t id, QString error) {
    if (id == 0 || error.isEmpty()) return;
    std::lock_guard lk(mutex_);
    lastErrors_[id] = std::move(error);
  }
  void forget(std::uint64_t id) {
    std::lock_guard lk(mutex_);
    lastErrors_.erase(id);
  }
  QString lastError(std::uint64_t id) const {
    std::lock_guard lk(mutex_);
    const auto it = lastErrors_.find(id);
    return it == lastErrors_.end() ? QString() : it->second;
  }

private:
  mutable std::mutex mutex_;
  SocketPool* q_;                                         // guarded by mutex_; null once q is gone
  std::unordered_map<std::uint64_t, QString> lastErrors_; // guarded by mutex_; open connections only
};

/// The settings a started pool runs with. Frozen (immutable) and shared with
/// the pure pool's callbacks, which may outlive the SocketPool: a lease may be
/// returned after it is gone.
struct Settings {
  QString host;
  quint16 port = 0;
  int maxSize = 4;
  int maxIdle = -1;
  int maxIdleTime = 0;
  int maxAge = 0;
  int healthCheckInterval = 0;
  int healthCheckTimeout = 0;
  int connectTimeout = 5000;
  bool tls = false;
  QSslConfiguration sslConfiguration = QSslConfiguration::defaultConfiguration();
  QString peerVerifyName;
  SocketPool::PingFunction ping;
  // Resilience (#7).
  int minIdle = 0;
  int maxSizeLimit = 0;
  int maxConnecting = 0;
  bool backgroundDials = false;
  int backoffInitial = 0;
  int backoffMax = 0;
  int maxAgeJitter = 0;
  double maxRetirementsPerSecond = 0;
  int leakThreshold = 0;
  SocketPool::IdleOrder idleOrder = SocketPool::IdleOrder::Lifo;
};

/// The started pool. Shared by the SocketPool and every lease, so a lease can
/// still be returned or discarded after the SocketPool is destroyed.
struct Engine {
  std::unique_ptr<connpool::pool<SocketHolder>> pool;
  std::shared_ptr<Relay> relay;
};

QString where(const std::source_location& w) {
  return QStringLiteral("%1:%2 %3")
      .arg(QString::fromUtf8(w.file_name()))
      .arg(w.line())
      .arg(QString::fromUtf8(w.function_name()));
}

qint64 toMsecs(connpool::duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

/// The pure pool's events, queued to the SocketPool's thread.
class Observer final : public connpool::observer {
public:
  explicit Observer(std::shared_ptr<Relay> relay) : relay_(std::move(relay)) {}

  void on_closed(std::uint64_t id, connpool::close_reason) override { relay_->forget(id); }
  void on_leak(const connpool::leak_report& r) override {
    relay_->post([id = r.connection, w = where(r.where), held = toMsecs(r.held), back = r.returned](SocketPool* q) {
      if (back)
        emit q->leakReturned(id, w, held);
      else
        emit q->leakSuspected(id, w, held);
    });
  }
  void on_circuit_open(std::exception_ptr, connpool::duration) override { circuit(true); }
  void on_circuit_closed() override { circuit(false); }

private:
  void circuit(bool open);
  std::shared_ptr<Relay> relay_;
};

QDeadlineTimer toDeadline(const connpool::context& ctx) {
  if (!ctx.deadline()) return QDeadlineTimer(QDeadlineTimer::Forever);
  return QDeadlineTimer(*ctx.deadline(), Qt::PreciseTimer);
}

QDeadlineTimer earlier(QDeadlineTimer a, QDeadlineTimer b) {
  if (a.isForever()) return b;
  if (b.isForever()) return a;
  return a.deadlineNSecs() <= b.deadlineNSecs() ? a : b;
}

connpool::duration msecs(int value) { return milliseconds(std::max(value, 0)); }

/// QTimer counts whole milliseconds; never round a due pass down to "off".
int timerMsecs(connpool::duration interval) {
  if (interval <= connpool::duration::zero()) return 0;
  const auto ms = std::max(std::chrono::ceil<milliseconds>(interval), milliseconds(1)).count();
  return static_cast<int>(std::min<decltype(ms)>(ms, std::numeric_limits<int>::max()));
}

void reportFailure(Relay& relay, const detail::ConnectFailure& failure) {
  // Queued even from the pool's own thread: errors, like stats, are always
  // emitted in the SocketPool's thread, after the failing call returned.
  relay.post([error = failure.error, message = failure.message, tlsErrors = failure.sslErrors](SocketPool* q) {
    if (!tlsErrors.isEmpty()) emit q->sslErrors(tlsErrors);
    emit q->connectFailed(error, message);
  });
}

connpool::config<SocketHolder> makeConfig(std::shared_ptr<const Settings> s, std::shared_ptr<Relay> relay) {
  connpool::config<SocketHolder> cfg;
  // Runs in the acquiring thread, a background-dial thread, the maintenance
  // thread (minIdle) or warmUp's caller. Every failed connect is reported
  // here, once; an acquire refused by the open breaker is not a connect.
  cfg.factory = [s, relay](const connpool::context& ctx) {
    detail::ConnectOptions options{s->host, s->port, s->tls, s->sslConfiguration, s->peerVerifyName};
    const QDeadlineTimer limit = s->connectTimeout > 0 ? QDeadlineTimer(s->connectTimeout, Qt::PreciseTimer)
                                                       : QDeadlineTimer(QDeadlineTimer::Forever);
    try {
      SocketHolder h{detail::connectSocket(options, earlier(limit, toDeadline(ctx)))};
      // Push: a new socket belongs to no thread until a borrower pulls it
      // (the dialing thread may not be the borrower's, or may not live on).
      detail::pushToNoThread(*h.socket);
      return h;
    } catch (const detail::ConnectFailure& failure) {
      reportFailure(*relay, failure);
      throw;
    }
  };
  // Always set: ping-on-get catches a socket that died while idle, whatever
  // the health-check interval.
  cfg.ping = [s, relay](SocketHolder& h, const connpool::context& ctx) {
    if (!h.socket) return false;
    if (detail::probeIdleSocket(*h.socket, s->ping, toDeadline(ctx))) return true;
    const QAbstractSocket::SocketError error = h.socket->error();
    relay->noteError(h.id, error == QAbstractSocket::UnknownSocketError
                               ? QStringLiteral("probe failed (peer closed, reset or sent unsolicited data)")
                               : h.socket->errorString());
    return false;
  };
  cfg.max_size = s->maxSize > 0 ? static_cast<std::size_t>(s->maxSize) : 0;
  // Always tracked (not left unset), so that maxIdle can change later.
  cfg.max_idle = static_cast<std::size_t>(s->maxIdle >= 0 ? s->maxIdle : std::max(s->maxSize, 0));
  cfg.max_size_limit =
      s->maxSizeLimit > 0 ? static_cast<std::size_t>(s->maxSizeLimit) : std::max<std::size_t>(cfg.max_size, 64);
  cfg.min_idle = static_cast<std::size_t>(std::max(s->minIdle, 0));
  cfg.max_idle_time = msecs(s->maxIdleTime);
  cfg.max_age = msecs(s->maxAge);
  cfg.health_check_interval = msecs(s->healthCheckInterval);
  cfg.health_check_timeout = msecs(s->healthCheckTimeout);
  cfg.max_connecting = static_cast<std::size_t>(std::max(s->maxConnecting, 0));
  cfg.background_dials = s->backgroundDials;
  if (s->backgroundDials && s->connectTimeout > 0) cfg.dial_timeout = milliseconds(s->connectTimeout);
  cfg.backoff_initial = msecs(s->backoffInitial);
  cfg.backoff_max = msecs(s->backoffMax);
  cfg.max_age_jitter = msecs(s->maxAgeJitter);
  cfg.max_retirements_per_second = s->maxRetirementsPerSecond;
  cfg.leak_threshold = msecs(s->leakThreshold);
  cfg.order = s->idleOrder == SocketPool::IdleOrder::Fifo ? connpool::idle_order::fifo : connpool::idle_order::lifo;
  cfg.observer = std::make_shared<Observer>(relay);
  cfg.track_hold_time = true;         // a socket lease is never on the lock-free path anyway (ping is set)
  cfg.background_maintenance = false; // driven from our own QThread instead
  return cfg;
}

qint64 usecs(connpool::duration d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count(); }

SocketPoolStats toStats(const connpool::metrics& m) {
  SocketPoolStats s;
  s.openCount = static_cast<int>(m.open);
  s.idleCount = static_cast<int>(m.idle);
  s.activeCount = static_cast<int>(m.active);
  s.waitingCount = static_cast<int>(m.waiting);
  s.gets = m.gets;
  s.puts = m.puts;
  s.discards = m.discards;
  s.hits = m.hits;
  s.misses = m.misses;
  s.waits = m.waits;
  s.timeouts = m.timeouts;
  s.pingFailures = m.ping_failures;
  s.idleClosed = m.idle_closed;
  s.ageClosed = m.age_closed;
  s.factoryFailures = m.factory_failures;
  s.closeTimeouts = m.close_timeouts;
  s.maxActive = m.max_active;
  s.cancellations = m.cancellations;
  s.created = m.created;
  s.closed = m.closed;
  s.closeErrors = m.close_errors;
  using connpool::close_reason;
  s.closedIdleTime = m.closed_for(close_reason::idle_time);
  s.closedMaxAge = m.closed_for(close_reason::max_age);
  s.closedPingFailed = m.closed_for(close_reason::ping_failed);
  s.closedDiscarded = m.closed_for(close_reason::discarded);
  s.closedIdleOverflow = m.closed_for(close_reason::idle_overflow);
  s.closedPoolClosed = m.closed_for(close_reason::pool_closed);
  s.closedDrained = m.closed_for(close_reason::drained);
  s.closedResized = m.closed_for(close_reason::resized);
  s.leaksSuspected = m.leaks_suspected;
  s.circuitOpens = m.circuit_opens;
  s.circuitRejects = m.circuit_rejects;
  s.observerErrors = m.observer_errors;
  s.creatingCount = static_cast<int>(m.creating);
  s.currentMaxSize = static_cast<int>(m.max_size);
  s.currentMaxIdle = static_cast<int>(m.max_idle);
  s.circuitOpen = m.circuit_open;
  const auto percentiles = [](const connpool::histogram_snapshot& h, qint64& p50, qint64& p90, qint64& p99, qint64& max,
                              quint64& count) {
    p50 = usecs(h.p50());
    p90 = usecs(h.p90());
    p99 = usecs(h.p99());
    max = usecs(h.max());
    count = h.count;
  };
  percentiles(m.wait, s.waitP50Usecs, s.waitP90Usecs, s.waitP99Usecs, s.waitMaxUsecs, s.waitCount);
  percentiles(m.create, s.createP50Usecs, s.createP90Usecs, s.createP99Usecs, s.createMaxUsecs, s.createCount);
  percentiles(m.hold, s.holdP50Usecs, s.holdP90Usecs, s.holdP99Usecs, s.holdMaxUsecs, s.holdCount);
  percentiles(m.ping, s.pingP50Usecs, s.pingP90Usecs, s.pingP99Usecs, s.pingMaxUsecs, s.pingCount);
  return s;
}

std::unique_ptr<SocketLeasePrivate>
failedLease(SocketLease::Error error, QString message,
            QAbstractSocket::SocketError socketError = QAbstractSocket::UnknownSocketError,
            QList<QSslError> sslErrors = {}) {
  return std::make_unique<SocketLeasePrivate>(error, socketError, std::move(message), std::move(sslErrors));
}

/// A lease of the pure pool behind a SocketLease.
class PooledLease final : public SocketLeasePrivate {
public:
  PooledLease(std::shared_ptr<Engine> engine, connpool::lease<SocketHolder> lease)
      : engine_(std::move(engine)), lease_(std::move(lease)) {}
  ~PooledLease() override { release(); }

  QTcpSocket* socket() const noexcept override { return lease_ ? lease_->socket.get() : nullptr; }

  void release() override;

  /// The put itself: never inside one of the socket's signals.
  void returnNow() {
    if (!lease_) return;
    QTcpSocket& s = *lease_->socket;
    noteError();
    if (!detail::isReusable(s)) {
      discard();
      return;
    }
    // The next borrower, maybe in another thread, must not run this one's slots.
    s.disconnect();
    // Push: while idle no thread owns it; the next borrower pulls it.
    if (s.thread()) detail::pushToNoThread(s);
    std::error_code ec;
    // The pool may close it right here (closed pool, idle overflow, max age).
    detail::ReturnScope mayBeInsideItsSignal;
    engine_->pool->put(lease_, ec); // pool_closed: it was closed instead, all a late return can get
  }

  /// At the exit of the socket's thread, with a return still deferred: no
  /// event loop or current-thread bookkeeping to rely on any more.
  void closeAtThreadExit() {
    if (!lease_) return;
    delete lease_->socket.release(); // owned by this (exiting) thread
    std::error_code ec;
    engine_->pool->discard(lease_, ec);
  }

  void discard() override {
    if (!lease_) return;
    if (ownedByThisThread(*lease_->socket)) {
      noteError();
      // This may run inside one of the socket's own signals: closed now,
      // deleted once QtNetwork is done with it. (With no thread, nobody can be
      // inside its signals: the pool deletes it right here.)
      if (lease_->socket->thread()) detail::closeInThisThread(std::move(lease_->socket));
    }
    std::error_code ec;
    // Otherwise the socket is deleted here, or by its owner thread if that is not us.
    engine_->pool->discard(lease_, ec);
  }

private:
  static bool ownedByThisThread(const QTcpSocket& s) { return !s.thread() || s.thread() == QThread::currentThread(); }
  // What the borrower's socket last failed on (e.g. a read timeout), kept for
  // SocketPool::connections().
  void noteError() {
    const QTcpSocket& s = *lease_->socket;
    if (s.error() != QAbstractSocket::UnknownSocketError) engine_->relay->noteError(lease_->id, s.errorString());
  }

  std::shared_ptr<Engine> engine_;
  connpool::lease<SocketHolder> lease_;
};

/// Leases released in a thread while its event loop runs: their put waits
/// until control is back in that loop. The release may come from inside one of
/// the socket's own signals, after which QtNetwork still uses the socket; it
/// must not reach another thread before that. Every acquire in the thread
/// returns them first (so it cannot wait for its own socket).
class DeferredReturns {
public:
  void add(std::unique_ptr<PooledLease> lease) {
    leases_.push_back(std::move(lease));
    if (posted_) return;
    posted_ = true;
    // The dispatcher is a QObject of this thread that outlives its loop.
    QMetaObject::invokeMethod(
        QAbstractEventDispatcher::instance(),
        [this] {
          posted_ = false;
          returnAll();
        },
        Qt::QueuedConnection);
  }
  /// Also called by acquires; the event already posted stays (one per turn
  /// of the loop, however many leases go through meanwhile).
  void returnAll() {
    if (leases_.empty()) return;
    for (auto& lease : std::exchange(leases_, {}))
      lease->returnNow();
  }
  ~DeferredReturns() {
    for (auto& lease : leases_)
      lease->closeAtThreadExit();
  }

private:
  std::vector<std::unique_ptr<PooledLease>> leases_;
  bool posted_ = false;
};
thread_local DeferredReturns deferredReturns;

void PooledLease::release() {
  if (!lease_) return;
  QTcpSocket& s = *lease_->socket;
  if (!ownedByThisThread(s)) {
    qWarning("connpool::qt::SocketLease: returned outside its socket's thread; the socket is closed, not pooled");
    discard();
    return;
  }
  // A thread without a running event loop emits the socket's signals only
  // inside its own calls on the socket (waitFor...(), flush()); the put is
  // not deferred there (README: what that leaves).
  if (!s.thread() || QThread::currentThread()->loopLevel() == 0 || !QAbstractEventDispatcher::instance()) {
    returnNow();
    return;
  }
  // Broken already: closed (and its slot freed) now, not on the next turn.
  if (!detail::isReusable(s)) {
    discard();
    return;
  }
  s.disconnect(); // the borrower's slots must not run once it has let go
  deferredReturns.add(std::make_unique<PooledLease>(std::move(engine_), std::move(lease_)));
}

/// Orders an acquireAsync() call before its task on the helper thread (see there).
std::mutex asyncHandoff;

/// One acquireAsync() in flight, shared by the helper thread and the relay.
struct AsyncAcquire {
  std::mutex mutex;
  QObject* relay = nullptr; // guarded by mutex; null once the relay is gone
  std::stop_source stop;    // cancels the pool wait when the relay goes

  // Helper thread: post the lease to the relay, or, when it is gone, return
  // the socket to the pool right here.
  void deliver(SocketLease lease);
  // Relay's thread: no more deliveries; cancel the wait if still waiting.
  void detach() {
    {
      std::lock_guard lk(mutex);
      relay = nullptr;
    }
    stop.request_stop();
  }
};

class AcquireDoneEvent final : public QEvent {
public:
  static QEvent::Type eventType() {
    static const auto type = static_cast<QEvent::Type>(QEvent::registerEventType());
    return type;
  }
  explicit AcquireDoneEvent(SocketLease l) : QEvent(eventType()), lease(std::move(l)) {}
  SocketLease lease; // its socket is owned by no thread until the relay pulls it
};

void AsyncAcquire::deliver(SocketLease lease) {
  {
    // Posting under the lock: the relay cannot be destroyed meanwhile; once
    // posted, destroying it drops the event and so returns the lease.
    std::lock_guard lk(mutex);
    if (relay) {
      QCoreApplication::postEvent(relay, new AcquireDoneEvent(std::move(lease)));
      return;
    }
  }
  // The receiver is gone: `lease` returns its socket (owned by no thread) here.
}

/// Lives in the receiver's thread as its child: dies with it (cancelling),
/// and receives the result there.
class AcquireRelay final : public QObject {
public:
  AcquireRelay(std::shared_ptr<AsyncAcquire> op, SocketPool::AcquireCallback callback, QObject* receiver)
      : QObject(receiver), op_(std::move(op)), callback_(std::move(callback)) {}
  ~AcquireRelay() override { op_->detach(); }

protected:
  void customEvent(QEvent* event) override {
    {
      // The helper thread built and posted the event under this mutex: taking
      // it orders all of that before what follows in a way ThreadSanitizer
      // can see (Qt's own event-queue lock is invisible to it).
      std::lock_guard lk(op_->mutex);
    }
    if (event->type() != AcquireDoneEvent::eventType()) return;
    SocketLease lease = std::move(static_cast<AcquireDoneEvent*>(event)->lease);
    // Pull: from now on the receiver's thread owns the socket.
    if (QTcpSocket* s = lease.socket(); s && !s->thread()) detail::pullToThisThread(*s);
    auto callback = std::move(callback_);
    op_->detach();
    // Outlive the callback even if it destroys the receiver.
    setParent(nullptr);
    deleteLater();
    callback(std::move(lease));
  }

private:
  std::shared_ptr<AsyncAcquire> op_;
  SocketPool::AcquireCallback callback_;
};

} // namespace

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

void Observer::circuit(bool open) {
  relay_->post([open](SocketPool* q) { SocketPoolPrivate::get(q)->setCircuitOpen(open); });
}

std::shared_ptr<Engine> SocketPoolPrivate::start(QString* why) {
  std::unique_lock lk(mutex);
  if (engine || shuttingDown) return engine;
  std::error_code ec;
  std::string reason;
  auto pool = connpool::make_pool(makeConfig(std::make_shared<const Settings>(settings), relay), ec, &reason);
  if (!pool) {
    if (why) *why = QString::fromStdString(reason.empty() ? ec.message() : reason);
    return nullptr;
  }
  auto started = std::make_shared<Engine>();
  started->pool = std::move(pool);
  started->relay = relay;
  engine = started;
  // Enough helpers to connect maxSize sockets at once and still queue a waiter.
  workers.setMaxThreadCount(std::max(2, settings.maxSize + 1));

  // Only when something needs it now (min_idle, time limits, health check,
  // leak threshold, breaker); a live setting that needs it later starts it
  // then (kickMaintenance).
  if (timerMsecs(started->pool->maintenance_interval()) > 0) startMaintenanceLocked(*started);
  lk.unlock();
  QMetaObject::invokeMethod(q, [q = q] { emit q->startedChanged(); }, Qt::QueuedConnection);
  return started;
}

void SocketPoolPrivate::startMaintenanceLocked(Engine& started) {
  // Each pass re-reads maintenance_interval(), which live settings change;
  // kickMaintenance() runs one at once. The raw pointers are safe: the
  // thread is joined before `engine` goes, and `this` outlives it (shutDown).
  maintenance.reset(QThread::create([this, e = &started, token = shutdown.get_token()] {
    const auto ctx = connpool::context::background().with_stop_token(token);
    QTimer timer;
    timer.setSingleShot(true);
    QObject::connect(&timer, &QTimer::timeout, [e, &ctx, &timer] {
      e->pool->maintain(ctx);
      if (const int every = timerMsecs(e->pool->maintenance_interval())) timer.start(every);
    });
    timer.start(0); // the first pass at once: it makes the minIdle connections
    {
      std::lock_guard lk(mutex);
      maintenanceTimer = &timer;
    }
    QEventLoop loop;
    loop.exec(); // until quit()
    {
      std::lock_guard lk(mutex);
      maintenanceTimer = nullptr;
    }
    maintenanceDone.store(true, std::memory_order_release);
  }));
  maintenance->setObjectName(QStringLiteral("connpool maintenance"));
  maintenance->start();
}

void SocketPoolPrivate::kickMaintenance() {
  std::lock_guard lk(mutex);
  if (!maintenance) {
    if (engine && !shuttingDown && timerMsecs(engine->pool->maintenance_interval()) > 0)
      startMaintenanceLocked(*engine); // its first pass runs at once
    return;
  }
  // Under the lock: the thread clears the pointer (under it) before the timer goes.
  // The slot takes the lock first, so ThreadSanitizer sees the post happen
  // before it (Qt's event-queue lock is invisible to it).
  if (maintenanceTimer)
    QMetaObject::invokeMethod(
        maintenanceTimer,
        [this, t = maintenanceTimer] {
          {
            std::lock_guard lk(mutex);
          }
          t->start(0);
        },
        Qt::QueuedConnection);
}

void SocketPoolPrivate::startSoon() {
  // Queued, so that every property set in this turn of the event loop (host,
  // port, ...) is in place before the pool starts.
  if (startQueued) return;
  startQueued = true;
  QMetaObject::invokeMethod(
      q,
      [this] {
        startQueued = false;
        if (read(&Settings::minIdle) <= 0) return;
        QString why;
        if (!start(&why) && !why.isEmpty())
          qWarning("connpool::qt::SocketPool: cannot start for minIdle: %s", qPrintable(why));
      },
      Qt::QueuedConnection);
}

void SocketPoolPrivate::setCircuitOpen(bool open) {
  if (open == circuitOpen) return;
  circuitOpen = open;
  emit q->circuitOpenChanged(open);
}

void SocketPoolPrivate::updateLive(int Settings::* field, int value, const char* name) {
  std::shared_ptr<Engine> e;
  Settings now;
  {
    std::lock_guard lk(mutex);
    if (settings.*field == value) return;
    if (shuttingDown) return;
    if (!engine) {
      settings.*field = value;
    } else {
      e = engine;
      now = settings;
    }
  }
  if (e) {
    // Only this (q's) thread writes live settings, so `now` stays current.
    QString why;
    if (!applyLive(*e, field, now, value, &why)) {
      qWarning("connpool::qt::SocketPool: %s = %d refused (%s); it stays %d", name, value, qPrintable(why), now.*field);
      return;
    }
    {
      std::lock_guard lk(mutex);
      settings.*field = value;
    }
    if (field == &Settings::maxSize) workers.setMaxThreadCount(std::max(2, value + 1));
    kickMaintenance();
  }
  emit q->settingsChanged();
}

bool SocketPoolPrivate::applyLive(Engine& e, int Settings::* field, const Settings& now, int value, QString* why) {
  auto& pool = *e.pool;
  try {
    if (field == &Settings::maxSize) {
      if (value <= 0) throw std::system_error(connpool::errc::invalid_config, "maxSize must be greater than 0");
      const auto n = static_cast<std::size_t>(value);
      if (now.maxIdle >= 0) {
        pool.set_max_size(n);
      } else if (value >= now.maxSize) { // maxIdle follows maxSize: keep max_idle <= max_size throughout
        pool.set_max_size(n);
        pool.set_max_idle(n);
      } else {
        pool.set_max_idle(n);
        try {
          pool.set_max_size(n);
        } catch (...) {
          pool.set_max_idle(static_cast<std::size_t>(now.maxSize));
          throw;
        }
      }
    } else if (field == &Settings::maxIdle) {
      if (value < -1) throw std::system_error(connpool::errc::invalid_config, "maxIdle must be -1 (maxSize) or >= 0");
      pool.set_max_idle(static_cast<std::size_t>(value < 0 ? now.maxSize : value));
    } else if (field == &Settings::minIdle) {
      if (value < 0) throw std::system_error(connpool::errc::invalid_config, "minIdle must not be negative");
      pool.set_min_idle(static_cast<std::size_t>(value));
    } else if (field == &Settings::maxIdleTime) {
      pool.set_max_idle_time(milliseconds(value));
    } else if (field == &Settings::maxAge) {
      pool.set_max_age(milliseconds(value));
    } else if (field == &Settings::healthCheckInterval) {
      pool.set_health_check_interval(milliseconds(value));
    }
    return true;
  } catch (const std::system_error& x) {
    *why = QString::fromUtf8(x.what());
    return false;
  }
}

SocketLease SocketPoolPrivate::acquire(QDeadlineTimer deadline, std::stop_token stop, const std::source_location& where,
                                       bool pull) {
  QString why;
  const std::shared_ptr<Engine> e = start(&why);
  if (!e)
    return SocketLease(
        failedLease(SocketLease::Error::PoolClosed, why.isEmpty() ? QStringLiteral("pool is closed") : why));
  connpool::context ctx = deadline.isForever()
                              ? connpool::context::background()
                              : connpool::context::with_deadline(deadline.deadline<std::chrono::steady_clock>());
  ctx = ctx.with_stop_token(std::move(stop));
  try {
    connpool::lease<SocketHolder> lease = e->pool->get(ctx, where);
    lease->id = lease.id();
    // Pull the socket in: from now on this (the borrowing) thread owns it.
    if (QTcpSocket& s = *lease->socket; pull && !s.thread()) detail::pullToThisThread(s);
    return SocketLease(std::make_unique<PooledLease>(e, std::move(lease)));
  } catch (const detail::ConnectFailure& failure) {
    // Reported by the factory (connectFailed) for this acquire's own connect.
    return SocketLease(
        failedLease(SocketLease::Error::ConnectFailed, failure.message, failure.error, failure.sslErrors));
  } catch (const std::system_error& x) {
    const std::error_code code = x.code();
    // The breaker is open: no connect was tried; the last failure is nested.
    if (code == connpool::errc::circuit_open) try {
        std::rethrow_if_nested(x);
      } catch (const detail::ConnectFailure& failure) {
        return SocketLease(
            failedLease(SocketLease::Error::ConnectFailed, failure.message, failure.error, failure.sslErrors));
      } catch (...) {
      }
    SocketLease::Error error = SocketLease::Error::PoolClosed;
    if (code == connpool::errc::get_timeout) error = SocketLease::Error::Timeout;
    if (code == connpool::errc::cancelled) error = SocketLease::Error::Cancelled;
    if (code == connpool::errc::circuit_open) error = SocketLease::Error::ConnectFailed;
    return SocketLease(failedLease(error, QString::fromStdString(code.message())));
  } catch (const std::exception& x) { // e.g. bad_alloc in the factory
    return SocketLease(failedLease(SocketLease::Error::ConnectFailed, QString::fromUtf8(x.what())));
  }
}

void SocketPoolPrivate::publishStats() {
  const SocketPoolStats now = q->stats();
  if (now == published) return;
  const SocketPoolStats old = std::exchange(published, now);
  if (old.openCount != now.openCount) emit q->openCountChanged(now.openCount);
  if (old.idleCount != now.idleCount) emit q->idleCountChanged(now.idleCount);
  if (old.activeCount != now.activeCount) emit q->activeCountChanged(now.activeCount);
  if (old.waitingCount != now.waitingCount) emit q->waitingCountChanged(now.waitingCount);
  if (old.gets != now.gets) emit q->getsChanged(now.gets);
  if (old.puts != now.puts) emit q->putsChanged(now.puts);
  if (old.discards != now.discards) emit q->discardsChanged(now.discards);
  if (old.hits != now.hits) emit q->hitsChanged(now.hits);
  if (old.misses != now.misses) emit q->missesChanged(now.misses);
  if (old.waits != now.waits) emit q->waitsChanged(now.waits);
  if (old.timeouts != now.timeouts) emit q->timeoutsChanged(now.timeouts);
  if (old.pingFailures != now.pingFailures) emit q->pingFailuresChanged(now.pingFailures);
  if (old.idleClosed != now.idleClosed) emit q->idleClosedChanged(now.idleClosed);
  if (old.ageClosed != now.ageClosed) emit q->ageClosedChanged(now.ageClosed);
  if (old.factoryFailures != now.factoryFailures) emit q->factoryFailuresChanged(now.factoryFailures);
  if (old.closeTimeouts != now.closeTimeouts) emit q->closeTimeoutsChanged(now.closeTimeouts);
  if (old.maxActive != now.maxActive) emit q->maxActiveChanged(now.maxActive);
  emit q->statsChanged(now);
}

void SocketPoolPrivate::shutDown() {
  statsTimer->stop();
  relay->detach(); // events still queued to q are dropped with it
  shutdown.request_stop();
  std::shared_ptr<Engine> e;
  std::unique_ptr<QThread> thread;
  {
    std::lock_guard lk(mutex);
    shuttingDown = true;
    e = engine;
    thread = std::move(maintenance);
  }
  if (thread) {
    thread->quit();
    thread->wait();
    // wait() already orders the thread's work before ours, but through Qt's
    // futex-based lock that ThreadSanitizer cannot see; this makes it visible.
    (void)maintenanceDone.load(std::memory_order_acquire);
  }
  workers.waitForDone();
  if (e) {
    // Refuse gets and close idle sockets now; leases still out close their
    // sockets when returned (their Engine stays alive until then).
    std::error_code ec;
    e->pool->close(connpool::context::with_timeout(connpool::duration::zero()), ec);
  }
}

SocketPool::SocketPool(QObject* parent) : QObject(parent), d(std::make_unique<SocketPoolPrivate>(this)) {}

SocketPool::SocketPool(const QString& host, quint16 port, QObject* parent) : SocketPool(parent) {
  d->settings.host = host;
  d->settings.port = port;
}

SocketPool::~SocketPool() { d->shutDown(); }

QString SocketPool::host() const { return d->read(&Settings::host); }
void SocketPool::setHost(const QString& host) { d->update(&Settings::host, host, "host"); }
int SocketPool::port() const { return d->read(&Settings::port); }
void SocketPool::setPort(int port) {
  if (port < 0 || port > 65535) {
    qWarning("connpool::qt::SocketPool: port %d out of range; ignored", port);
    return;
  }
  d->update(&Settings::port, static_cast<quint16>(port), "port");
}
int SocketPool::maxSize() const { return d->read(&Settings::maxSize); }
void SocketPool::setMaxSize(int maxSize) { d->updateLive(&Settings::maxSize, maxSize, "maxSize"); }
int SocketPool::maxIdle() const { return d->read(&Settings::maxIdle); }
void SocketPool::setMaxIdle(int maxIdle) { d->updateLive(&Settings::maxIdle, maxIdle, "maxIdle"); }
int SocketPool::maxIdleTime() const { return d->read(&Settings::maxIdleTime); }
void SocketPool::setMaxIdleTime(int msecs) { d->updateLive(&Settings::maxIdleTime, msecs, "maxIdleTime"); }
int SocketPool::maxAge() const { return d->read(&Settings::maxAge); }
void SocketPool::setMaxAge(int msecs) { d->updateLive(&Settings::maxAge, msecs, "maxAge"); }
int SocketPool::healthCheckInterval() const { return d->read(&Settings::healthCheckInterval); }
void SocketPool::setHealthCheckInterval(int msecs) {
  d->updateLive(&Settings::healthCheckInterval, msecs, "healthCheckInterval");
}
int SocketPool::healthCheckTimeout() const { return d->read(&Settings::healthCheckTimeout); }
void SocketPool::setHealthCheckTimeout(int msecs) {
  d->update(&Settings::healthCheckTimeout, msecs, "healthCheckTimeout");
}
int SocketPool::connectTimeout() const { return d->read(&Settings::connectTimeout); }
void SocketPool::setConnectTimeout(int msecs) { d->update(&Settings::connectTimeout, msecs, "connectTimeout"); }
bool SocketPool::isTlsEnabled() const { return d->read(&Settings::tls); }
void SocketPool::setTlsEnabled(bool enabled) { d->update(&Settings::tls, enabled, "tlsEnabled"); }
QSslConfiguration SocketPool::sslConfiguration() const { return d->read(&Settings::sslConfiguration); }
void SocketPool::setSslConfiguration(const QSslConfiguration& configuration) {
  d->update(&Settings::sslConfiguration, configuration, "sslConfiguration");
}
void SocketPool::setCaCertificates(const QList<QSslCertificate>& certificates) {
  QSslConfiguration configuration = sslConfiguration();
  configuration.setCaCertificates(certificates);
  setSslConfiguration(configuration);
}
QString SocketPool::peerVerifyName() const { return d->read(&Settings::peerVerifyName); }
void SocketPool::setPeerVerifyName(const QString& name) {
  d->update(&Settings::peerVerifyName, name, "peerVerifyName");
}
int SocketPool::minIdle() const { return d->read(&Settings::minIdle); }
void SocketPool::setMinIdle(int count) {
  d->updateLive(&Settings::minIdle, count, "minIdle");
  if (count > 0 && !isStarted()) d->startSoon();
}
int SocketPool::maxSizeLimit() const { return d->read(&Settings::maxSizeLimit); }
void SocketPool::setMaxSizeLimit(int limit) { d->update(&Settings::maxSizeLimit, limit, "maxSizeLimit"); }
int SocketPool::maxConnecting() const { return d->read(&Settings::maxConnecting); }
void SocketPool::setMaxConnecting(int count) { d->update(&Settings::maxConnecting, count, "maxConnecting"); }
bool SocketPool::backgroundDials() const { return d->read(&Settings::backgroundDials); }
void SocketPool::setBackgroundDials(bool enabled) { d->update(&Settings::backgroundDials, enabled, "backgroundDials"); }
int SocketPool::backoffInitial() const { return d->read(&Settings::backoffInitial); }
void SocketPool::setBackoffInitial(int msecs) { d->update(&Settings::backoffInitial, msecs, "backoffInitial"); }
int SocketPool::backoffMax() const { return d->read(&Settings::backoffMax); }
void SocketPool::setBackoffMax(int msecs) { d->update(&Settings::backoffMax, msecs, "backoffMax"); }
int SocketPool::maxAgeJitter() const { return d->read(&Settings::maxAgeJitter); }
void SocketPool::setMaxAgeJitter(int msecs) { d->update(&Settings::maxAgeJitter, msecs, "maxAgeJitter"); }
double SocketPool::maxRetirementsPerSecond() const { return d->read(&Settings::maxRetirementsPerSecond); }
void SocketPool::setMaxRetirementsPerSecond(double rate) {
  d->update(&Settings::maxRetirementsPerSecond, rate, "maxRetirementsPerSecond");
}
int SocketPool::leakThreshold() const { return d->read(&Settings::leakThreshold); }
void SocketPool::setLeakThreshold(int msecs) { d->update(&Settings::leakThreshold, msecs, "leakThreshold"); }
SocketPool::IdleOrder SocketPool::idleOrder() const { return d->read(&Settings::idleOrder); }
void SocketPool::setIdleOrder(IdleOrder order) { d->update(&Settings::idleOrder, order, "idleOrder"); }
void SocketPool::setPingFunction(PingFunction ping) {
  std::lock_guard lk(d->mutex);
  if (d->configurableLocked("pingFunction")) d->settings.ping = std::move(ping);
}

int SocketPool::statsInterval() const { return d->statsIntervalMs; }
void SocketPool::setStatsInterval(int msecs) {
  msecs = std::max(msecs, 1);
  if (msecs == d->statsIntervalMs) return;
  d->statsIntervalMs = msecs;
  d->statsTimer->setInterval(msecs);
  emit statsIntervalChanged();
}

bool SocketPool::isStarted() const {
  std::lock_guard lk(d->mutex);
  return d->engine != nullptr;
}

bool SocketPool::isCircuitOpen() const { return d->circuitOpen; }

SocketLease SocketPool::acquire(QDeadlineTimer deadline, const std::source_location& where) {
  deferredReturns.returnAll();
  detail::collectClosedSockets();
  return d->acquire(deadline, {}, where, true);
}

void SocketPool::acquireAsync(QObject* receiver, AcquireCallback callback, QDeadlineTimer deadline,
                              const std::source_location& where) {
  if (!receiver || !callback) {
    qWarning("connpool::qt::SocketPool::acquireAsync: needs a receiver and a callback");
    return;
  }
  if (receiver->thread() != QThread::currentThread()) {
    qWarning("connpool::qt::SocketPool::acquireAsync: call it in the receiver's thread");
    return;
  }
  // Deferred returns stay deferred: this may be inside a socket's signal,
  // and an async acquire never waits in this thread for its own socket.
  detail::collectClosedSockets();
  auto op = std::make_shared<AsyncAcquire>();
  op->relay = new AcquireRelay(op, std::move(callback), receiver);
  d->start(nullptr); // sizes the helper pool before the first task queues
  // Submitted under asyncHandoff, which the task takes first: the task's
  // captures are written here and read there, and QThreadPool's own hand-over
  // (Qt's futex-based lock) is invisible to ThreadSanitizer.
  std::lock_guard handoff(asyncHandoff);
  d->workers.start([d = d.get(), op, deadline, where] {
    {
      std::lock_guard handedOver(asyncHandoff);
    }
    // The raw `d` is safe: its destructor waits for every task.
    std::stop_callback cancelOnShutdown(d->shutdown.get_token(), [op] { op->stop.request_stop(); });
    // The socket stays in no thread; the relay pulls it into the receiver's.
    SocketLease lease = d->acquire(deadline, op->stop.get_token(), where, false);
    if (!lease.isValid() && d->shutdown.stop_requested())
      lease = SocketLease(failedLease(SocketLease::Error::Cancelled, QStringLiteral("the pool was destroyed")));
    op->deliver(std::move(lease));
  });
}

bool SocketPool::warmUp(int msecs) {
  QString why;
  const std::shared_ptr<Engine> e = d->start(&why);
  if (!e) {
    if (!why.isEmpty()) qWarning("connpool::qt::SocketPool::warmUp: %s", qPrintable(why));
    return false;
  }
  const auto ctx = msecs < 0 ? connpool::context::background() : connpool::context::with_timeout(milliseconds(msecs));
  std::error_code ec;
  e->pool->warm_up(static_cast<std::size_t>(std::max(minIdle(), 0)), ctx, ec);
  return !ec;
}

int SocketPool::drain() {
  std::shared_ptr<Engine> e;
  {
    std::lock_guard lk(d->mutex);
    e = d->engine;
  }
  return e ? static_cast<int>(e->pool->drain()) : 0;
}

QList<ConnectionInfo> SocketPool::connections() const {
  std::shared_ptr<Engine> e;
  {
    std::lock_guard lk(d->mutex);
    e = d->engine;
  }
  QList<ConnectionInfo> out;
  if (!e) return out;
  const auto now = std::chrono::steady_clock::now(); // the pool's clock (config.clock unset)
  for (const connpool::connection_info& c : e->pool->connections()) {
    using state = connpool::connection_info::state;
    ConnectionInfo info;
    info.id = c.id;
    info.state = QString::fromLatin1(connpool::to_string(c.where));
    if (c.where != state::creating) info.ageMsecs = toMsecs(now - c.created_at);
    if (c.where == state::idle) info.idleMsecs = toMsecs(now - c.idle_since);
    info.uses = c.uses;
    info.lastError = e->relay->lastError(c.id);
    out.push_back(std::move(info));
  }
  return out;
}

SocketPoolStats SocketPool::stats() const {
  std::shared_ptr<Engine> e;
  {
    std::lock_guard lk(d->mutex);
    e = d->engine;
  }
  return e ? toStats(e->pool->stats()) : SocketPoolStats{};
}

QByteArray SocketPool::openMetrics(const QString& poolName, bool eof) const {
  std::shared_ptr<Engine> e;
  {
    std::lock_guard lk(d->mutex);
    e = d->engine;
  }
  return QByteArray::fromStdString(
      connpool::to_openmetrics(e ? e->pool->stats() : connpool::metrics{}, poolName.toStdString(), eof));
}

QByteArray SocketPool::prometheusText(const QString& poolName) const {
  std::shared_ptr<Engine> e;
  {
    std::lock_guard lk(d->mutex);
    e = d->engine;
  }
  return QByteArray::fromStdString(
      connpool::to_prometheus_text(e ? e->pool->stats() : connpool::metrics{}, poolName.toStdString()));
}

SocketPoolStats SocketPool::publishedStats() const { return d->published; }
int SocketPool::openCount() const { return d->published.openCount; }
int SocketPool::idleCount() const { return d->published.idleCount; }
int SocketPool::activeCount() const { return d->published.activeCount; }
int SocketPool::waitingCount() const { return d->published.waitingCount; }
quint64 SocketPool::gets() const { return d->published.gets; }
quint64 SocketPool::puts() const { return d->published.puts; }
quint64 SocketPool::discards() const { return d->published.discards; }
quint64 SocketPool::hits() const { return d->published.hits; }
quint64 SocketPool::misses() const { return d->published.misses; }
quint64 SocketPool::waits() const { return d->published.waits; }
quint64 SocketPool::timeouts() const { return d->published.timeouts; }
quint64 SocketPool::pingFailures() const { return d->published.pingFailures; }
quint64 SocketPool::idleClosed() const { return d->published.idleClosed; }
quint64 SocketPool::ageClosed() const { return d->published.ageClosed; }
quint64 SocketPool::factoryFailures() const { return d->published.factoryFailures; }
quint64 SocketPool::closeTimeouts() const { return d->published.closeTimeouts; }
quint64 SocketPool::maxActive() const { return d->published.maxActive; }

} // namespace connpool::qt
