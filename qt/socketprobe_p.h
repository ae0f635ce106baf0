// SPDX-License-Identifier: MIT
// Private: what the pool does to one socket (connect, probe, close), in plain
// Qt. Knows nothing of the pure pool; poolsettings.cpp wires these into its
// factory and ping, pooledlease.cpp into returns and discards.
#pragma once

#include <connpool/qt/socketpool.h>

#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qlist.h>
#include <QtCore/qstring.h>
#include <QtNetwork/qabstractsocket.h>
#include <QtNetwork/qsslconfiguration.h>
#include <QtNetwork/qsslerror.h>

#include <exception>
#include <memory>

QT_BEGIN_NAMESPACE
class QObject;
class QTcpSocket;
QT_END_NAMESPACE

namespace connpool::qt::detail {

/// Deletes a socket in the only thread allowed to: it pulls a socket with no
/// thread affinity into the calling thread first, and leaves one that another
/// thread owns to that thread (deleteLater).
struct SocketDeleter {
  void operator()(QTcpSocket* socket) const noexcept;
};
using SocketPtr = std::unique_ptr<QTcpSocket, SocketDeleter>;

/// Why connectSocket() failed; thrown through the pure pool's factory.
class ConnectFailure : public std::exception {
public:
  ConnectFailure(QAbstractSocket::SocketError error, QString message, QList<QSslError> sslErrors = {})
      : error(error), message(std::move(message)), sslErrors(std::move(sslErrors)) {}
  const char* what() const noexcept override { return "connpool::qt: connect failed"; }

  QAbstractSocket::SocketError error;
  QString message;
  QList<QSslError> sslErrors;
};

struct ConnectOptions {
  QString host;
  quint16 port = 0;
  bool tls = false;
  QSslConfiguration sslConfiguration;
  QString peerVerifyName; ///< empty: the host name
};

/// A socket created in the calling thread (so owned by it), connected, and
/// for TLS encrypted with the peer verified, before `deadline`. Throws
/// ConnectFailure.
SocketPtr connectSocket(const ConnectOptions& options, QDeadlineTimer deadline);

/// Whether an idle socket is still usable: connected, nothing unread, and the
/// kernel shows no EOF (peer closed or half-closed), reset or unsolicited
/// data; then `ping`, when set. Never blocks longer than `ping` does. The
/// socket must not be owned by another thread; it leaves with the affinity
/// it came with.
bool probeIdleSocket(QTcpSocket& socket, const SocketPool::PingFunction& ping, QDeadlineTimer deadline);

/// Whether a socket handed back by its borrower can go back to the pool:
/// connected, encrypted when TLS, no unread input, no unsent output, and
/// the kernel shows no EOF, reset or (plain sockets) unsolicited data: the
/// socket may go straight to a waiting borrower, with no probe in between.
bool isReusable(QTcpSocket& socket);

/// Moves a socket the calling thread owns to no thread, leaving nothing
/// behind in this thread: its notifiers are disabled first. (An enabled
/// notifier re-enables itself after a thread change through a queued call;
/// in a thread that never runs its event loop those calls pile up forever,
/// and every later moveToThread scans them.)
void pushToNoThread(QTcpSocket& socket);

/// Moves a socket with no thread affinity into the calling thread and turns
/// its read notifier back on when the thread can deliver it, so both the
/// blocking and the signal API work there.
void pullToThisThread(QTcpSocket& socket);

/// Closes a socket the calling thread owns and deletes it once that is safe:
/// the caller may be inside one of the socket's own signals (QtNetwork still
/// uses the object after the slot returns). The connection is aborted now and
/// every signal connection dropped; the object is deleted by this thread's
/// event loop (deleteLater) when one is running or this is the main thread,
/// otherwise at this thread's second acquire from now (see
/// collectClosedSockets) or when it exits.
void closeInThisThread(SocketPtr socket);

/// While alive, a socket the pool closes in this thread (SocketDeleter) goes
/// through closeInThisThread() instead of being deleted at once: wraps a
/// return that may run inside one of the socket's signals.
class ReturnScope {
public:
  ReturnScope();
  ReturnScope(const ReturnScope&) = delete;
  ReturnScope& operator=(const ReturnScope&) = delete;
  ~ReturnScope();
};

/// Deletes the sockets closeInThisThread() kept in this thread before the
/// previous call. Called by every acquire: a slot that discards a lease and
/// acquires another one, both inside a signal of the first socket, still finds
/// that socket alive when the signal returns.
void collectClosedSockets();

/// While alive, a socket with no thread affinity is owned by the calling
/// thread (pulled); it is pushed back to no thread on destruction. Sockets
/// with affinity are left alone.
class ScopedThreadAffinity {
public:
  explicit ScopedThreadAffinity(QTcpSocket& socket);
  ScopedThreadAffinity(const ScopedThreadAffinity&) = delete;
  ScopedThreadAffinity& operator=(const ScopedThreadAffinity&) = delete;
  ~ScopedThreadAffinity();

private:
  QTcpSocket& socket_;
  bool pulled_;
};

} // namespace connpool::qt::detail
