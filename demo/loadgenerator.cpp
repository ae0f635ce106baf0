// SPDX-License-Identifier: MIT
#include "loadgenerator.h"

#include "loadworker.h"

#include <algorithm>

using connpool::qt::SocketPool;

LoadGenerator::LoadGenerator(QObject* parent) : QObject(parent) {
  connect(&stats_, &LoadStats::error, this, &LoadGenerator::leaseError);
}

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

int LoadGenerator::holdTime() const { return settings_.holdTime.load(); }
void LoadGenerator::setHoldTime(int msecs) {
  if (settings_.holdTime.exchange(qMax(0, msecs)) != qMax(0, msecs)) emit holdTimeChanged();
}
int LoadGenerator::thinkTime() const { return settings_.thinkTime.load(); }
void LoadGenerator::setThinkTime(int msecs) {
  if (settings_.thinkTime.exchange(qMax(0, msecs)) != qMax(0, msecs)) emit thinkTimeChanged();
}
int LoadGenerator::acquireTimeout() const { return settings_.acquireTimeout.load(); }
void LoadGenerator::setAcquireTimeout(int msecs) {
  if (settings_.acquireTimeout.exchange(qMax(1, msecs)) != qMax(1, msecs)) emit acquireTimeoutChanged();
}

bool LoadGenerator::isAsyncEnabled() const { return chain_.isEnabled(); }
void LoadGenerator::setAsyncEnabled(bool enabled) {
  if (enabled == chain_.isEnabled()) return;
  chain_.setEnabled(enabled);
  emit asyncEnabledChanged();
}

int LoadGenerator::runningThreads() const { return static_cast<int>(active_.size() + stopping_.size()); }

void LoadGenerator::setPool(SocketPool* pool) {
  SocketPool* previous = pool_;
  pool_ = pool;
  // The GUI chain first: its lease and pending request belong to the old pool.
  chain_.setPool(pool_);
  std::vector<std::unique_ptr<LoadWorker>> old = std::move(active_);
  active_.clear();
  for (auto& worker : old)
    stopWorker(std::move(worker));
  startWorkers();
  if (previous && previous != pool_) releaseIfUnused(previous);
}

void LoadGenerator::shutDown() {
  chain_.setEnabled(false);
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

std::vector<qint64> LoadGenerator::takeLatencies() { return stats_.takeLatencies(); }

quint64 LoadGenerator::roundTrips() const { return stats_.roundTrips(); }

void LoadGenerator::startWorkers() {
  if (!pool_) return;
  while (static_cast<int>(active_.size()) < workers_) {
    auto worker = std::make_unique<LoadWorker>(pool_, settings_, stats_, nextIndex_++);
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
