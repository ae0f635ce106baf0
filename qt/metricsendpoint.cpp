// SPDX-License-Identifier: MIT
#include <connpool/qt/metricsendpoint.h>

#include <connpool/qt/socketpool.h>
#include <connpool/qt/sqlpool.h>

#include <QtCore/qlogging.h>
#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qtcpserver.h>
#include <QtNetwork/qtcpsocket.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

import connpool;

namespace connpool::qt {

namespace {

constexpr qsizetype maxHeaderBytes = 8 * 1024;
constexpr int maxConnections = 64;

struct Response {
  int status = 200;
  QByteArray reason, contentType, body;
  bool headOnly = false;
  bool varyAccept = false; // the body depends on the Accept header
};

Response plain(int status, const char* reason) {
  return {status, reason, "text/plain; charset=utf-8", QByteArray(reason) + '\n'};
}

bool isToken(const QByteArray& s) {
  static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  return !s.isEmpty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || extra.find(c) != extra.npos;
  });
}

// RFC 9110 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ).
std::optional<int> thousandths(const QByteArray& s) {
  if (s.isEmpty() || s.size() > 5 || (s[0] != '0' && s[0] != '1') || (s.size() > 1 && s[1] != '.')) return {};
  int value = s[0] == '1' ? 1000 : 0;
  int scale = 100;
  for (qsizetype i = 2; i < s.size(); ++i, scale /= 10) {
    if (s[i] < '0' || s[i] > '9') return {};
    value += (s[i] - '0') * scale;
  }
  if (value > 1000) return {};
  return value;
}

} // namespace

class MetricsEndpointPrivate {
public:
  /// A SocketPool or a SqlPool, and how to render it.
  struct Entry {
    QPointer<QObject> pool;
    QString name;
    QByteArray (*text)(QObject* pool, const QString& name, bool openMetrics);
  };
  template <class P> static QByteArray textOf(QObject* pool, const QString& name, bool openMetrics) {
    P* p = static_cast<P*>(pool);
    return openMetrics ? p->openMetrics(name, false) : p->prometheusText(name);
  }
  bool addPool(QObject* pool, const QString& name, decltype(Entry::text) text);

  // The server is q's child so that it follows q to another thread.
  explicit MetricsEndpointPrivate(MetricsEndpoint* q) : q(q) { server.setParent(q); }
  void accept();
  Response respond(const QByteArray& head) const;
  void dropConnections();
  void dropDeadPools() {
    pools.erase(std::remove_if(pools.begin(), pools.end(), [](const Entry& e) { return !e.pool; }), pools.end());
  }

  MetricsEndpoint* const q;
  QTcpServer server;
  std::vector<Entry> pools;
  int timeoutMs = 5000;
  quint64 served = 0;
  int connections = 0;
};

namespace {

// One client: reads one request (bounded), answers, closes. Deleted when the
// client goes, or at its deadline.
class Connection final : public QObject {
public:
  Connection(QTcpSocket* socket, MetricsEndpointPrivate* d) : QObject(d->q), d_(d), socket_(socket) {
    ++d_->connections;
    socket_->setParent(this);
    socket_->setReadBufferSize(64 * 1024);
    deadline_.setSingleShot(true);
    QObject::connect(&deadline_, &QTimer::timeout, this, [this] { drop(); });
    deadline_.start(d_->timeoutMs);
    QObject::connect(socket_, &QTcpSocket::readyRead, this, [this] { read(); });
    QObject::connect(socket_, &QTcpSocket::disconnected, this, [this] { drop(); });
    read();
  }
  ~Connection() override { --d_->connections; }

private:
  void drop() {
    deadline_.stop();
    socket_->abort();
    deleteLater();
  }
  void read() {
    if (answered_) {
      socket_->readAll(); // discarded: one request per connection
      return;
    }
    buffer_ += socket_->readAll();
    const qsizetype end = buffer_.indexOf("\r\n\r\n");
    if (end >= 0 && end + 4 <= maxHeaderBytes)
      answer(d_->respond(buffer_.left(end + 2)));
    else if (end >= 0 || buffer_.size() > maxHeaderBytes)
      answer(plain(400, "Bad Request"));
  }
  void answer(const Response& r) {
    answered_ = true;
    buffer_.clear();
    QByteArray out = "HTTP/1.1 " + QByteArray::number(r.status) + ' ' + r.reason +
                     "\r\nContent-Type: " + r.contentType + "\r\nContent-Length: " + QByteArray::number(r.body.size()) +
                     "\r\nConnection: close\r\n";
    if (r.status == 405) out += "Allow: GET, HEAD\r\n";
    if (r.varyAccept) out += "Vary: Accept\r\n";
    out += "\r\n";
    if (!r.headOnly) out += r.body;
    socket_->write(out);
    socket_->disconnectFromHost(); // after the response is written; `disconnected` then drops us
    emit d_->q->requestsServedChanged(++d_->served);
  }

  MetricsEndpointPrivate* const d_;
  QTcpSocket* const socket_;
  QTimer deadline_;
  QByteArray buffer_;
  bool answered_ = false;
};

} // namespace

void MetricsEndpointPrivate::dropConnections() {
  // Connections are the endpoint's children; deleted here while `this` is alive.
  for (QObject* child : q->findChildren<QObject*>(Qt::FindDirectChildrenOnly))
    if (dynamic_cast<Connection*>(child)) delete child;
}

void MetricsEndpointPrivate::accept() {
  while (QTcpSocket* socket = server.nextPendingConnection()) {
    if (connections >= maxConnections) {
      socket->abort();
      socket->deleteLater();
      continue;
    }
    new Connection(socket, this);
  }
}

// `head`: the request line and header lines, each ending in CRLF.
Response MetricsEndpointPrivate::respond(const QByteArray& head) const {
  const Response bad = plain(400, "Bad Request");
  QList<QByteArray> lines = head.split('\n');
  lines.removeLast(); // empty, after the last LF
  for (QByteArray& line : lines) {
    if (!line.endsWith('\r')) return bad;
    line.chop(1);
  }
  const QList<QByteArray> start = lines.first().split(' ');
  if (start.size() != 3 || !isToken(start[0]) || !start[1].startsWith('/') ||
      (start[2] != "HTTP/1.1" && start[2] != "HTTP/1.0"))
    return bad;
  bool host = false;
  for (qsizetype i = 1; i < lines.size(); ++i) {
    const qsizetype colon = lines[i].indexOf(':');
    if (colon <= 0 || !isToken(lines[i].left(colon))) return bad;
    host = host || lines[i].left(colon).compare("host", Qt::CaseInsensitive) == 0;
  }
  if (start[2] == "HTTP/1.1" && !host) return bad; // RFC 9112 3.2

  const QByteArray path = start[1].split('?').first();
  if (path != "/metrics") return plain(404, "Not Found");
  if (start[0] != "GET" && start[0] != "HEAD") return plain(405, "Method Not Allowed");
  QByteArray accept; // every Accept line, as one list (RFC 9110 5.3)
  for (qsizetype i = 1; i < lines.size(); ++i) {
    const qsizetype colon = lines[i].indexOf(':');
    if (lines[i].left(colon).compare("accept", Qt::CaseInsensitive) != 0) continue;
    if (!accept.isEmpty()) accept += ',';
    accept += lines[i].mid(colon + 1);
  }
  const MetricsEndpoint::Format format = MetricsEndpoint::negotiate(accept);
  Response r{200, "OK", MetricsEndpoint::contentType(format), q->render(format)};
  r.headOnly = start[0] == "HEAD";
  r.varyAccept = true;
  return r;
}

MetricsEndpoint::MetricsEndpoint(QObject* parent) : QObject(parent), d(std::make_unique<MetricsEndpointPrivate>(this)) {
  connect(&d->server, &QTcpServer::newConnection, this, [this] { d->accept(); });
}

MetricsEndpoint::~MetricsEndpoint() { d->dropConnections(); }

bool MetricsEndpoint::listen(const QHostAddress& address, quint16 port) {
  if (d->server.isListening()) close();
  if (!d->server.listen(address, port)) return false;
  emit listeningChanged();
  return true;
}

void MetricsEndpoint::close() {
  const bool was = d->server.isListening();
  d->server.close();
  d->dropConnections();
  if (was) emit listeningChanged();
}

bool MetricsEndpoint::isListening() const { return d->server.isListening(); }
quint16 MetricsEndpoint::serverPort() const { return d->server.serverPort(); }
QString MetricsEndpoint::errorString() const { return d->server.errorString(); }

bool MetricsEndpointPrivate::addPool(QObject* pool, const QString& name, decltype(Entry::text) text) {
  dropDeadPools();
  if (!pool) {
    qWarning("connpool::qt::MetricsEndpoint::addPool: null pool");
    return false;
  }
  for (const auto& e : pools)
    if (e.pool != pool && e.name == name) {
      qWarning("connpool::qt::MetricsEndpoint::addPool: another pool is named \"%s\"", qPrintable(name));
      return false;
    }
  for (auto& e : pools)
    if (e.pool == pool) {
      e.name = name;
      return true;
    }
  pools.push_back({pool, name, text});
  return true;
}

bool MetricsEndpoint::addPool(SocketPool* pool, const QString& name) {
  return d->addPool(pool, name, &MetricsEndpointPrivate::textOf<SocketPool>);
}

bool MetricsEndpoint::addPool(SqlPool* pool, const QString& name) {
  return d->addPool(pool, name, &MetricsEndpointPrivate::textOf<SqlPool>);
}

bool MetricsEndpoint::addPool(std::nullptr_t, const QString& name) { return d->addPool(nullptr, name, nullptr); }

void MetricsEndpoint::removePool(SqlPool* pool) {
  d->dropDeadPools();
  d->pools.erase(std::remove_if(d->pools.begin(), d->pools.end(),
                                [pool](const auto& e) { return e.pool == static_cast<QObject*>(pool); }),
                 d->pools.end());
}

void MetricsEndpoint::removePool(SocketPool* pool) {
  d->dropDeadPools();
  d->pools.erase(std::remove_if(d->pools.begin(), d->pools.end(),
                                [pool](const auto& e) { return e.pool == static_cast<QObject*>(pool); }),
                 d->pools.end());
}

int MetricsEndpoint::requestTimeout() const { return d->timeoutMs; }
void MetricsEndpoint::setRequestTimeout(int msecs) {
  msecs = std::max(msecs, 1);
  if (msecs == d->timeoutMs) return;
  d->timeoutMs = msecs;
  emit requestTimeoutChanged();
}

quint64 MetricsEndpoint::requestsServed() const { return d->served; }

QByteArray MetricsEndpoint::render(Format format) const {
  const bool openMetrics = format == Format::OpenMetrics;
  std::vector<std::string> texts;
  for (const auto& e : d->pools)
    if (e.pool) texts.push_back(e.text(e.pool, e.name, openMetrics).toStdString());
  const std::vector<std::string_view> views(texts.begin(), texts.end());
  return QByteArray::fromStdString(openMetrics ? connpool::merge_openmetrics(views)
                                               : connpool::merge_prometheus_text(views));
}

MetricsEndpoint::Format MetricsEndpoint::negotiate(const QByteArray& accept) {
  Format best = Format::PrometheusText;
  int bestQ = 0; // thousandths; the first of equal q wins
  for (const QByteArray& item : accept.split(',')) {
    QList<QByteArray> parts = item.split(';');
    const QByteArray type = parts.takeFirst().trimmed().toLower();
    const bool om = type == "application/openmetrics-text";
    if (!om && type != "text/plain") continue; // */*, text/*, protobuf, ...: not a choice between the two
    QByteArray version;
    std::optional<int> q = 1000;
    for (const QByteArray& param : parts) {
      const qsizetype eq = param.indexOf('=');
      const QByteArray name = param.left(eq).trimmed().toLower();
      QByteArray value = eq < 0 ? QByteArray() : param.mid(eq + 1).trimmed();
      if (value.size() >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.mid(1, value.size() - 2);
      if (name == "q")
        q = thousandths(value);
      else if (name == "version")
        version = value;
    }
    if (!q) continue; // a malformed q drops the range; q=0 ("not acceptable") never beats bestQ
    if ((version.isEmpty() || version == (om ? "1.0.0" : "0.0.4")) && *q > bestQ) {
      best = om ? Format::OpenMetrics : Format::PrometheusText;
      bestQ = *q;
    }
  }
  return best;
}

QByteArray MetricsEndpoint::contentType(Format format) {
  return format == Format::OpenMetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                       : "text/plain; version=0.0.4; charset=utf-8";
}

} // namespace connpool::qt
