// SPDX-License-Identifier: MIT
// A loopback echo server (plain or TLS) on 127.0.0.1, run in its own thread
// so that test threads may block on sockets while it serves them.
#pragma once

#include <QtCore/qthread.h>
#include <QtNetwork/qsslcertificate.h>
#include <QtNetwork/qsslkey.h>

#include <atomic>
#include <optional>

class EchoServer;

struct TlsIdentity {
  QSslCertificate certificate;
  QSslKey key;
};

class TestServer {
public:
  explicit TestServer(std::optional<TlsIdentity> tls = std::nullopt);
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;
  ~TestServer();

  /// Listens on 127.0.0.1:`port` (0: any); the port, or 0 on failure.
  quint16 start(quint16 port = 0);
  /// Stops listening and closes every connection.
  void stop();
  /// Every connection: graceful close (FIN, close_notify for TLS).
  void closeConnections();
  /// Every connection: reset (RST: SO_LINGER 0, then close).
  void resetConnections();
  /// Every connection: shut down our sending side only (FIN, still reading).
  void halfCloseConnections();
  /// When off, input is read and dropped (a server that stopped answering).
  void setEchoing(bool on);

  int accepted() const; ///< connections accepted so far
  int live() const;     ///< connections open now

private:
  template <class F> void inServerThread(F f);

  // Owned here, not by the server object: the server thread deletes that.
  std::atomic<int> accepted_{0};
  std::atomic<int> live_{0};
  // Set by the server thread as it finishes: wait() orders the thread's work
  // before the destructor's, but through Qt's futex-based lock that
  // ThreadSanitizer cannot see; reading this makes that order visible.
  std::atomic<bool> finished_{false};
  QThread thread_;
  EchoServer* server_;
};
