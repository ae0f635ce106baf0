// SPDX-License-Identifier: MIT
// SocketPool: a pool of QTcpSocket (or QSslSocket) connections to one host
// and port, usable from any thread, over the pure connpool::pool.
#pragma once

#include <connpool/qt/global.h>

#include <connpool/qt/connectioninfo.h>
#include <connpool/qt/socketlease.h>
#include <connpool/qt/socketpoolstats.h>

#include <QtCore/qbytearray.h>
#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qobject.h>
#include <QtNetwork/qabstractsocket.h>
#include <QtNetwork/qsslcertificate.h>
#include <QtNetwork/qsslconfiguration.h>
#include <QtNetwork/qsslerror.h>

#include <functional>
#include <memory>
#include <source_location>

QT_BEGIN_NAMESPACE
class QTcpSocket;
QT_END_NAMESPACE

namespace connpool::qt {

class SocketPoolPrivate;

/// Threading rules:
///  - The SocketPool object lives in one thread (usually the GUI thread):
///    its properties, setters and signals belong there; stats signals are
///    always emitted there.
///  - acquire() may be called from any thread; the socket it returns is owned
///    by the calling thread (created there, or pulled there from no thread).
///    It blocks: in the GUI thread use acquireAsync().
///  - A leased socket is used by its thread only; returning it pushes it to
///    no thread, so no two threads ever touch it at once.
///  - Settings are read when the pool starts (first acquire, warmUp or
///    minIdle). maxSize, maxIdle, minIdle, maxIdleTime, maxAge and
///    healthCheckInterval stay live: set later (in this object's thread),
///    they apply to the running pool at once, or are refused with a warning
///    naming the rule (the property keeps its value). Every other setting is
///    fixed once started (a warning says so), except statsInterval.
///  - The pool's events (circuitOpenChanged, leakSuspected, leakReturned,
///    connectFailed) happen in any thread; they are queued and emitted in
///    this object's thread.
///  - Destruction stops the maintenance thread (quit + wait), cancels pending
///    async acquires and closes idle sockets. Outstanding leases stay valid;
///    their sockets are closed when returned. It may wait for a connect or a
///    ping in flight, each bounded by its timeout.
class CONNPOOL_QT_EXPORT SocketPool : public QObject {
  Q_OBJECT

  // Settings (milliseconds; 0 = off).
  Q_PROPERTY(QString host READ host WRITE setHost NOTIFY settingsChanged)
  Q_PROPERTY(int port READ port WRITE setPort NOTIFY settingsChanged)
  Q_PROPERTY(int maxSize READ maxSize WRITE setMaxSize NOTIFY settingsChanged)
  Q_PROPERTY(int maxIdle READ maxIdle WRITE setMaxIdle NOTIFY settingsChanged)
  Q_PROPERTY(int maxIdleTime READ maxIdleTime WRITE setMaxIdleTime NOTIFY settingsChanged)
  Q_PROPERTY(int maxAge READ maxAge WRITE setMaxAge NOTIFY settingsChanged)
  Q_PROPERTY(int healthCheckInterval READ healthCheckInterval WRITE setHealthCheckInterval NOTIFY settingsChanged)
  Q_PROPERTY(int healthCheckTimeout READ healthCheckTimeout WRITE setHealthCheckTimeout NOTIFY settingsChanged)
  Q_PROPERTY(int connectTimeout READ connectTimeout WRITE setConnectTimeout NOTIFY settingsChanged)
  Q_PROPERTY(bool tlsEnabled READ isTlsEnabled WRITE setTlsEnabled NOTIFY settingsChanged)
  Q_PROPERTY(QString peerVerifyName READ peerVerifyName WRITE setPeerVerifyName NOTIFY settingsChanged)
  Q_PROPERTY(int minIdle READ minIdle WRITE setMinIdle NOTIFY settingsChanged)
  Q_PROPERTY(int maxSizeLimit READ maxSizeLimit WRITE setMaxSizeLimit NOTIFY settingsChanged)
  Q_PROPERTY(int maxConnecting READ maxConnecting WRITE setMaxConnecting NOTIFY settingsChanged)
  Q_PROPERTY(bool backgroundDials READ backgroundDials WRITE setBackgroundDials NOTIFY settingsChanged)
  Q_PROPERTY(int backoffInitial READ backoffInitial WRITE setBackoffInitial NOTIFY settingsChanged)
  Q_PROPERTY(int backoffMax READ backoffMax WRITE setBackoffMax NOTIFY settingsChanged)
  Q_PROPERTY(int maxAgeJitter READ maxAgeJitter WRITE setMaxAgeJitter NOTIFY settingsChanged)
  Q_PROPERTY(double maxRetirementsPerSecond READ maxRetirementsPerSecond WRITE setMaxRetirementsPerSecond NOTIFY
                 settingsChanged)
  Q_PROPERTY(int leakThreshold READ leakThreshold WRITE setLeakThreshold NOTIFY settingsChanged)
  Q_PROPERTY(IdleOrder idleOrder READ idleOrder WRITE setIdleOrder NOTIFY settingsChanged)
  Q_PROPERTY(Fairness fairness READ fairness WRITE setFairness NOTIFY settingsChanged)
  Q_PROPERTY(int fairnessBound READ fairnessBound WRITE setFairnessBound NOTIFY settingsChanged)
  Q_PROPERTY(int statsInterval READ statsInterval WRITE setStatsInterval NOTIFY statsIntervalChanged)
  Q_PROPERTY(bool started READ isStarted NOTIFY startedChanged)
  Q_PROPERTY(bool circuitOpen READ isCircuitOpen NOTIFY circuitOpenChanged)

  // Statistics: the last published snapshot (see statsChanged).
  Q_PROPERTY(int openCount READ openCount NOTIFY openCountChanged)
  Q_PROPERTY(int idleCount READ idleCount NOTIFY idleCountChanged)
  Q_PROPERTY(int activeCount READ activeCount NOTIFY activeCountChanged)
  Q_PROPERTY(int waitingCount READ waitingCount NOTIFY waitingCountChanged)
  Q_PROPERTY(quint64 gets READ gets NOTIFY getsChanged)
  Q_PROPERTY(quint64 puts READ puts NOTIFY putsChanged)
  Q_PROPERTY(quint64 discards READ discards NOTIFY discardsChanged)
  Q_PROPERTY(quint64 hits READ hits NOTIFY hitsChanged)
  Q_PROPERTY(quint64 misses READ misses NOTIFY missesChanged)
  Q_PROPERTY(quint64 waits READ waits NOTIFY waitsChanged)
  Q_PROPERTY(quint64 timeouts READ timeouts NOTIFY timeoutsChanged)
  Q_PROPERTY(quint64 pingFailures READ pingFailures NOTIFY pingFailuresChanged)
  Q_PROPERTY(quint64 idleClosed READ idleClosed NOTIFY idleClosedChanged)
  Q_PROPERTY(quint64 ageClosed READ ageClosed NOTIFY ageClosedChanged)
  Q_PROPERTY(quint64 factoryFailures READ factoryFailures NOTIFY factoryFailuresChanged)
  Q_PROPERTY(quint64 closeTimeouts READ closeTimeouts NOTIFY closeTimeoutsChanged)
  Q_PROPERTY(quint64 maxActive READ maxActive NOTIFY maxActiveChanged)
  Q_PROPERTY(connpool::qt::SocketPoolStats publishedStats READ publishedStats NOTIFY statsChanged)

public:
  /// Which idle socket an acquire takes.
  enum class IdleOrder {
    Lifo, ///< the most recently returned first: hot sockets stay hot
    Fifo, ///< the one idle longest: spreads use over every socket
  };
  Q_ENUM(IdleOrder)

  /// Who gets a returned socket while acquires wait (the pure pool's
  /// connpool::fairness_mode).
  enum class Fairness {
    Bounded, ///< a running caller may take it until the first waiter has waited fairnessBound, then FIFO
    Strict,  ///< always the longest waiter (FIFO hand-over)
  };
  Q_ENUM(Fairness)

  /// Called with the socket owned by the calling thread; false means broken.
  using PingFunction = std::function<bool(QTcpSocket& socket, QDeadlineTimer deadline)>;
  /// Receives the lease (valid, or carrying the error) in the receiver's thread.
  using AcquireCallback = std::function<void(SocketLease lease)>;

  explicit SocketPool(QObject* parent = nullptr);
  SocketPool(const QString& host, quint16 port, QObject* parent = nullptr);
  ~SocketPool() override;

  QString host() const;
  void setHost(const QString& host);
  int port() const;
  void setPort(int port);
  /// Connections open at once, leased or idle (default 4). Live.
  int maxSize() const;
  void setMaxSize(int maxSize);
  /// Idle connections kept; -1 (default) means maxSize (and follows it). Live.
  int maxIdle() const;
  void setMaxIdle(int maxIdle);
  /// Live (as maxAge and healthCheckInterval).
  int maxIdleTime() const;
  void setMaxIdleTime(int msecs);
  int maxAge() const;
  void setMaxAge(int msecs);
  /// How often idle sockets are probed on the maintenance thread.
  int healthCheckInterval() const;
  void setHealthCheckInterval(int msecs);
  /// Deadline handed to one ping (0: none).
  int healthCheckTimeout() const;
  void setHealthCheckTimeout(int msecs);
  /// Bounds one connect (and TLS handshake); default 5000.
  int connectTimeout() const;
  void setConnectTimeout(int msecs);

  bool isTlsEnabled() const;
  void setTlsEnabled(bool enabled);
  /// The TLS settings; the default configuration verifies the peer.
  QSslConfiguration sslConfiguration() const;
  void setSslConfiguration(const QSslConfiguration& configuration);
  /// Shorthand: trust exactly these CA certificates.
  void setCaCertificates(const QList<QSslCertificate>& certificates);
  /// The name the peer's certificate must carry; empty means host.
  QString peerVerifyName() const;
  void setPeerVerifyName(const QString& name);
  /// Idle connections kept ready: made in the background (on the maintenance
  /// thread) at start and whenever they fall short, never beyond maxSize.
  /// Live; setting it starts the pool.
  int minIdle() const;
  void setMinIdle(int count);
  /// The largest maxSize a live setMaxSize may set; 0 (default) means
  /// max(maxSize, 64). Fixed at start.
  int maxSizeLimit() const;
  void setMaxSizeLimit(int limit);
  /// Most connects running at once (0: no cap); other acquires queue.
  int maxConnecting() const;
  void setMaxConnecting(int count);
  /// Connect on a pool thread instead of the acquiring one: an acquire that
  /// times out does not waste the connect (it goes to the next acquire or
  /// idle). The socket is handed to the borrower's thread as usual.
  bool backgroundDials() const;
  void setBackgroundDials(bool enabled);
  /// Circuit breaker: after a failed connect, acquires that need a new
  /// socket fail at once for this long (ms), then one connect is tried; each
  /// further failure doubles the delay up to backoffMax (0: 32 x initial).
  /// 0 (default): off.
  int backoffInitial() const;
  void setBackoffInitial(int msecs);
  int backoffMax() const;
  void setBackoffMax(int msecs);
  /// Each socket's maxAge is shortened by a random 0..maxAgeJitter ms.
  int maxAgeJitter() const;
  void setMaxAgeJitter(int msecs);
  /// At most this many maxAge retirements per second (0: no cap).
  double maxRetirementsPerSecond() const;
  void setMaxRetirementsPerSecond(double rate);
  /// A lease held longer than this (ms) is reported by leakSuspected, with
  /// the file, line and function of the acquire; 0 (default): off.
  int leakThreshold() const;
  void setLeakThreshold(int msecs);
  IdleOrder idleOrder() const;
  void setIdleOrder(IdleOrder order);
  /// Start-only. Default Bounded (see connpool::fairness_mode).
  Fairness fairness() const;
  void setFairness(Fairness fairness);
  /// Bounded fairness: how long (ms) the first waiter may be overtaken
  /// before sockets go to the waiters in order; > 0, default 1. Start-only.
  int fairnessBound() const;
  void setFairnessBound(int msecs);

  /// An application-level check run after the built-in one (on acquire and
  /// in health checks), e.g. a protocol round trip.
  void setPingFunction(PingFunction ping);

  /// Minimum time between two statsChanged emissions (default 100 ms).
  int statsInterval() const;
  void setStatsInterval(int msecs);
  bool isStarted() const;
  /// Whether the circuit breaker is open (as last reported to this thread).
  bool isCircuitOpen() const;

  /// Blocks until a socket is ready or `deadline` passes. For worker
  /// threads; the socket is owned by the calling thread. `where` is what
  /// leakSuspected reports.
  SocketLease acquire(QDeadlineTimer deadline = QDeadlineTimer(QDeadlineTimer::Forever),
                      const std::source_location& where = std::source_location::current());

  /// Never blocks: waits and connects on a helper thread, then calls
  /// `callback` in `receiver`'s thread, which must be the calling thread,
  /// with the socket owned by it. Destroying `receiver` first cancels the
  /// request; a lease already on its way is returned to the pool.
  void acquireAsync(QObject* receiver, AcquireCallback callback,
                    QDeadlineTimer deadline = QDeadlineTimer(QDeadlineTimer::Forever),
                    const std::source_location& where = std::source_location::current());

  /// Starts the pool and connects in the calling thread until minIdle
  /// sockets are idle (or maxSize are open), or `msecs` pass (-1: no limit).
  /// True when that many are idle. Blocks: from the GUI thread prefer
  /// setting minIdle, which fills in the background.
  Q_INVOKABLE bool warmUp(int msecs);
  /// Retires every socket open now: idle ones at once, leased ones when
  /// returned. New sockets are unaffected. Returns how many.
  Q_INVOKABLE int drain();
  /// One entry per connection (thread-safe; empty before the pool starts).
  Q_INVOKABLE QList<connpool::qt::ConnectionInfo> connections() const;

  /// A fresh snapshot (thread-safe).
  Q_INVOKABLE connpool::qt::SocketPoolStats stats() const;
  /// The snapshot last sent with statsChanged.
  SocketPoolStats publishedStats() const;
  /// A fresh snapshot as OpenMetrics text (connpool::to_openmetrics, every
  /// sample labelled pool_name="poolName"), ending in "# EOF\n" when `eof`.
  /// Thread-safe; all zero before the pool starts. See MetricsEndpoint.
  QByteArray openMetrics(const QString& poolName, bool eof = true) const;
  /// The same snapshot in the classic Prometheus text format 0.0.4
  /// (connpool::to_prometheus_text). Thread-safe; all zero before the pool
  /// starts.
  QByteArray prometheusText(const QString& poolName) const;

  int openCount() const;
  int idleCount() const;
  int activeCount() const;
  int waitingCount() const;
  quint64 gets() const;
  quint64 puts() const;
  quint64 discards() const;
  quint64 hits() const;
  quint64 misses() const;
  quint64 waits() const;
  quint64 timeouts() const;
  quint64 pingFailures() const;
  quint64 idleClosed() const;
  quint64 ageClosed() const;
  quint64 factoryFailures() const;
  quint64 closeTimeouts() const;
  quint64 maxActive() const;

Q_SIGNALS:
  void settingsChanged();
  void statsIntervalChanged();
  void startedChanged();
  /// The circuit breaker opened (connects failing) or closed (one succeeded).
  void circuitOpenChanged(bool open);
  /// A lease has been held longer than leakThreshold. `where` is the
  /// acquire's "file:line function".
  void leakSuspected(quint64 connectionId, const QString& where, qint64 heldMsecs);
  /// A lease reported by leakSuspected came back after `heldMsecs`.
  void leakReturned(quint64 connectionId, const QString& where, qint64 heldMsecs);

  /// At most once per statsInterval, only when something changed, in this
  /// object's thread; the per-property signals come just before it.
  void statsChanged(const connpool::qt::SocketPoolStats& stats);
  void openCountChanged(int value);
  void idleCountChanged(int value);
  void activeCountChanged(int value);
  void waitingCountChanged(int value);
  void getsChanged(quint64 value);
  void putsChanged(quint64 value);
  void discardsChanged(quint64 value);
  void hitsChanged(quint64 value);
  void missesChanged(quint64 value);
  void waitsChanged(quint64 value);
  void timeoutsChanged(quint64 value);
  void pingFailuresChanged(quint64 value);
  void idleClosedChanged(quint64 value);
  void ageClosedChanged(quint64 value);
  void factoryFailuresChanged(quint64 value);
  void closeTimeoutsChanged(quint64 value);
  void maxActiveChanged(quint64 value);

  /// A connect failed (emitted in this object's thread).
  void connectFailed(QAbstractSocket::SocketError error, const QString& errorString);
  /// A TLS handshake failed on these errors; the socket was not used.
  void sslErrors(const QList<QSslError>& errors);

private:
  friend class SocketPoolPrivate;
  std::unique_ptr<SocketPoolPrivate> d;
};

} // namespace connpool::qt
