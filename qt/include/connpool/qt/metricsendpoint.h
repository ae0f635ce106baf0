// SPDX-License-Identifier: MIT
// MetricsEndpoint: SocketPools' and SqlPools' metrics over HTTP for Prometheus (GET
// /metrics, OpenMetrics or the classic text format as the client's Accept
// header asks; names in docs/metrics.md).
#pragma once

#include <connpool/qt/global.h>

#include <QtCore/qobject.h>
#include <QtCore/qstring.h>
#include <QtNetwork/qhostaddress.h>

#include <cstddef>
#include <memory>

namespace connpool::qt {

class SocketPool;
class SqlPool;
class MetricsEndpointPrivate;

/// A minimal HTTP/1.1 server on a QTcpServer, for scraping only:
///  - GET (or HEAD) /metrics: 200, the metrics of every pool added (each
///    family once, samples labelled pool_name), in the format negotiate()
///    picks from the request's Accept header: OpenMetrics (Content-Type
///    application/openmetrics-text; version=1.0.0; charset=utf-8) when it
///    asks for it, else the classic Prometheus text format (text/plain;
///    version=0.0.4; charset=utf-8); with Vary: Accept;
///  - another path: 404; another method on /metrics: 405;
///  - a malformed request, or headers past 8 KiB: 400.
/// One request per connection (Connection: close). A client that has not
/// sent a whole request, or not read the response, within requestTimeout is
/// dropped; at most 64 connections are served at once (more are refused).
///
/// Lives in one thread, like the pools it serves: addPool holds them weakly
/// (a destroyed pool disappears from the output), through QPointer.
class CONNPOOL_QT_EXPORT MetricsEndpoint : public QObject {
  Q_OBJECT
  Q_PROPERTY(bool listening READ isListening NOTIFY listeningChanged)
  Q_PROPERTY(quint16 port READ serverPort NOTIFY listeningChanged)
  Q_PROPERTY(int requestTimeout READ requestTimeout WRITE setRequestTimeout NOTIFY requestTimeoutChanged)
  Q_PROPERTY(quint64 requestsServed READ requestsServed NOTIFY requestsServedChanged)

public:
  /// The two exposition formats GET /metrics can answer in.
  enum class Format {
    OpenMetrics,    ///< OpenMetrics 1.0.0 (connpool::to_openmetrics), ends in "# EOF"
    PrometheusText, ///< the classic text format 0.0.4 (connpool::to_prometheus_text)
  };
  Q_ENUM(Format)

  explicit MetricsEndpoint(QObject* parent = nullptr);
  ~MetricsEndpoint() override;

  /// Loopback by default; port 0 picks a free one (see serverPort).
  bool listen(const QHostAddress& address = QHostAddress::LocalHost, quint16 port = 0);
  /// Stops listening and drops every connection.
  void close();
  bool isListening() const;
  quint16 serverPort() const;
  QString errorString() const;

  /// Serves `pool` under pool_name="name" until it is destroyed or removed.
  /// Adding it again renames it. False (and a warning) for a null pool or a
  /// name another pool already has.
  bool addPool(SocketPool* pool, const QString& name);
  void removePool(SocketPool* pool);
  /// The same for a SqlPool (names are shared by both kinds).
  bool addPool(SqlPool* pool, const QString& name);
  void removePool(SqlPool* pool);
  /// A literal null pool: false and a warning, as ever.
  bool addPool(std::nullptr_t, const QString& name);

  /// Milliseconds a connection may take to send its request and read the
  /// response (default 5000).
  int requestTimeout() const;
  void setRequestTimeout(int msecs);

  /// Responses sent, whatever their status.
  quint64 requestsServed() const;

  /// What GET /metrics returns now, in `format`.
  QByteArray render(Format format = Format::OpenMetrics) const;

  /// The format for a request whose Accept header is `accept` (several Accept
  /// lines joined with commas), as Prometheus' client libraries choose: the
  /// acceptable (q > 0) media range with the highest q (the first of equal
  /// ones) among application/openmetrics-text (version 1.0.0 or none) and
  /// text/plain (version 0.0.4 or none) decides; anything else (no header,
  /// */*, only other types, a malformed q) gives PrometheusText.
  static Format negotiate(const QByteArray& accept);
  /// "application/openmetrics-text; version=1.0.0; charset=utf-8" or
  /// "text/plain; version=0.0.4; charset=utf-8".
  static QByteArray contentType(Format format);

Q_SIGNALS:
  void listeningChanged();
  void requestTimeoutChanged();
  void requestsServedChanged(quint64 value);

private:
  friend class MetricsEndpointPrivate;
  std::unique_ptr<MetricsEndpointPrivate> d;
};

} // namespace connpool::qt
