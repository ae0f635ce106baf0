// SPDX-License-Identifier: MIT
// SocketLease: a pooled socket on loan to the calling thread.
#pragma once

#include <connpool/qt/global.h>

#include <QtCore/qlist.h>
#include <QtCore/qstring.h>
#include <QtNetwork/qabstractsocket.h>
#include <QtNetwork/qsslerror.h>

#include <memory>

QT_BEGIN_NAMESPACE
class QSslSocket;
class QTcpSocket;
QT_END_NAMESPACE

namespace connpool::qt {

class SocketLeasePrivate;

/// Move-only. While valid, socket() belongs to the thread it was leased to:
/// use it there with the blocking (waitFor...) or the signal API. Destroying
/// the lease (or release()) returns the socket to the pool: it must happen in
/// the socket's thread, which then pushes it to no thread. A socket returned
/// with unread input, unsent output or no connection (Qt's view or the
/// kernel's) is closed, not pooled; call discard() after a failed or
/// unfinished exchange. Signal connections made to the socket are dropped on
/// return, so the next borrower never runs this one's slots.
///
/// A lease may end (release, discard, destruction) inside any signal of its
/// own socket: a closed socket is aborted at once and deleted once QtNetwork
/// is done with it; in a thread whose event loop is running, a healthy one
/// goes back to the pool when control returns to that loop (or at the
/// thread's next acquire).
///
/// An invalid lease carries why the acquire failed.
class CONNPOOL_QT_EXPORT SocketLease {
public:
  enum class Error {
    NoError,
    Timeout,       ///< no socket before the deadline (pool exhausted)
    Cancelled,     ///< the request was cancelled (receiver or pool destroyed)
    PoolClosed,    ///< the pool is closed or its settings are invalid
    ConnectFailed, ///< connecting failed: see socketError(), sslErrors()
  };

  SocketLease() noexcept;
  explicit SocketLease(std::unique_ptr<SocketLeasePrivate> d) noexcept;
  SocketLease(SocketLease&& other) noexcept;
  SocketLease& operator=(SocketLease&& other) noexcept;
  SocketLease(const SocketLease&) = delete;
  SocketLease& operator=(const SocketLease&) = delete;
  ~SocketLease();

  [[nodiscard]] bool isValid() const noexcept;
  explicit operator bool() const noexcept { return isValid(); }

  /// The leased socket (a QSslSocket when the pool uses TLS); null when invalid.
  [[nodiscard]] QTcpSocket* socket() const noexcept;
  [[nodiscard]] QSslSocket* sslSocket() const noexcept;
  QTcpSocket* operator->() const noexcept { return socket(); }

  /// Returns the socket to the pool now; the lease becomes invalid.
  void release();
  /// Closes the socket (broken, or mid-exchange) and frees its slot.
  void discard();

  [[nodiscard]] Error error() const noexcept;
  /// The socket error of a failed connect (UnknownSocketError otherwise).
  [[nodiscard]] QAbstractSocket::SocketError socketError() const noexcept;
  [[nodiscard]] QString errorString() const;
  /// The TLS handshake errors of a failed encrypted connect.
  [[nodiscard]] QList<QSslError> sslErrors() const;

private:
  std::unique_ptr<SocketLeasePrivate> d;
};

} // namespace connpool::qt
