#include "socketpool.h"

#include "socketlease_p.h"
#include "socketprobe_p.h"

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
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <system_error>
#include <utility>

import connpool;

namespace connpool::qt {

namespace {

using std::chrono::milliseconds;

/// What the pure pool holds: a socket that closes itself in the right thread.
struct SocketHolder {
  detail::SocketPtr socket;
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
};

/// The started pool. Shared by the SocketPool and every lease, so a lease can
/// still be returned or discarded after the SocketPool is destroyed.
struct Engine {
  std::unique_ptr<connpool::pool<SocketHolder>> pool;
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

connpool::config<SocketHolder> makeConfig(std::shared_ptr<const Settings> s) {
  connpool::config<SocketHolder> cfg;
  cfg.factory = [s](const connpool::context& ctx) {
    detail::ConnectOptions options{s->host, s->port, s->tls, s->sslConfiguration, s->peerVerifyName};
    const QDeadlineTimer limit = s->connectTimeout > 0 ? QDeadlineTimer(s->connectTimeout, Qt::PreciseTimer)
                                                       : QDeadlineTimer(QDeadlineTimer::Forever);
    return SocketHolder{detail::connectSocket(options, earlier(limit, toDeadline(ctx)))};
  };
  // Always set: ping-on-get catches a socket that died while idle, whatever
  // the health-check interval.
  cfg.ping = [s](SocketHolder& h, const connpool::context& ctx) {
    return h.socket && detail::probeIdleSocket(*h.socket, s->ping, toDeadline(ctx));
  };
  cfg.max_size = s->maxSize > 0 ? static_cast<std::size_t>(s->maxSize) : 0;
  if (s->maxIdle >= 0) cfg.max_idle = static_cast<std::size_t>(s->maxIdle);
  cfg.max_idle_time = msecs(s->maxIdleTime);
  cfg.max_age = msecs(s->maxAge);
  cfg.health_check_interval = msecs(s->healthCheckInterval);
  cfg.health_check_timeout = msecs(s->healthCheckTimeout);
  cfg.background_maintenance = false; // driven from our own QThread instead
  return cfg;
}

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

  void release() override {
    if (!lease_) return;
    QTcpSocket& s = *lease_->socket;
    if (!ownedByThisThread(s)) {
      qWarning("connpool::qt::SocketLease: returned outside its socket's thread; the socket is closed, not pooled");
      discard();
      return;
    }
    if (!detail::isReusable(s)) {
      discard();
      return;
    }
    // The next borrower, maybe in another thread, must not run this one's slots.
    s.disconnect();
    // Push: while idle no thread owns it; the next borrower pulls it.
    if (s.thread()) s.moveToThread(nullptr);
    std::error_code ec;
    engine_->pool->put(lease_, ec); // pool_closed: it was closed instead, all a late return can get
  }

  void discard() override {
    if (!lease_) return;
    std::error_code ec;
    // The socket is deleted here, or by its owner thread if that is not us.
    engine_->pool->discard(lease_, ec);
  }

private:
  static bool ownedByThisThread(const QTcpSocket& s) { return !s.thread() || s.thread() == QThread::currentThread(); }

  std::shared_ptr<Engine> engine_;
  connpool::lease<SocketHolder> lease_;
};

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
    if (QTcpSocket* s = lease.socket(); s && !s->thread()) s->moveToThread(QThread::currentThread());
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
  explicit SocketPoolPrivate(SocketPool* q) : q(q), statsTimer(new QTimer(q)) {
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

  std::shared_ptr<Engine> start(QString* why);
  SocketLease acquire(QDeadlineTimer deadline, std::stop_token stop);
  void reportFailure(const detail::ConnectFailure& failure);
  void publishStats();
  void shutDown();

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

  SocketPool* const q;

  mutable std::mutex mutex;
  Settings settings;                        // guarded by mutex; copied and frozen at start
  std::shared_ptr<Engine> engine;           // guarded by mutex; set once, at start
  std::unique_ptr<QThread> maintenance;     // guarded by mutex; set at start when maintenance is needed
  std::atomic<bool> maintenanceDone{false}; // set by the maintenance thread as its last act
  bool shuttingDown = false;                // guarded by mutex

  std::stop_source shutdown; // ends async waits and pending health-check pings
  QThreadPool workers;       // runs async acquires; waited for on destruction

  // The SocketPool's thread only:
  QTimer* const statsTimer;
  int statsIntervalMs = 100;
  SocketPoolStats published;
};

std::shared_ptr<Engine> SocketPoolPrivate::start(QString* why) {
  std::unique_lock lk(mutex);
  if (engine || shuttingDown) return engine;
  std::error_code ec;
  std::string reason;
  auto pool = connpool::make_pool(makeConfig(std::make_shared<const Settings>(settings)), ec, &reason);
  if (!pool) {
    if (why) *why = QString::fromStdString(reason.empty() ? ec.message() : reason);
    return nullptr;
  }
  auto started = std::make_shared<Engine>();
  started->pool = std::move(pool);
  engine = started;
  // Enough helpers to connect maxSize sockets at once and still queue a waiter.
  workers.setMaxThreadCount(std::max(2, settings.maxSize + 1));

  const connpool::duration interval = started->pool->maintenance_interval();
  // QTimer counts whole milliseconds; never round a due pass down to "off".
  const milliseconds every = interval > connpool::duration::zero()
                                 ? std::max(std::chrono::ceil<milliseconds>(interval), milliseconds(1))
                                 : milliseconds(0);
  if (every > milliseconds(0)) {
    // The raw engine pointer is safe: the thread is joined before `engine` goes.
    maintenance.reset(
        QThread::create([e = started.get(), every, token = shutdown.get_token(), done = &maintenanceDone] {
          const auto ctx = connpool::context::background().with_stop_token(token);
          QTimer timer;
          timer.setInterval(every);
          QObject::connect(&timer, &QTimer::timeout, [e, &ctx] { e->pool->maintain(ctx); });
          timer.start();
          QEventLoop loop;
          loop.exec(); // until quit()
          done->store(true, std::memory_order_release);
        }));
    maintenance->setObjectName(QStringLiteral("connpool maintenance"));
    maintenance->start();
  }
  lk.unlock();
  QMetaObject::invokeMethod(q, [q = q] { emit q->startedChanged(); }, Qt::QueuedConnection);
  return started;
}

SocketLease SocketPoolPrivate::acquire(QDeadlineTimer deadline, std::stop_token stop) {
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
    connpool::lease<SocketHolder> lease = e->pool->get(ctx);
    // Pull an idle socket in: from now on this (the borrowing) thread owns it.
    // A new one was created here and is owned already.
    if (QTcpSocket& s = *lease->socket; !s.thread()) s.moveToThread(QThread::currentThread());
    return SocketLease(std::make_unique<PooledLease>(e, std::move(lease)));
  } catch (const detail::ConnectFailure& failure) {
    reportFailure(failure);
    return SocketLease(
        failedLease(SocketLease::Error::ConnectFailed, failure.message, failure.error, failure.sslErrors));
  } catch (const std::system_error& x) {
    const std::error_code code = x.code();
    SocketLease::Error error = SocketLease::Error::PoolClosed;
    if (code == connpool::errc::get_timeout) error = SocketLease::Error::Timeout;
    if (code == connpool::errc::cancelled) error = SocketLease::Error::Cancelled;
    return SocketLease(failedLease(error, QString::fromStdString(code.message())));
  } catch (const std::exception& x) { // e.g. bad_alloc in the factory
    return SocketLease(failedLease(SocketLease::Error::ConnectFailed, QString::fromUtf8(x.what())));
  }
}

void SocketPoolPrivate::reportFailure(const detail::ConnectFailure& failure) {
  // Queued even from the pool's own thread: errors, like stats, are always
  // emitted in the SocketPool's thread, after the failing call returned.
  QMetaObject::invokeMethod(
      q,
      [q = q, error = failure.error, message = failure.message, tlsErrors = failure.sslErrors] {
        if (!tlsErrors.isEmpty()) emit q->sslErrors(tlsErrors);
        emit q->connectFailed(error, message);
      },
      Qt::QueuedConnection);
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
void SocketPool::setMaxSize(int maxSize) { d->update(&Settings::maxSize, maxSize, "maxSize"); }
int SocketPool::maxIdle() const { return d->read(&Settings::maxIdle); }
void SocketPool::setMaxIdle(int maxIdle) { d->update(&Settings::maxIdle, maxIdle, "maxIdle"); }
int SocketPool::maxIdleTime() const { return d->read(&Settings::maxIdleTime); }
void SocketPool::setMaxIdleTime(int msecs) { d->update(&Settings::maxIdleTime, msecs, "maxIdleTime"); }
int SocketPool::maxAge() const { return d->read(&Settings::maxAge); }
void SocketPool::setMaxAge(int msecs) { d->update(&Settings::maxAge, msecs, "maxAge"); }
int SocketPool::healthCheckInterval() const { return d->read(&Settings::healthCheckInterval); }
void SocketPool::setHealthCheckInterval(int msecs) {
  d->update(&Settings::healthCheckInterval, msecs, "healthCheckInterval");
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

SocketLease SocketPool::acquire(QDeadlineTimer deadline) { return d->acquire(deadline, {}); }

void SocketPool::acquireAsync(QObject* receiver, AcquireCallback callback, QDeadlineTimer deadline) {
  if (!receiver || !callback) {
    qWarning("connpool::qt::SocketPool::acquireAsync: needs a receiver and a callback");
    return;
  }
  if (receiver->thread() != QThread::currentThread()) {
    qWarning("connpool::qt::SocketPool::acquireAsync: call it in the receiver's thread");
    return;
  }
  auto op = std::make_shared<AsyncAcquire>();
  op->relay = new AcquireRelay(op, std::move(callback), receiver);
  d->start(nullptr); // sizes the helper pool before the first task queues
  d->workers.start([d = d.get(), op, deadline] {
    // The raw `d` is safe: its destructor waits for every task.
    std::stop_callback cancelOnShutdown(d->shutdown.get_token(), [op] { op->stop.request_stop(); });
    SocketLease lease = d->acquire(deadline, op->stop.get_token());
    // Push: from this helper thread to no thread; the relay pulls it into the receiver's.
    if (QTcpSocket* s = lease.socket()) s->moveToThread(nullptr);
    if (!lease.isValid() && d->shutdown.stop_requested()) return; // the pool is gone: no callback
    op->deliver(std::move(lease));
  });
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
