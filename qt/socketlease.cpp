// SPDX-License-Identifier: MIT
#include <connpool/qt/socketlease.h>

#include "socketlease_p.h"

#include <QtNetwork/qsslsocket.h>
#include <QtNetwork/qtcpsocket.h>

namespace connpool::qt {

SocketLease::SocketLease() noexcept = default;
SocketLease::SocketLease(std::unique_ptr<SocketLeasePrivate> d) noexcept : d(std::move(d)) {}
SocketLease::SocketLease(SocketLease&& other) noexcept = default;

SocketLease& SocketLease::operator=(SocketLease&& other) noexcept {
  if (this != &other) {
    release();
    d = std::move(other.d);
  }
  return *this;
}

SocketLease::~SocketLease() { release(); }

bool SocketLease::isValid() const noexcept { return socket() != nullptr; }
QTcpSocket* SocketLease::socket() const noexcept { return d ? d->socket() : nullptr; }
QSslSocket* SocketLease::sslSocket() const noexcept { return qobject_cast<QSslSocket*>(socket()); }

void SocketLease::release() {
  if (d) d->release();
}

void SocketLease::discard() {
  if (d) d->discard();
}

SocketLease::Error SocketLease::error() const noexcept { return d ? d->error : Error::NoError; }
QAbstractSocket::SocketError SocketLease::socketError() const noexcept {
  return d ? d->socketError : QAbstractSocket::UnknownSocketError;
}
QString SocketLease::errorString() const { return d ? d->errorString : QString(); }
QList<QSslError> SocketLease::sslErrors() const { return d ? d->sslErrors : QList<QSslError>(); }

} // namespace connpool::qt
