// SPDX-License-Identifier: MIT
#include "redisserver.h"

#include <QtCore/qfile.h>
#include <QtCore/qprocess.h>
#include <QtCore/qstandardpaths.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qthread.h>
#include <QtNetwork/qhostaddress.h>
#include <QtNetwork/qtcpserver.h>
#include <QtNetwork/qtcpsocket.h>

#include <climits>
#include <cstring>
#include <vector>

#if defined(Q_OS_LINUX)
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

// Under ThreadSanitizer QProcess cannot start anything: Qt forks with
// clone(), and TSan's clone interceptor (clang 19) fails a CHECK in the
// child ("((!thr->slot)) != (0)"). There the server is started with
// posix_spawn (which glibc implements without the intercepted clone) and
// watched through a pidfd. CONNPOOL_TEST_REDIS_SPAWN=1 picks that path in
// any build.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CONNPOOL_TEST_TSAN
#endif
#endif

namespace resp {

namespace {

// waitFor*() takes int milliseconds, -1 meaning forever.
int waitMsecs(QDeadlineTimer deadline) {
  if (deadline.isForever()) return -1;
  return static_cast<int>(qBound(qint64(0), deadline.remainingTime(), qint64(INT_MAX)));
}

} // namespace

QString Reply::toString() const {
  switch (type) {
  case Type::Simple: return QStringLiteral("+") + QString::fromUtf8(string);
  case Type::Error: return QStringLiteral("-") + QString::fromUtf8(string);
  case Type::Integer: return QStringLiteral(":%1").arg(integer);
  case Type::Bulk: return QStringLiteral("\"%1\"").arg(QString::fromUtf8(string));
  case Type::Null: return QStringLiteral("(nil)");
  case Type::Array: {
    QStringList parts;
    for (const Reply& e : elements)
      parts << e.toString();
    return QStringLiteral("[%1]").arg(parts.join(QStringLiteral(", ")));
  }
  }
  return {};
}

QByteArray encode(const QList<QByteArray>& args) {
  QByteArray out = '*' + QByteArray::number(args.size()) + "\r\n";
  for (const QByteArray& a : args)
    out += '$' + QByteArray::number(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

qsizetype parse(const QByteArray& data, qsizetype from, Reply& out) {
  if (from >= data.size()) return 0;
  const qsizetype crlf = data.indexOf("\r\n", from + 1);
  if (crlf < 0) return 0;
  const QByteArray line = data.mid(from + 1, crlf - from - 1);
  const qsizetype afterLine = crlf + 2;
  bool ok = false;
  switch (data.at(from)) {
  case '+': out = Reply{Reply::Type::Simple, line, 0, {}}; return afterLine - from;
  case '-': out = Reply{Reply::Type::Error, line, 0, {}}; return afterLine - from;
  case ':': {
    const qint64 value = line.toLongLong(&ok);
    if (!ok) return -1;
    out = Reply{Reply::Type::Integer, {}, value, {}};
    return afterLine - from;
  }
  case '$': {
    const qint64 length = line.toLongLong(&ok);
    if (!ok || length < -1) return -1;
    if (length == -1) {
      out = Reply{};
      return afterLine - from;
    }
    if (data.size() < afterLine + length + 2) return 0;
    if (data.at(afterLine + length) != '\r' || data.at(afterLine + length + 1) != '\n') return -1;
    out = Reply{Reply::Type::Bulk, data.mid(afterLine, length), 0, {}};
    return afterLine + length + 2 - from;
  }
  case '*': {
    const qint64 count = line.toLongLong(&ok);
    if (!ok || count < -1) return -1;
    Reply array{count == -1 ? Reply::Type::Null : Reply::Type::Array, {}, 0, {}};
    qsizetype at = afterLine;
    for (qint64 i = 0; i < count; ++i) {
      Reply element;
      const qsizetype n = parse(data, at, element);
      if (n <= 0) return n;
      array.elements.push_back(std::move(element));
      at += n;
    }
    out = std::move(array);
    return at - from;
  }
  default: return -1;
  }
}

std::optional<Reply> read(QTcpSocket& socket, QDeadlineTimer deadline) {
  // Bounded by the deadline: every turn either returns or waits for input.
  for (;;) {
    const QByteArray buffered = socket.peek(socket.bytesAvailable());
    Reply reply;
    const qsizetype n = parse(buffered, 0, reply);
    if (n > 0) {
      socket.read(n);
      return reply;
    }
    if (n < 0 || deadline.hasExpired()) return std::nullopt;
    if (!socket.waitForReadyRead(waitMsecs(deadline))) return std::nullopt;
  }
}

std::optional<Reply> exchange(QTcpSocket& socket, const QList<QByteArray>& args, QDeadlineTimer deadline) {
  const QByteArray request = encode(args);
  if (socket.write(request) != request.size()) return std::nullopt;
  return read(socket, deadline);
}

} // namespace resp

// The redis-server process: QProcess, or posix_spawn + pidfd (see above).
class ServerProcess {
public:
  ServerProcess() {
#if defined(Q_OS_LINUX)
#if defined(CONNPOOL_TEST_TSAN)
    spawn_ = true;
#else
    spawn_ = qEnvironmentVariableIntValue("CONNPOOL_TEST_REDIS_SPAWN") != 0;
#endif
#endif
    if (!spawn_) {
      process_.setProcessChannelMode(QProcess::MergedChannels);
#if defined(Q_OS_LINUX)
      // Runs in the child before exec: the server dies with the test
      // process, even when that crashes (a crash skips every destructor).
      process_.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
#endif
    }
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess() {
    if (isRunning()) {
      kill();
      waitForFinished(5000);
    }
#if defined(Q_OS_LINUX)
    if (pidfd_ >= 0) ::close(pidfd_);
#endif
  }

  bool start(const QString& program, const QStringList& args, const QString& dir, QString* error) {
    if (!spawn_) {
      process_.setWorkingDirectory(dir);
      process_.start(program, args);
      if (process_.waitForStarted(10000)) return true;
      *error = process_.errorString();
      return false;
    }
#if defined(Q_OS_LINUX)
    logPath_ = dir + QStringLiteral("/redis-server.log");
    std::vector<QByteArray> storage;
    // Dies with the test process, as above: setpriv (util-linux) sets the
    // parent-death signal, then execs the server in the same process.
    if (const QString setpriv = QStandardPaths::findExecutable(QStringLiteral("setpriv")); !setpriv.isEmpty())
      storage = {QFile::encodeName(setpriv), "--pdeathsig", "KILL", "--"};
    storage.push_back(QFile::encodeName(program));
    for (const QString& a : args)
      storage.push_back(a.toLocal8Bit());
    std::vector<char*> argv;
    for (QByteArray& a : storage)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    const QByteArray log = QFile::encodeName(logPath_);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.constData(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int rc = posix_spawn(&pid_, argv.front(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      *error = QString::fromLocal8Bit(strerror(rc));
      return false;
    }
    pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    reaped_ = false;
    return true;
#else
    *error = QStringLiteral("posix_spawn: Linux only");
    return false;
#endif
  }

  bool isRunning() {
    if (!spawn_) return process_.state() != QProcess::NotRunning;
#if defined(Q_OS_LINUX)
    reap();
    return pid_ > 0 && !reaped_;
#else
    return false;
#endif
  }

  void terminate() {
    if (!spawn_) return process_.terminate();
#if defined(Q_OS_LINUX)
    if (isRunning()) ::kill(pid_, SIGTERM);
#endif
  }
  void kill() {
    if (!spawn_) return process_.kill();
#if defined(Q_OS_LINUX)
    if (isRunning()) ::kill(pid_, SIGKILL);
#endif
  }

  bool waitForFinished(int msecs) {
    if (!spawn_) return process_.state() == QProcess::NotRunning || process_.waitForFinished(msecs);
#if defined(Q_OS_LINUX)
    waitForExit(msecs);
    return !isRunning();
#else
    return true;
#endif
  }

  /// Returns on new output (QProcess), on exit, or after `msecs`.
  void waitForOutput(int msecs) {
    if (!spawn_) {
      process_.waitForReadyRead(msecs);
      return;
    }
#if defined(Q_OS_LINUX)
    waitForExit(msecs);
#endif
  }

  QByteArray readAll() {
    if (!spawn_) return process_.readAll();
    QFile log(logPath_);
    if (!log.open(QIODevice::ReadOnly) || !log.seek(logRead_)) return {};
    const QByteArray out = log.readAll();
    logRead_ += out.size();
    return out;
  }

  int exitCode() {
    if (!spawn_) return process_.exitCode();
#if defined(Q_OS_LINUX)
    return reaped_ && WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
#else
    return -1;
#endif
  }

private:
#if defined(Q_OS_LINUX)
  void reap() {
    if (pid_ <= 0 || reaped_) return;
    if (::waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
  }
  // Waits in the kernel for the process to exit (its pidfd turns readable).
  void waitForExit(int msecs) {
    if (pid_ <= 0 || reaped_) return;
    if (pidfd_ >= 0) {
      pollfd p{pidfd_, POLLIN, 0};
      while (::poll(&p, 1, msecs) < 0 && errno == EINTR) {
      }
    } else {
      const QDeadlineTimer deadline(msecs); // no pidfd (old kernel): bounded polling
      while (!deadline.hasExpired() && isRunning())
        QThread::msleep(5);
    }
    reap();
  }
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int status_ = 0;
  bool reaped_ = false;
#endif
  bool spawn_ = false;
  QProcess process_;
  QString logPath_;
  qint64 logRead_ = 0;
};

namespace {

const QHostAddress loopback(QHostAddress::LocalHost);

// A loopback port free right now: bound by the kernel's choice, then freed.
quint16 freePort() {
  QTcpServer probe;
  if (!probe.listen(loopback, 0)) return 0;
  return probe.serverPort();
}

int waitMsecs(QDeadlineTimer deadline) {
  if (deadline.isForever()) return -1;
  return static_cast<int>(qBound(qint64(0), deadline.remainingTime(), qint64(INT_MAX)));
}

} // namespace

RedisServer::RedisServer() = default;

RedisServer::~RedisServer() { stop(); }

QString RedisServer::executable() {
  const QString configured = qEnvironmentVariable("CONNPOOL_REDIS_SERVER");
  if (!configured.isEmpty()) return QStandardPaths::findExecutable(configured);
  return QStandardPaths::findExecutable(QStringLiteral("redis-server"));
}

bool RedisServer::start(quint16 port, int timeoutMs) {
  const QDeadlineTimer deadline(timeoutMs);
  if (executable().isEmpty()) {
    error_ = QStringLiteral("redis-server not found");
    return false;
  }
  if (!dir_) {
    dir_ = std::make_unique<QTemporaryDir>();
    if (!dir_->isValid()) {
      error_ = QStringLiteral("no temporary directory: ") + dir_->errorString();
      return false;
    }
  }
  if (port != 0) return launch(port, deadline);
  // A free port may be taken by someone else before redis binds it: a few tries.
  for (int attempt = 0; attempt < 5 && !deadline.hasExpired(); ++attempt) {
    const quint16 candidate = freePort();
    if (candidate && launch(candidate, deadline)) return true;
  }
  return false;
}

bool RedisServer::launch(quint16 port, QDeadlineTimer deadline) {
  admin_.reset();
  process_ = std::make_unique<ServerProcess>();
  const QStringList arguments({QStringLiteral("--port"), QString::number(port), QStringLiteral("--bind"),
                               QStringLiteral("127.0.0.1"), QStringLiteral("--dir"), dir_->path(),
                               QStringLiteral("--save"), QString(), QStringLiteral("--appendonly"),
                               QStringLiteral("no"), QStringLiteral("--daemonize"), QStringLiteral("no"),
                               QStringLiteral("--logfile"), QString()});
  QString why;
  if (!process_->start(executable(), arguments, dir_->path(), &why)) {
    error_ = QStringLiteral("cannot start %1: %2").arg(executable(), why);
    return false;
  }
  port_ = port;
  // Ready when PING answers. Between tries, wait for the server to print
  // something (it logs "Ready to accept connections") or exit, up to 50 ms.
  for (int attempt = 0; attempt < 1000 && !deadline.hasExpired(); ++attempt) {
    log_ += process_->readAll();
    if (!process_->isRunning()) {
      process_->waitForFinished(waitMsecs(deadline));
      log_ += process_->readAll();
      error_ = QStringLiteral("redis-server exited (code %1): %2")
                   .arg(process_->exitCode())
                   .arg(QString::fromUtf8(log_.right(2000)));
      return false;
    }
    if (ensureAdmin(deadline)) {
      const std::optional<resp::Reply> pong = resp::exchange(*admin_, {"PING"}, deadline);
      if (pong && pong->isString("PONG")) {
        error_.clear();
        return true;
      }
      admin_.reset();
    }
    process_->waitForOutput(qMin(50, waitMsecs(deadline)));
  }
  error_ = QStringLiteral("redis-server did not answer PING in time: ") + QString::fromUtf8(log_.right(2000));
  stop();
  return false;
}

bool RedisServer::ensureAdmin(QDeadlineTimer deadline) {
  if (admin_ && admin_->state() == QAbstractSocket::ConnectedState) {
    // Let Qt notice a close by the server (idle timeout) before we use it.
    if (admin_->bytesAvailable() == 0) admin_->waitForReadyRead(0);
    if (admin_->state() == QAbstractSocket::ConnectedState && admin_->bytesAvailable() == 0) return true;
  }
  admin_ = std::make_unique<QTcpSocket>();
  admin_->connectToHost(loopback, port_);
  if (!admin_->waitForConnected(qMin(1000, waitMsecs(deadline)))) {
    error_ = QStringLiteral("admin connect: ") + admin_->errorString();
    admin_.reset();
    return false;
  }
  ++adminConnects_;
  // Named, so that it stands out in CLIENT LIST.
  const std::optional<resp::Reply> named = resp::exchange(*admin_, {"CLIENT", "SETNAME", "connpool-admin"}, deadline);
  if (!named || !named->isString("OK")) {
    admin_.reset();
    return false;
  }
  return true;
}

void RedisServer::stop() {
  admin_.reset();
  if (!process_) return;
  if (process_->isRunning()) {
    process_->terminate();
    if (!process_->waitForFinished(5000)) {
      process_->kill();
      process_->waitForFinished(5000);
    }
  }
  log_ += process_->readAll();
  process_.reset();
}

bool RedisServer::restart(bool keepData, int timeoutMs) {
  const QDeadlineTimer deadline(timeoutMs);
  if (!process_ || !ensureAdmin(deadline)) {
    error_ = QStringLiteral("restart: not running");
    return false;
  }
  if (const qint64 received = totalConnectionsReceived(); received > 0) receivedBefore_ += received;
  // SHUTDOWN answers only when it fails; otherwise the connection closes.
  const std::optional<resp::Reply> failed =
      resp::exchange(*admin_, {"SHUTDOWN", keepData ? QByteArray("SAVE") : QByteArray("NOSAVE")}, deadline);
  admin_.reset();
  if (failed) {
    error_ = QStringLiteral("SHUTDOWN: ") + failed->toString();
    return false;
  }
  if (!process_->waitForFinished(waitMsecs(deadline))) {
    process_->kill();
    process_->waitForFinished(5000);
  }
  log_ += process_->readAll();
  return launch(port_, deadline);
}

bool RedisServer::isRunning() const { return process_ && process_->isRunning(); }

QByteArray RedisServer::log() {
  if (process_) log_ += process_->readAll();
  return log_;
}

std::optional<resp::Reply> RedisServer::command(const QList<QByteArray>& args, int timeoutMs) {
  const QDeadlineTimer deadline(timeoutMs);
  if (process_) log_ += process_->readAll(); // keep its output pipe drained
  if (log_.size() > (1 << 20)) log_ = log_.right(1 << 16);
  if (!ensureAdmin(deadline)) return std::nullopt;
  std::optional<resp::Reply> reply = resp::exchange(*admin_, args, deadline);
  if (!reply) {
    error_ = QStringLiteral("%1: %2").arg(QString::fromUtf8(args.value(0)), admin_->errorString());
    admin_.reset();
  }
  return reply;
}

std::optional<QList<resp::Reply>> RedisServer::pipeline(const QList<QList<QByteArray>>& commands, int timeoutMs) {
  const QDeadlineTimer deadline(timeoutMs);
  if (!ensureAdmin(deadline)) return std::nullopt;
  QByteArray request;
  for (const QList<QByteArray>& c : commands)
    request += resp::encode(c);
  if (admin_->write(request) != request.size()) return std::nullopt;
  QList<resp::Reply> replies;
  for (qsizetype i = 0; i < commands.size(); ++i) {
    std::optional<resp::Reply> reply = resp::read(*admin_, deadline);
    if (!reply) {
      error_ = QStringLiteral("pipeline: ") + admin_->errorString();
      admin_.reset();
      return std::nullopt;
    }
    replies.push_back(std::move(*reply));
  }
  return replies;
}

bool RedisServer::setIdleTimeout(int seconds) {
  const auto reply = command({"CONFIG", "SET", "timeout", QByteArray::number(seconds)});
  return reply && reply->isString("OK");
}

int RedisServer::killNormalClients() {
  const auto reply = command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
  return reply && reply->isInteger() ? static_cast<int>(reply->integer) : -1;
}

bool RedisServer::killClient(qint64 id) {
  const auto reply = command({"CLIENT", "KILL", "ID", QByteArray::number(id), "SKIPME", "yes"});
  return reply && reply->isInteger() && reply->integer == 1;
}

std::optional<QByteArray> RedisServer::infoField(const QByteArray& section, const QByteArray& field) {
  const auto reply = command({"INFO", section});
  if (!reply || reply->type != resp::Reply::Type::Bulk) return std::nullopt;
  for (const QByteArray& line : reply->string.split('\n')) {
    const QByteArray l = line.trimmed();
    if (l.startsWith(field + ':')) return l.mid(field.size() + 1);
  }
  return std::nullopt;
}

int RedisServer::connectedClients() {
  bool ok = false;
  const int n = infoField("clients", "connected_clients").value_or(QByteArray()).toInt(&ok);
  return ok ? n : -1;
}

qint64 RedisServer::totalConnectionsReceived() {
  bool ok = false;
  const qint64 n = infoField("stats", "total_connections_received").value_or(QByteArray()).toLongLong(&ok);
  return ok ? n : -1;
}

qint64 RedisServer::totalConnectionsReceivedAllRuns() {
  const qint64 now = totalConnectionsReceived();
  return now < 0 ? -1 : receivedBefore_ + now;
}

std::optional<QList<QMap<QByteArray, QByteArray>>> RedisServer::clientList() {
  const auto reply = command({"CLIENT", "LIST"});
  if (!reply || reply->type != resp::Reply::Type::Bulk) return std::nullopt;
  QList<QMap<QByteArray, QByteArray>> clients;
  for (const QByteArray& line : reply->string.split('\n')) {
    const QByteArray l = line.trimmed();
    if (l.isEmpty()) continue;
    QMap<QByteArray, QByteArray> client;
    for (const QByteArray& pair : l.split(' ')) {
      const qsizetype eq = pair.indexOf('=');
      if (eq > 0) client.insert(pair.left(eq), pair.mid(eq + 1));
    }
    clients.push_back(std::move(client));
  }
  return clients;
}

qint64 RedisServer::adminId() {
  const auto reply = command({"CLIENT", "ID"});
  return reply && reply->isInteger() ? reply->integer : -1;
}
