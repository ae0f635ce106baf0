// SPDX-License-Identifier: MIT
// Test support for the SqlPool suites: a message handler that counts every
// warning (Qt SQL's "still in use" and "does not belong to the calling
// thread" among them), and a meter of the event loop's stalls.
#pragma once

#include <QtCore/qelapsedtimer.h>
#include <QtCore/qlist.h>
#include <QtCore/qmutex.h>
#include <QtCore/qstring.h>
#include <QtCore/qtimer.h>

#include <algorithm>
#include <atomic>
#include <cstdio>

namespace sqltest {

/// Counts warnings and criticals from every thread while it lives; each is
/// still printed by the handler it replaced.
class WarningCounter {
public:
  WarningCounter() {
    counter() = this;
    previous_ = qInstallMessageHandler(&WarningCounter::handle);
  }
  ~WarningCounter() {
    qInstallMessageHandler(previous_);
    counter() = nullptr;
  }
  int count() const { return count_.load(); }
  /// From now on, what Qt's PostgreSQL driver prints from inside
  /// QSqlDatabase::open() when the server drops the connection mid-open
  /// (its setup queries fail: it prints libpq's error text and "This version
  /// of PostgreSQL is not supported") is counted apart, in driverOpenNoise().
  /// Only a test that kills or restarts the server expects those.
  void setDriverOpenNoiseExpected(bool expected) { noiseExpected_ = expected; }
  int driverOpenNoise() const { return noise_.load(); }
  QStringList messages() const {
    QMutexLocker lk(&mutex_);
    return messages_;
  }

private:
  static WarningCounter*& counter() {
    static WarningCounter* c = nullptr;
    return c;
  }
  static void handle(QtMsgType type, const QMessageLogContext& context, const QString& message) {
    WarningCounter* c = counter();
    if (c && (type == QtWarningMsg || type == QtCriticalMsg) && c->noiseExpected_.load() &&
        isDriverOpenNoise(message)) {
      ++c->noise_;
    } else if (c && (type == QtWarningMsg || type == QtCriticalMsg)) {
      ++c->count_;
      QMutexLocker lk(&c->mutex_);
      c->messages_ << message;
    }
    if (c && c->previous_) c->previous_(type, context, message);
  }
  static bool isDriverOpenNoise(const QString& m) {
    static const char* const libpq[] = {
        "This version of PostgreSQL is not supported and may not work.",
        "terminating connection due to administrator command",
        "no connection to the server",
        "server closed the connection unexpectedly",
        "the database system is shutting down",
        "terminating connection due to unexpected postmaster exit",
    };
    for (const char* text : libpq)
      if (m.contains(QLatin1String(text))) return true;
    return false;
  }
  QtMessageHandler previous_ = nullptr;
  std::atomic<bool> noiseExpected_{false};
  std::atomic<int> noise_{0};
  std::atomic<int> count_{0};
  mutable QMutex mutex_;
  QStringList messages_;
};

/// Measures how late a 1 ms timer fires in the calling thread's event loop:
/// each gap between two ticks, in microseconds.
class StallMeter {
public:
  StallMeter() {
    timer_.setTimerType(Qt::PreciseTimer);
    timer_.setInterval(1);
    QObject::connect(&timer_, &QTimer::timeout, [this] {
      if (clock_.isValid()) gapsUs_ << clock_.nsecsElapsed() / 1000;
      clock_.start();
    });
  }
  void start() { timer_.start(); }
  void stop() { timer_.stop(); }
  int ticks() const { return static_cast<int>(gapsUs_.size()); }
  qint64 percentileUs(double p) const {
    if (gapsUs_.isEmpty()) return 0;
    QList<qint64> sorted = gapsUs_;
    std::sort(sorted.begin(), sorted.end());
    const auto i = static_cast<qsizetype>(p * static_cast<double>(sorted.size() - 1));
    return sorted.at(i);
  }
  qint64 maxUs() const { return gapsUs_.isEmpty() ? 0 : *std::max_element(gapsUs_.begin(), gapsUs_.end()); }

private:
  QTimer timer_;
  QElapsedTimer clock_;
  QList<qint64> gapsUs_;
};

/// One measured figure, on a line of its own that grep finds ("FIGURE").
inline void figure(const char* what, double value, const char* unit) {
  std::printf("FIGURE %s: %.1f %s\n", what, value, unit);
  std::fflush(stdout);
}

} // namespace sqltest
