// SPDX-License-Identifier: MIT
#include "socketprobe_p.h"

#include <QtCore/qabstracteventdispatcher.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qsocketnotifier.h>
#include <QtCore/qthread.h>
#include <QtNetwork/qsslsocket.h>
#include <QtNetwork/qtcpsocket.h>

#include <algorithm>
#include <climits>
#include <utility>
#include <vector>

#if defined(Q_OS_UNIX)
#include <cerrno>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#elif defined(Q_OS_WIN)
#include <winsock2.h>
#endif

namespace connpool::qt::detail {

namespace {

// waitFor*() takes int milliseconds, -1 meaning forever.
int waitMsecs(QDeadlineTimer deadline) {
  if (deadline.isForever()) return -1;
  return static_cast<int>(std::clamp<qint64>(deadline.remainingTime(), 0, INT_MAX));
}

[[noreturn]] void throwFailure(QTcpSocket& socket) {
  QList<QSslError> tlsErrors;
  if (auto* ssl = qobject_cast<QSslSocket*>(&socket)) tlsErrors = ssl->sslHandshakeErrors();
  QString message = socket.errorString();
  if (socket.error() == QAbstractSocket::SocketTimeoutError)
    message = QStringLiteral("connect timed out: %1").arg(message);
  throw ConnectFailure(socket.error(), std::move(message), std::move(tlsErrors));
}

enum class KernelState { Quiet, Data, Closed, Unknown };

// What the kernel holds for the socket, read without consuming anything and
// without touching the QObject: so it is safe on a socket no thread owns.
KernelState peekKernel(const QTcpSocket& socket) {
#if defined(Q_OS_UNIX)
  const qintptr fd = socket.socketDescriptor();
  if (fd < 0) return KernelState::Closed;
  char byte = 0;
  ssize_t n = 0;
  do {
    n = ::recv(static_cast<int>(fd), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    // Bytes, maybe followed by the peer's FIN: a TLS peer closes with a
    // close_notify record, then FIN, so the EOF hides behind data.
    pollfd p{static_cast<int>(fd), POLLIN | POLLRDHUP, 0};
    if (::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) return KernelState::Closed;
    return KernelState::Data;
  }
  if (n == 0) return KernelState::Closed; // EOF: the peer closed or half-closed
  return errno == EAGAIN || errno == EWOULDBLOCK ? KernelState::Quiet : KernelState::Closed; // ECONNRESET, ...
#elif defined(Q_OS_WIN)
  // Written for WinSock, not built or tested here. Qt's sockets are
  // non-blocking, so an empty queue answers WSAEWOULDBLOCK at once.
  const qintptr fd = socket.socketDescriptor();
  if (fd < 0) return KernelState::Closed;
  char byte = 0;
  const int n = ::recv(static_cast<SOCKET>(fd), &byte, 1, MSG_PEEK);
  if (n > 0) return KernelState::Data; // a FIN behind the data is found on the next look
  if (n == 0) return KernelState::Closed;
  return ::WSAGetLastError() == WSAEWOULDBLOCK ? KernelState::Quiet : KernelState::Closed;
#else
  Q_UNUSED(socket);
  return KernelState::Unknown;
#endif
}

/// Set while this thread returns a socket to the pool (ReturnScope): a close
/// the pool makes then (pool closed, idle overflow, max age, shrink) may be
/// inside one of the socket's signals, like a discard.
thread_local int returning = 0;

/// Sockets closeInThisThread() could not delete at once: `recent` since the
/// last collectClosedSockets(), `older` before it. Deleted at thread exit.
/// Owned by this thread, so deleted directly (at thread exit Qt's own
/// current-thread bookkeeping may already be gone).
struct ClosedSockets {
  std::vector<QTcpSocket*> recent;
  std::vector<QTcpSocket*> older;
  static void remove(std::vector<QTcpSocket*>& list) {
    for (QTcpSocket* socket : std::exchange(list, {}))
      delete socket;
  }
  ~ClosedSockets() {
    remove(older);
    remove(recent);
  }
};
thread_local ClosedSockets closedSockets;

} // namespace

void SocketDeleter::operator()(QTcpSocket* socket) const noexcept {
  if (!socket) return;
  QThread* const here = QThread::currentThread();
  if (!socket->thread()) socket->moveToThread(here);
  if (socket->thread() != here) {
    socket->deleteLater();
    return;
  }
  if (returning > 0) {
    closeInThisThread(SocketPtr(socket));
    return;
  }
  delete socket; // aborts the connection
}

ReturnScope::ReturnScope() { ++returning; }
ReturnScope::~ReturnScope() { --returning; }

SocketPtr connectSocket(const ConnectOptions& options, QDeadlineTimer deadline) {
  const int wait = waitMsecs(deadline);
  if (wait == 0) throw ConnectFailure(QAbstractSocket::SocketTimeoutError, QStringLiteral("connect timed out"));
  if (options.tls) {
    auto* ssl = new QSslSocket;
    SocketPtr socket(ssl);
    ssl->setSslConfiguration(options.sslConfiguration);
    if (!options.peerVerifyName.isEmpty()) ssl->setPeerVerifyName(options.peerVerifyName);
    // Peer verification stays as configured (on by default): sslErrors()
    // aborts the handshake and is reported, never ignored here.
    ssl->connectToHostEncrypted(options.host, options.port);
    if (!ssl->waitForEncrypted(wait)) throwFailure(*ssl);
    return socket;
  }
  SocketPtr socket(new QTcpSocket);
  socket->connectToHost(options.host, options.port);
  if (!socket->waitForConnected(wait)) throwFailure(*socket);
  return socket;
}

bool probeIdleSocket(QTcpSocket& socket, const SocketPool::PingFunction& ping, QDeadlineTimer deadline) {
  if (socket.state() != QAbstractSocket::ConnectedState || socket.bytesAvailable() > 0) return false;
  const bool tls = qobject_cast<QSslSocket*>(&socket) != nullptr;
  switch (peekKernel(socket)) {
  case KernelState::Closed: return false;
  case KernelState::Quiet: break;
  case KernelState::Data:
    // Unsolicited bytes on an idle plain socket: the stream is out of step.
    if (!tls) return false;
    // TLS: may be records with no application data (session tickets, a
    // close_notify); let QSslSocket consume them, in this thread.
    [[fallthrough]];
  case KernelState::Unknown: {
    ScopedThreadAffinity owned(socket);
    socket.waitForReadyRead(0);
    if (socket.state() != QAbstractSocket::ConnectedState || socket.bytesAvailable() > 0) return false;
    break;
  }
  }
  if (!ping) return true;
  ScopedThreadAffinity owned(socket);
  return ping(socket, deadline);
}

bool isReusable(QTcpSocket& socket) {
  if (socket.state() != QAbstractSocket::ConnectedState || socket.bytesAvailable() > 0) return false;
  auto* ssl = qobject_cast<QSslSocket*>(&socket);
  if (ssl && !ssl->isEncrypted()) return false;
  if (socket.bytesToWrite() > 0 || (ssl && ssl->encryptedBytesToWrite() > 0)) socket.flush();
  // TLS: bytesToWrite() counts plaintext only; records may still wait below.
  if (socket.bytesToWrite() > 0 || (ssl && ssl->encryptedBytesToWrite() > 0)) return false;
  // QTcpSocket learns of a peer's close only when it next reads; a borrower
  // that did no I/O since then hands back a dead socket that looks connected.
  switch (peekKernel(socket)) {
  case KernelState::Closed: return false;
  case KernelState::Data: return ssl != nullptr; // TLS: maybe records with no application data (the probe decides)
  case KernelState::Quiet:
  case KernelState::Unknown: return true;
  }
  return true;
}

void pushToNoThread(QTcpSocket& socket) {
  for (QSocketNotifier* notifier : socket.findChildren<QSocketNotifier*>())
    notifier->setEnabled(false);
  socket.moveToThread(nullptr);
}

namespace {

struct ThreadExec : QThread {
  static int (QThread::* member())() { return &ThreadExec::exec; }
};

/// Qt 6.4 gives a QThread its property-binding status in QThread::exec();
/// until then, every object moved into the thread is appended to a list
/// kept for that moment, which in a thread that never calls exec()
/// (QThread::create, QThreadPool, QtConcurrent) grows by one entry per pull,
/// forever. An exec() that finds the thread already told to exit sets the
/// status and returns at once, running no event loop; exec() is protected,
/// hence the member pointer taken through a derived class.
void ensureBindingStatus() {
  thread_local bool done = false;
  if (done) return;
  QThread* const here = QThread::currentThread();
  if (QCoreApplication::instance() && QCoreApplication::instance()->thread() == here) {
    done = true; // the main thread has it from the start
    return;
  }
  // Inside a running loop (maybe a local QEventLoop, not exec()) exit() would
  // stop it: try again at a later pull. (A quit() another thread sent to a
  // thread that never ran exec() is consumed here; such a thread has no loop
  // for it to stop.)
  if (here->loopLevel() > 0) return;
  done = true;
  here->exit(0);
  (here->*ThreadExec::member())();
}

} // namespace

void pullToThisThread(QTcpSocket& socket) {
  ensureBindingStatus();
  socket.moveToThread(QThread::currentThread());
  // A connected, idle QAbstractSocket listens for input (data or the peer's
  // close); it writes nothing, so its write notifier stays off. A thread with
  // no event dispatcher (std::thread) cannot have notifiers: the blocking API
  // works without them.
  if (socket.state() != QAbstractSocket::ConnectedState || !QAbstractEventDispatcher::instance()) return;
  for (QSocketNotifier* notifier : socket.findChildren<QSocketNotifier*>())
    if (notifier->type() == QSocketNotifier::Read) notifier->setEnabled(true);
}

void closeInThisThread(SocketPtr socket) {
  if (!socket) return;
  socket->disconnect(); // the borrower's slots must not run for what follows
  socket->abort();      // the peer sees the close now, whatever happens to the object
  QThread* const here = QThread::currentThread();
  const QCoreApplication* const app = QCoreApplication::instance();
  if (here->loopLevel() > 0 || (app && app->thread() == here)) {
    // A running event loop deletes it once control is back there, which is
    // after any signal emission this call is nested in; so does the main
    // thread's, which every application runs.
    socket.release()->deleteLater();
    return;
  }
  closedSockets.recent.push_back(socket.release());
}

void collectClosedSockets() {
  ClosedSockets& closed = closedSockets;
  if (closed.recent.empty() && closed.older.empty()) return;
  ClosedSockets::remove(closed.older);
  std::swap(closed.older, closed.recent);
}

ScopedThreadAffinity::ScopedThreadAffinity(QTcpSocket& socket) : socket_(socket), pulled_(socket.thread() == nullptr) {
  // Only a socket with no thread affinity may be pulled into this thread.
  if (pulled_) pullToThisThread(socket_);
}

ScopedThreadAffinity::~ScopedThreadAffinity() {
  if (pulled_) pushToNoThread(socket_);
}

} // namespace connpool::qt::detail
