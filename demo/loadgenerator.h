// LoadGenerator: N worker threads (LoadWorker) and, optionally, a chain of
// asynchronous acquires in the GUI thread, all doing echo round trips through
// one SocketPool; it measures acquire latency.
#pragma once

#include <QtCore/qbytearray.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qobject.h>
#include <QtQmlIntegration/qqmlintegration.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <connpool/qt/socketlease.h>

namespace connpool::qt {
class SocketPool;
}
class LoadWorker;
QT_BEGIN_NAMESPACE
class QTcpSocket;
QT_END_NAMESPACE

/// Lives in the GUI thread. The members documented as thread-safe are the
/// workers' interface.
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
  int holdTime() const; // thread-safe
  void setHoldTime(int msecs);
  /// Pause between returning a socket and the next acquire (ms).
  int thinkTime() const; // thread-safe
  void setThinkTime(int msecs);
  /// Deadline of one acquire (ms).
  int acquireTimeout() const; // thread-safe
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

  // The workers' interface (thread-safe).
  void recordLatency(qint64 usecs);
  void countRoundTrip();
  void reportLeaseError(const connpool::qt::SocketLease& lease);
  void reportError(const QString& text);

  /// One blocking echo round trip; false (with the reason) on failure.
  static bool echo(QTcpSocket& socket, const QByteArray& message, QString* failure);
  /// Bound on one echo round trip (ms).
  static constexpr int echoTimeout = 3000;

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

  // The GUI thread's chain of asynchronous acquires (one in flight).
  void resetAsync();
  void asyncStep();
  void asyncLeased(connpool::qt::SocketLease lease, qint64 usecs, quint64 sequence);
  void asyncEchoed(quint64 sequence);
  void asyncNext(int msecs);

  connpool::qt::SocketPool* pool_ = nullptr;
  int workers_ = 8;
  std::atomic<int> holdTime_{40};
  std::atomic<int> thinkTime_{40};
  std::atomic<int> acquireTimeout_{1000};
  bool asyncEnabled_ = true;
  int nextIndex_ = 1;
  std::vector<std::unique_ptr<LoadWorker>> active_;
  std::vector<std::unique_ptr<LoadWorker>> stopping_;

  std::mutex latencyMutex_;
  std::vector<qint64> latencies_;
  std::atomic<quint64> roundTrips_{0};

  std::unique_ptr<QObject> asyncContext_;
  bool asyncBusy_ = false;
  quint64 asyncSequence_ = 0;
  std::optional<connpool::qt::SocketLease> asyncLease_;
  QByteArray asyncMessage_;
  QByteArray asyncReply_;
};
