// SPDX-License-Identifier: MIT
// Private: the state behind a SocketLease. The pooled implementation is
// PooledLease (pooledlease_p.h), which holds the connpool::lease; this base
// holds what every lease has and is the whole of a failed acquire's lease.
#pragma once

#include <connpool/qt/socketlease.h>

namespace connpool::qt {

class SocketLeasePrivate {
public:
  SocketLeasePrivate() = default;
  SocketLeasePrivate(SocketLease::Error e, QAbstractSocket::SocketError se, QString message,
                     QList<QSslError> tlsErrors = {})
      : error(e), socketError(se), errorString(std::move(message)), sslErrors(std::move(tlsErrors)) {}
  SocketLeasePrivate(const SocketLeasePrivate&) = delete;
  SocketLeasePrivate& operator=(const SocketLeasePrivate&) = delete;
  virtual ~SocketLeasePrivate() = default;

  virtual QTcpSocket* socket() const noexcept { return nullptr; }
  virtual void release() {}
  virtual void discard() {}

  SocketLease::Error error = SocketLease::Error::NoError;
  QAbstractSocket::SocketError socketError = QAbstractSocket::UnknownSocketError;
  QString errorString;
  QList<QSslError> sslErrors;
};

} // namespace connpool::qt
