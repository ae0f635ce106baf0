// SPDX-License-Identifier: MIT
// LoadGenerator: the demo's load on one SocketPool, as QML sees it. It starts
// and stops N worker threads (LoadWorker, blocking acquires) and the GUI
// thread's chain of asynchronous acquires (AsyncAcquireChain), all doing echo
// round trips with the same LoadSettings and reporting to one LoadStats.
#pragma once

#include "asyncacquirechain.h"
#include "loadsettings.h"
#include "loadstats.h"

#include <QtCore/qobject.h>
#include <QtQmlIntegration/qqmlintegration.h>

#include <memory>
#include <vector>

namespace connpool::qt {
class SocketPool;
}
class LoadWorker;

/// Lives in the GUI thread.
class LoadGenerator : public QObject {
  Q_OBJECT
  QML_ELEMENT
  QML_UNCREATABLE("created by the application")

  Q_PROPERTY(int workers READ workers WRITE setWorkers NOTIFY workersChanged)
  Q_PROPERTY(int holdTime READ holdTime WRITE setHoldTime NOTIFY holdTimeChanged)
  Q_PROPERTY(int thinkTime READ thinkTime WRITE setThinkTime NOTIFY thinkTimeChanged)
  Q_PROPERTY(int acquireTimeout READ acquireTimeout WRITE setAcquireTimeout NOTIFY acquireTimeoutChanged)
  Q_PROPERTY(bool asyncEnabled READ isAsyncEnabled WRITE setAsyncEnabled NOTIFY asyncEnabledChanged)
  Q_PROPERTY(int runningThreads READ runningThreads NOTIFY runningThreadsChanged)

public:
  explicit LoadGenerator(QObject* parent = nullptr);
  ~LoadGenerator() override;

  int workers() const;
  void setWorkers(int count);
  /// How long a leased socket is held after its round trip (ms).
  int holdTime() const;
  void setHoldTime(int msecs);
  /// Pause between returning a socket and the next acquire (ms).
  int thinkTime() const;
  void setThinkTime(int msecs);
  /// Deadline of one acquire (ms).
  int acquireTimeout() const;
  void setAcquireTimeout(int msecs);
  bool isAsyncEnabled() const;
  void setAsyncEnabled(bool enabled);
  /// Worker threads not yet finished, including ones stopping.
  int runningThreads() const;

  /// Points the load at `pool` (null: no load). Workers of the previous pool
  /// are asked to stop; poolReleased(previous) follows once none uses it.
  void setPool(connpool::qt::SocketPool* pool);
  /// Stops every worker and waits for them (at exit).
  void shutDown();

  /// Acquire latencies (microseconds) measured since the last call.
  std::vector<qint64> takeLatencies();
  /// Round trips completed so far (thread-safe).
  quint64 roundTrips() const;

Q_SIGNALS:
  void workersChanged();
  void holdTimeChanged();
  void thinkTimeChanged();
  void acquireTimeoutChanged();
  void asyncEnabledChanged();
  void runningThreadsChanged();
  /// A lease or echo failure, in this object's thread.
  void leaseError(const QString& text);
  /// No worker uses `pool` any more: its owner may delete it.
  void poolReleased(connpool::qt::SocketPool* pool);

private:
  void startWorkers();
  void stopWorker(std::unique_ptr<LoadWorker> worker);
  void workerFinished(LoadWorker* worker);
  void releaseIfUnused(connpool::qt::SocketPool* pool);

  // Declared before what uses them: the workers and the chain.
  LoadSettings settings_;
  LoadStats stats_;
  AsyncAcquireChain chain_{settings_, stats_};

  connpool::qt::SocketPool* pool_ = nullptr;
  int workers_ = 8;
  int nextIndex_ = 1;
  std::vector<std::unique_ptr<LoadWorker>> active_;
  std::vector<std::unique_ptr<LoadWorker>> stopping_;
};
