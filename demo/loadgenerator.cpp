#include "loadgenerator.h"

#include "loadworker.h"
#include <connpool/qt/socketpool.h>

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qtcpsocket.h>

#include <algorithm>

using connpool::qt::SocketLease;
using connpool::qt::SocketPool;

namespace {
// After a failure the GUI chain waits this long before its next acquire.
constexpr int asyncBackoffMs = 250;
} // namespace

LoadGenerator::LoadGenerator(QObject* parent) : QObject(parent), asyncContext_(std::make_unique<QObject>()) {}

LoadGenerator::~LoadGenerator() { shutDown(); }

int LoadGenerator::workers() const { return workers_; }

void LoadGenerator::setWorkers(int count) {
  count = std::clamp(count, 0, 64);
  if (count == workers_) return;
  workers_ = count;
  while (static_cast<int>(active_.size()) > workers_) {
    std::unique_ptr<LoadWorker> last = std::move(active_.back());
    active_.pop_back();
    stopWorker(std::move(last));
  }
  startWorkers();
  emit workersChanged();
}

int LoadGenerator::holdTime() const { return holdTime_.load(); }
void LoadGenerator::setHoldTime(int msecs) {
  if (holdTime_.exchange(qMax(0, msecs)) != qMax(0, msecs)) emit holdTimeChanged();
}
int LoadGenerator::thinkTime() const { return thinkTime_.load(); }
void LoadGenerator::setThinkTime(int msecs) {
  if (thinkTime_.exchange(qMax(0, msecs)) != qMax(0, msecs)) emit thinkTimeChanged();
}
int LoadGenerator::acquireTimeout() const { return acquireTimeout_.load(); }
void LoadGenerator::setAcquireTimeout(int msecs) {
  if (acquireTimeout_.exchange(qMax(1, msecs)) != qMax(1, msecs)) emit acquireTimeoutChanged();
}

bool LoadGenerator::isAsyncEnabled() const { return asyncEnabled_; }
void LoadGenerator::setAsyncEnabled(bool enabled) {
  if (enabled == asyncEnabled_) return;
  asyncEnabled_ = enabled;
  resetAsync();
  emit asyncEnabledChanged();
}

int LoadGenerator::runningThreads() const { return static_cast<int>(active_.size() + stopping_.size()); }

void LoadGenerator::setPool(SocketPool* pool) {
  SocketPool* previous = pool_;
  pool_ = pool;
  // The GUI chain first: its lease and pending request belong to the old pool.
  resetAsync();
  std::vector<std::unique_ptr<LoadWorker>> old = std::move(active_);
  active_.clear();
  for (auto& worker : old)
    stopWorker(std::move(worker));
  startWorkers();
  if (previous && previous != pool_) releaseIfUnused(previous);
}

void LoadGenerator::shutDown() {
  asyncEnabled_ = false;
  resetAsync();
  for (auto& worker : active_)
    worker->requestStop();
  for (auto& worker : stopping_)
    worker->requestStop();
  std::vector<SocketPool*> pools;
  for (auto* list : {&active_, &stopping_}) {
    for (auto& worker : *list) {
      worker->wait();
      pools.push_back(worker->pool());
    }
    list->clear();
  }
  std::sort(pools.begin(), pools.end());
  pools.erase(std::unique(pools.begin(), pools.end()), pools.end());
  for (SocketPool* pool : pools)
    if (pool != pool_) emit poolReleased(pool);
}

std::vector<qint64> LoadGenerator::takeLatencies() {
  std::vector<qint64> taken;
  const std::lock_guard lock(latencyMutex_);
  taken.swap(latencies_);
  return taken;
}

quint64 LoadGenerator::roundTrips() const { return roundTrips_.load(); }

void LoadGenerator::recordLatency(qint64 usecs) {
  const std::lock_guard lock(latencyMutex_);
  latencies_.push_back(usecs);
}

void LoadGenerator::countRoundTrip() { ++roundTrips_; }

void LoadGenerator::reportLeaseError(const SocketLease& lease) {
  switch (lease.error()) {
  case SocketLease::Error::Timeout:
    reportError(QStringLiteral("acquire timed out after %1 ms (pool exhausted)").arg(acquireTimeout()));
    break;
  case SocketLease::Error::PoolClosed: reportError(QStringLiteral("acquire failed: pool closed")); break;
  // Reported by the pool's connectFailed signal; cancellations are ours.
  case SocketLease::Error::ConnectFailed:
  case SocketLease::Error::Cancelled:
  case SocketLease::Error::NoError: break;
  }
}

void LoadGenerator::reportError(const QString& text) {
  QMetaObject::invokeMethod(this, [this, text] { emit leaseError(text); }, Qt::QueuedConnection);
}

bool LoadGenerator::echo(QTcpSocket& socket, const QByteArray& message, QString* failure) {
  if (socket.write(message) != message.size()) {
    *failure = socket.errorString();
    return false;
  }
  const QDeadlineTimer deadline(echoTimeout);
  QByteArray echoed;
  while (echoed.size() < message.size()) {
    if (socket.bytesAvailable() == 0 && !socket.waitForReadyRead(static_cast<int>(deadline.remainingTime()))) {
      *failure =
          deadline.hasExpired() ? QStringLiteral("no reply within %1 ms").arg(echoTimeout) : socket.errorString();
      return false;
    }
    echoed += socket.read(message.size() - echoed.size());
  }
  if (echoed != message) *failure = QStringLiteral("wrong reply");
  return echoed == message;
}

void LoadGenerator::startWorkers() {
  if (!pool_) return;
  while (static_cast<int>(active_.size()) < workers_) {
    auto worker = std::make_unique<LoadWorker>(pool_, this, nextIndex_++);
    LoadWorker* raw = worker.get();
    // Queued to this thread: the worker thread emits finished.
    connect(raw, &QThread::finished, this, [this, raw] { workerFinished(raw); }, Qt::QueuedConnection);
    raw->start();
    active_.push_back(std::move(worker));
  }
  emit runningThreadsChanged();
}

void LoadGenerator::stopWorker(std::unique_ptr<LoadWorker> worker) {
  worker->requestStop();
  stopping_.push_back(std::move(worker));
  emit runningThreadsChanged();
}

void LoadGenerator::workerFinished(LoadWorker* worker) {
  const auto it =
      std::find_if(stopping_.begin(), stopping_.end(), [worker](const auto& w) { return w.get() == worker; });
  if (it == stopping_.end()) return; // still active (cannot finish unasked) or already waited for
  std::unique_ptr<LoadWorker> done = std::move(*it);
  stopping_.erase(it);
  done->wait();
  SocketPool* pool = done->pool();
  done.reset();
  emit runningThreadsChanged();
  if (pool != pool_) releaseIfUnused(pool);
}

void LoadGenerator::releaseIfUnused(SocketPool* pool) {
  const auto uses = [pool](const auto& w) { return w->pool() == pool; };
  if (std::any_of(active_.begin(), active_.end(), uses) || std::any_of(stopping_.begin(), stopping_.end(), uses))
    return;
  emit poolReleased(pool);
}

void LoadGenerator::resetAsync() {
  // Destroying the context cancels its pending request and timers.
  asyncContext_ = std::make_unique<QObject>();
  ++asyncSequence_;
  asyncLease_.reset(); // GUI thread: the socket's own thread
  asyncBusy_ = false;
  if (asyncEnabled_) QTimer::singleShot(0, asyncContext_.get(), [this] { asyncStep(); });
}

void LoadGenerator::asyncStep() {
  if (!asyncEnabled_ || !pool_ || asyncBusy_) return;
  asyncBusy_ = true;
  const quint64 sequence = ++asyncSequence_;
  QElapsedTimer clock;
  clock.start();
  pool_->acquireAsync(
      asyncContext_.get(),
      [this, clock, sequence](SocketLease lease) {
        asyncLeased(std::move(lease), clock.nsecsElapsed() / 1000, sequence);
      },
      QDeadlineTimer(acquireTimeout()));
}

void LoadGenerator::asyncLeased(SocketLease lease, qint64 usecs, quint64 sequence) {
  if (sequence != asyncSequence_) return; // stale: the lease goes back
  if (!lease) {
    reportLeaseError(lease);
    asyncNext(asyncBackoffMs);
    return;
  }
  recordLatency(usecs);
  asyncLease_.emplace(std::move(lease));
  QTcpSocket* socket = asyncLease_->socket();
  asyncMessage_ = QStringLiteral("gui request %1\n").arg(sequence).toLatin1();
  asyncReply_.clear();
  // Dropped by the pool when the socket is returned.
  connect(socket, &QIODevice::readyRead, asyncContext_.get(), [this, socket, sequence] {
    asyncReply_ += socket->readAll();
    if (asyncReply_.size() >= asyncMessage_.size()) asyncEchoed(sequence);
  });
  QTimer::singleShot(echoTimeout, asyncContext_.get(), [this, sequence] {
    if (sequence != asyncSequence_ || !asyncLease_ || asyncReply_.size() >= asyncMessage_.size()) return;
    asyncLease_->discard();
    asyncLease_.reset();
    reportError(QStringLiteral("echo failed (GUI thread): no reply within %1 ms").arg(echoTimeout));
    asyncNext(asyncBackoffMs);
  });
  socket->write(asyncMessage_);
}

void LoadGenerator::asyncEchoed(quint64 sequence) {
  if (asyncReply_.left(asyncMessage_.size()) != asyncMessage_) {
    asyncLease_->discard();
    asyncLease_.reset();
    reportError(QStringLiteral("echo failed (GUI thread): wrong reply"));
    asyncNext(asyncBackoffMs);
    return;
  }
  countRoundTrip();
  QTimer::singleShot(holdTime(), asyncContext_.get(), [this, sequence] {
    if (sequence != asyncSequence_) return;
    asyncLease_.reset(); // back to the pool
    asyncNext(thinkTime());
  });
}

void LoadGenerator::asyncNext(int msecs) {
  const quint64 sequence = asyncSequence_;
  QTimer::singleShot(msecs, asyncContext_.get(), [this, sequence] {
    if (sequence != asyncSequence_) return;
    asyncBusy_ = false;
    asyncStep();
  });
}
