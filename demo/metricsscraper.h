// SPDX-License-Identifier: MIT
// MetricsScraper: one bounded HTTP GET of a /metrics URL at a time, on the
// GUI thread without blocking it (QNetworkAccessManager is asynchronous).
// Bounded in size (a Content-Length or a body past maxBytes is aborted as
// soon as it is seen) and in time (the whole response within timeout, not
// only between bytes: a server that trickles is cut off too).
#pragma once

#include <QtCore/qbytearray.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qobject.h>
#include <QtCore/qpointer.h>
#include <QtCore/qtimer.h>
#include <QtCore/qurl.h>
#include <QtNetwork/qnetworkaccessmanager.h>

class QNetworkReply;

class MetricsScraper : public QObject {
  Q_OBJECT

public:
  explicit MetricsScraper(QObject* parent = nullptr);
  ~MetricsScraper() override;

  /// Largest body accepted (default 8 MiB).
  qint64 maxBytes() const;
  void setMaxBytes(qint64 bytes);
  /// Milliseconds for the whole response (default 5000).
  int timeout() const;
  void setTimeout(int msecs);

  /// Starts a GET of `url`; false (nothing started) while one is in flight.
  bool fetch(const QUrl& url);
  bool isBusy() const;
  /// Drops the request in flight without a signal.
  void cancel();

Q_SIGNALS:
  /// A 200 response with a body that may be metrics text; `msecs`: how
  /// long the request took.
  void fetched(const QByteArray& body, qint64 msecs);
  /// No usable response: why, in words for the event log.
  void failed(const QString& why);

private:
  void abortWith(const QString& why);
  void finish();

  QNetworkAccessManager network_;
  QPointer<QNetworkReply> reply_;
  QByteArray body_;
  QString abortReason_;
  QTimer deadline_;
  QElapsedTimer started_;
  qint64 maxBytes_ = 8 << 20;
  int timeout_ = 5000;
};
