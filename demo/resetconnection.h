// SPDX-License-Identifier: MIT
// resetConnection: the abortive close of one server-side connection. With
// SO_LINGER at 0, closing a socket sends RST instead of FIN: the peer sees
// "connection reset by peer", not an orderly end. Used by the demo's echo
// server (the dashboard's "Reset all" button) and by the tests' loopback
// server (tests/qt/testserver.cpp). Written for WinSock too (not built there).
#pragma once

#include <QtNetwork/qabstractsocket.h>

#if defined(Q_OS_WIN)
#include <winsock2.h>
#else
#include <sys/socket.h>
#endif

/// Resets `socket`'s connection now: SO_LINGER 0, then abort().
inline void resetConnection(QAbstractSocket& socket) {
  const linger hard{1, 0};
#if defined(Q_OS_WIN)
  ::setsockopt(static_cast<SOCKET>(socket.socketDescriptor()), SOL_SOCKET, SO_LINGER,
               reinterpret_cast<const char*>(&hard), sizeof hard);
#else
  ::setsockopt(static_cast<int>(socket.socketDescriptor()), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
#endif
  socket.abort();
}
