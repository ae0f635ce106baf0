// SPDX-License-Identifier: MIT
#include "dashboard.h"

#include <QtCore/qmetaobject.h>
#include <QtNetwork/qsslerror.h>

#include <algorithm>

using connpool::qt::SocketPool;
using connpool::qt::SocketPoolStats;

namespace {
constexpr int sampleMs = 500;

/// Every property of the snapshot by name, numbers as doubles (what QML
/// reads; exact to 2^53).
QVariantMap toMap(const SocketPoolStats& stats) {
  QVariantMap map;
  const QMetaObject& meta = SocketPoolStats::staticMetaObject;
  for (int i = meta.propertyOffset(); i < meta.propertyCount(); ++i) {
    const QMetaProperty p = meta.property(i);
    const QVariant v = p.readOnGadget(&stats);
    map.insert(QString::fromLatin1(p.name()), v.typeId() == QMetaType::Bool ? v : QVariant(v.toDouble()));
  }
  return map;
}

/// The q-th quantile (0..1) of `values` in milliseconds; 0 when empty.
qreal quantileMs(std::vector<qint64>& values, double q) {
  if (values.empty()) return 0;
  const auto k = static_cast<std::size_t>(q * static_cast<double>(values.size() - 1) + 0.5);
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return static_cast<qreal>(values[k]) / 1000.0;
}
} // namespace

Dashboard::Dashboard(const QString& host, quint16 port, bool tls, const QList<QSslCertificate>& caCertificates,
                     QObject* parent)
    : PoolMonitor(parent), host_(host), port_(port), tls_(tls), caCertificates_(caCertificates),
      generator_(std::make_unique<LoadGenerator>()),
      view_(std::make_unique<PoolView>(QStringLiteral("demo"), QStringLiteral("pool histograms"))) {
  if (host_.isEmpty()) {
    server_ = std::make_unique<EchoServer>();
    ready_ = server_->start();
    host_ = QStringLiteral("127.0.0.1");
    port_ = static_cast<quint16>(server_->port());
  }
  connect(generator_.get(), &LoadGenerator::leaseError, this,
          [this](const QString& text) { log(QStringLiteral("warning"), text); });
  connect(generator_.get(), &LoadGenerator::poolReleased, this, &Dashboard::release);

  pool_ = makePool(Settings{});
  watchStats(pool_.get());
  generator_->setPool(pool_.get());

  uptime_.start();
  sampler_.setInterval(sampleMs);
  connect(&sampler_, &QTimer::timeout, this, &Dashboard::sample);
  sampler_.start();
}

Dashboard::~Dashboard() {
  sampler_.stop();
  generator_->shutDown();
}

bool Dashboard::isReady() const { return ready_; }
SocketPool* Dashboard::pool() const { return pool_.get(); }
int Dashboard::poolGeneration() const { return generation_; }
EchoServer* Dashboard::server() const { return server_.get(); }
LoadGenerator* Dashboard::generator() const { return generator_.get(); }
QString Dashboard::target() const {
  return QStringLiteral("%1:%2").arg(host_).arg(port_) + (tls_ ? QStringLiteral(" (TLS)") : QString());
}
bool Dashboard::isTls() const { return tls_; }
int Dashboard::retiringPools() const { return static_cast<int>(retired_.size()); }

int Dashboard::sampleInterval() const { return sampleMs; }
PoolView* Dashboard::view() const { return view_.get(); }
bool Dashboard::isWatching() const { return false; }
quint64 Dashboard::roundTrips() const { return generator_->roundTrips(); }
qreal Dashboard::uptime() const { return static_cast<qreal>(uptime_.elapsed()) / 1000.0; }

std::unique_ptr<SocketPool> Dashboard::makePool(const Settings& settings) {
  auto pool = std::make_unique<SocketPool>(host_, port_);
  pool->setMaxSize(settings.maxSize);
  pool->setMaxIdle(settings.maxIdle);
  pool->setMaxIdleTime(settings.maxIdleTime);
  pool->setMaxAge(settings.maxAge);
  pool->setHealthCheckInterval(settings.healthCheckInterval);
  pool->setMinIdle(settings.minIdle);
  pool->setBackoffInitial(settings.backoffInitial);
  pool->setLeakThreshold(settings.leakThreshold);
  pool->setHealthCheckTimeout(500);
  pool->setConnectTimeout(1000);
  pool->setStatsInterval(100);
  if (tls_) {
    pool->setTlsEnabled(true);
    if (!caCertificates_.isEmpty()) pool->setCaCertificates(caCertificates_);
  }
  connect(pool.get(), &SocketPool::connectFailed, this, [this](QAbstractSocket::SocketError, const QString& text) {
    log(QStringLiteral("error"), QStringLiteral("connect failed: ") + text);
  });
  connect(pool.get(), &SocketPool::sslErrors, this, [this](const QList<QSslError>& errors) {
    for (const QSslError& e : errors)
      log(QStringLiteral("error"), QStringLiteral("TLS: ") + e.errorString());
  });
  connect(pool.get(), &SocketPool::circuitOpenChanged, this, [this](bool open) {
    log(open ? QStringLiteral("error") : QStringLiteral("info"),
        open ? QStringLiteral("circuit breaker OPEN: acquires that need a connect fail fast")
             : QStringLiteral("circuit breaker closed: a connect succeeded"));
  });
  connect(pool.get(), &SocketPool::leakSuspected, this, [this](quint64 id, const QString& where, qint64 held) {
    log(QStringLiteral("warning"), QStringLiteral("lease of connection #%1 held %2 ms (leak?), taken at %3")
                                       .arg(id)
                                       .arg(held)
                                       .arg(where.section(QLatin1Char('/'), -1)));
  });
  connect(pool.get(), &SocketPool::settingsChanged, this, [this, p = pool.get()] {
    if (p == pool_.get())
      log(QStringLiteral("info"),
          QStringLiteral("live settings: max_size %1, max_idle %2, min_idle %3, "
                         "max_idle_time %4 ms, max_age %5 ms, health check %6 ms")
              .arg(p->maxSize())
              .arg(p->maxIdle() < 0 ? QStringLiteral("= max_size") : QString::number(p->maxIdle()))
              .arg(p->minIdle())
              .arg(p->maxIdleTime())
              .arg(p->maxAge())
              .arg(p->healthCheckInterval()));
  });
  return pool;
}

void Dashboard::applySettings(int backoffInitial) {
  const Settings settings{
      pool_->maxSize(), pool_->maxIdle(),        pool_->maxIdleTime(),  pool_->maxAge(), pool_->healthCheckInterval(),
      pool_->minIdle(), qMax(0, backoffInitial), pool_->leakThreshold()};
  retired_.push_back(std::move(pool_));
  pool_ = makePool(settings);
  watchStats(pool_.get());
  ++generation_;
  previous_ = SocketPoolStats{};
  emit retiringPoolsChanged();
  emit poolChanged();
  log(QStringLiteral("info"),
      QStringLiteral("pool #%1 replaces #%2: breaker backoff %3 ms (live settings carried over)")
          .arg(generation_)
          .arg(generation_ - 1)
          .arg(settings.backoffInitial));
  // The old pool is deleted once its workers have finished (poolReleased).
  generator_->setPool(pool_.get());
}

void Dashboard::drain() {
  const int n = pool_->drain();
  log(QStringLiteral("info"), QStringLiteral("drained: %1 connections retire (idle now, leased on return)").arg(n));
}

void Dashboard::release(SocketPool* pool) {
  const auto it = std::find_if(retired_.begin(), retired_.end(), [pool](const auto& p) { return p.get() == pool; });
  if (it == retired_.end()) return;
  retired_.erase(it);
  emit retiringPoolsChanged();
}

void Dashboard::stopLoad() {
  generator_->setAsyncEnabled(false);
  generator_->shutDown();
}

QString Dashboard::statsLine() const {
  const SocketPoolStats s = pool_->stats();
  return QStringLiteral("stats: gets=%1 puts=%2 discards=%3 hits=%4 misses=%5 waits=%6 timeouts=%7 "
                        "ping_failures=%8 idle_closed=%9 age_closed=%10 factory_failures=%11 close_timeouts=%12 "
                        "max_active=%13 open=%14 idle=%15 active=%16 waiting=%17 round_trips=%18")
      .arg(s.gets)
      .arg(s.puts)
      .arg(s.discards)
      .arg(s.hits)
      .arg(s.misses)
      .arg(s.waits)
      .arg(s.timeouts)
      .arg(s.pingFailures)
      .arg(s.idleClosed)
      .arg(s.ageClosed)
      .arg(s.factoryFailures)
      .arg(s.closeTimeouts)
      .arg(s.maxActive)
      .arg(s.openCount)
      .arg(s.idleCount)
      .arg(s.activeCount)
      .arg(s.waitingCount)
      .arg(generator_->roundTrips());
}

void Dashboard::watchStats(SocketPool* pool) {
  // The pool publishes every statsInterval (100 ms): the cards follow it.
  view_->setStats(toMap(pool->publishedStats()));
  connect(pool, &SocketPool::statsChanged, view_.get(), [this, pool](const SocketPoolStats& stats) {
    if (pool == pool_.get()) view_->setStats(toMap(stats));
  });
}

void Dashboard::sample() {
  const SocketPoolStats now = pool_->stats();
  std::vector<qint64> latencies = generator_->takeLatencies();
  view_->sample(uptime(), quantileMs(latencies, 0.50), quantileMs(latencies, 0.99));

  if (now.pingFailures > previous_.pingFailures)
    log(QStringLiteral("error"), QStringLiteral("%1 ping failure(s): dead idle sockets found and closed")
                                     .arg(now.pingFailures - previous_.pingFailures));
  if (now.closeTimeouts > previous_.closeTimeouts)
    log(QStringLiteral("warning"),
        QStringLiteral("%1 close timeout(s)").arg(now.closeTimeouts - previous_.closeTimeouts));
  previous_ = now;
  emit historyChanged();
}
