// SPDX-License-Identifier: MIT
#include "metricsscraper.h"

#include <QtNetwork/qnetworkreply.h>
#include <QtNetwork/qnetworkrequest.h>

namespace {
QString mebibytes(qint64 bytes) { return QString::number(static_cast<double>(bytes) / (1 << 20), 'f', 1) + " MiB"; }
} // namespace

MetricsScraper::MetricsScraper(QObject* parent) : QObject(parent) {
  deadline_.setSingleShot(true);
  connect(&deadline_, &QTimer::timeout, this,
          [this] { abortWith(QStringLiteral("no complete response within %1 s (too slow)").arg(timeout_ / 1000.0)); });
}

MetricsScraper::~MetricsScraper() { cancel(); }

qint64 MetricsScraper::maxBytes() const { return maxBytes_; }
void MetricsScraper::setMaxBytes(qint64 bytes) { maxBytes_ = qMax<qint64>(1, bytes); }
int MetricsScraper::timeout() const { return timeout_; }
void MetricsScraper::setTimeout(int msecs) { timeout_ = qMax(1, msecs); }
bool MetricsScraper::isBusy() const { return reply_ != nullptr; }

bool MetricsScraper::fetch(const QUrl& url) {
  if (reply_) return false;
  QNetworkRequest request(url);
  // OpenMetrics first, then the classic format, as Prometheus asks.
  request.setRawHeader("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
  request.setRawHeader("User-Agent", "connpool-demo");
  request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);
  request.setMaximumRedirectsAllowed(3);
  // Between bytes; the deadline below bounds the whole response.
  request.setTransferTimeout(timeout_);
  body_.clear();
  abortReason_.clear();
  started_.start();
  reply_ = network_.get(request);
  // Qt reads the socket ahead only this far: memory stays bounded until the
  // size check below runs.
  reply_->setReadBufferSize(256 * 1024);
  connect(reply_, &QNetworkReply::metaDataChanged, this, [this] {
    if (!reply_) return;
    const qint64 length = reply_->header(QNetworkRequest::ContentLengthHeader).toLongLong();
    if (length > maxBytes_)
      abortWith(
          QStringLiteral("response of %1 refused: over the %2 limit").arg(mebibytes(length), mebibytes(maxBytes_)));
  });
  connect(reply_, &QNetworkReply::readyRead, this, [this] {
    if (!reply_) return;
    body_ += reply_->read(qMax<qint64>(0, maxBytes_ + 1 - body_.size()));
    if (body_.size() > maxBytes_)
      abortWith(QStringLiteral("response refused: larger than the %1 limit").arg(mebibytes(maxBytes_)));
  });
  connect(reply_, &QNetworkReply::finished, this, &MetricsScraper::finish);
  deadline_.start(timeout_);
  return true;
}

void MetricsScraper::abortWith(const QString& why) {
  if (!reply_ || !abortReason_.isEmpty()) return;
  abortReason_ = why;
  reply_->abort(); // finished() follows, synchronously
}

void MetricsScraper::cancel() {
  deadline_.stop();
  if (!reply_) return;
  QNetworkReply* reply = reply_;
  reply_ = nullptr;
  reply->disconnect(this);
  reply->abort();
  reply->deleteLater();
}

void MetricsScraper::finish() {
  deadline_.stop();
  QNetworkReply* reply = reply_;
  if (!reply) return;
  reply_ = nullptr;
  reply->deleteLater();
  if (!abortReason_.isEmpty()) {
    body_.clear();
    emit failed(abortReason_);
    return;
  }
  const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
  if (status != 0 && status != 200) {
    emit failed(QStringLiteral("HTTP %1 %2")
                    .arg(status)
                    .arg(reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString()));
    return;
  }
  if (reply->error() != QNetworkReply::NoError) {
    emit failed(reply->errorString());
    return;
  }
  body_ += reply->read(qMax<qint64>(0, maxBytes_ + 1 - body_.size()));
  if (body_.size() > maxBytes_) {
    body_.clear();
    emit failed(QStringLiteral("response refused: larger than the %1 limit").arg(mebibytes(maxBytes_)));
    return;
  }
  const QString type = reply->header(QNetworkRequest::ContentTypeHeader).toString();
  if (type.startsWith(QLatin1String("text/html")) || type.startsWith(QLatin1String("application/json")) ||
      type.startsWith(QLatin1String("image/"))) {
    body_.clear();
    emit failed(QStringLiteral("not metrics: the response is %1").arg(type.section(QLatin1Char(';'), 0, 0)));
    return;
  }
  const QByteArray body = std::exchange(body_, {});
  emit fetched(body, started_.elapsed());
}
