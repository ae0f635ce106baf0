// SPDX-License-Identifier: MIT
// Test support: a private redis-server (never a system instance) and a tiny
// RESP client for tests.
//
// RedisServer runs its own redis-server process (QProcess) on 127.0.0.1 and a
// free port, in a temporary directory, with `--save "" --appendonly no
// --daemonize no`; it is ready once PING answers, and it is stopped (killed
// if need be) on destruction. An admin connection of its own runs commands
// (INFO, CONFIG SET, CLIENT KILL, ...). Use a RedisServer from one thread
// only (the one that made it): its QProcess and its admin socket live there.
#pragma once

#include <QtCore/qbytearray.h>
#include <QtCore/qdeadlinetimer.h>
#include <QtCore/qlist.h>
#include <QtCore/qmap.h>
#include <QtCore/qstring.h>

#include <memory>
#include <optional>

QT_BEGIN_NAMESPACE
class QTcpSocket;
class QTemporaryDir;
QT_END_NAMESPACE

namespace resp {

/// One RESP2 reply.
struct Reply {
  enum class Type { Simple, Error, Integer, Bulk, Null, Array };
  Type type = Type::Null;
  QByteArray string; ///< Simple, Error, Bulk
  qint64 integer = 0;
  QList<Reply> elements; ///< Array

  bool isError() const { return type == Type::Error; }
  bool isInteger() const { return type == Type::Integer; }
  bool isString(const QByteArray& s) const { return (type == Type::Simple || type == Type::Bulk) && string == s; }
  /// For failure messages.
  QString toString() const;
};

/// `*N\r\n$len\r\narg\r\n...`
QByteArray encode(const QList<QByteArray>& args);

/// Parses one reply at `from`: the bytes it takes, 0 when `data` holds only
/// part of it, -1 on a protocol error.
qsizetype parse(const QByteArray& data, qsizetype from, Reply& out);

/// Reads one complete reply, consuming exactly its bytes (what follows stays
/// in the socket's buffer), waiting with waitForReadyRead until `deadline`.
/// Nothing on timeout, error, close or a protocol error.
std::optional<Reply> read(QTcpSocket& socket, QDeadlineTimer deadline);

/// Writes the command, then reads its reply (the blocking API).
std::optional<Reply> exchange(QTcpSocket& socket, const QList<QByteArray>& args, QDeadlineTimer deadline);

} // namespace resp

class ServerProcess;

class RedisServer {
public:
  RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;
  ~RedisServer();

  /// The redis-server binary ($CONNPOOL_REDIS_SERVER, else PATH), or empty.
  static QString executable();

  /// Starts on 127.0.0.1:`port` (0: a free one) and waits (up to `timeoutMs`)
  /// until PING answers. False with errorString() on failure.
  bool start(quint16 port = 0, int timeoutMs = 10000);
  /// SIGTERM, then SIGKILL when it does not exit in time.
  void stop();
  /// SHUTDOWN (SAVE when `keepData`: the new process loads the snapshot from
  /// the same directory, so data survives), then starts on the same port.
  bool restart(bool keepData = true, int timeoutMs = 10000);
  bool isRunning() const;

  quint16 port() const { return port_; }
  QString errorString() const { return error_; }
  /// What the server printed (its log), for failure messages.
  QByteArray log();

  /// Runs a command over the admin connection (reconnected when the server
  /// closed it). Nothing on failure (errorString() says why).
  std::optional<resp::Reply> command(const QList<QByteArray>& args, int timeoutMs = 5000);
  /// Several commands written at once, their replies read in order.
  std::optional<QList<resp::Reply>> pipeline(const QList<QList<QByteArray>>& commands, int timeoutMs = 5000);

  /// CONFIG SET timeout `seconds` (0: off): the server closes clients idle
  /// that long.
  bool setIdleTimeout(int seconds);
  /// CLIENT KILL TYPE normal SKIPME yes: every client but the admin. The
  /// number killed, -1 on failure.
  int killNormalClients();
  /// CLIENT KILL ID `id`: true when it was killed.
  bool killClient(qint64 id);
  /// INFO clients connected_clients (the admin connection included), -1 on failure.
  int connectedClients();
  /// INFO stats total_connections_received of the running process (the
  /// admin's included), -1 on failure.
  qint64 totalConnectionsReceived();
  /// The same, summed over every process restart() ran.
  qint64 totalConnectionsReceivedAllRuns();
  /// CLIENT LIST, one map per client (id, addr, flags, cmd, ...).
  std::optional<QList<QMap<QByteArray, QByteArray>>> clientList();
  /// The admin connection's CLIENT ID (it changes when it reconnects).
  qint64 adminId();
  /// How often the admin connection had to be (re)opened.
  int adminConnects() const { return adminConnects_; }

private:
  bool launch(quint16 port, QDeadlineTimer deadline);
  bool ensureAdmin(QDeadlineTimer deadline);
  std::optional<QByteArray> infoField(const QByteArray& section, const QByteArray& field);

  std::unique_ptr<QTemporaryDir> dir_;
  std::unique_ptr<ServerProcess> process_;
  std::unique_ptr<QTcpSocket> admin_;
  quint16 port_ = 0;
  QString error_;
  QByteArray log_;
  int adminConnects_ = 0;
  qint64 receivedBefore_ = 0; ///< total_connections_received of the processes before this one
};
