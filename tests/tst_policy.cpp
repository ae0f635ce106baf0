// The pool's decisions, driven directly: no threads, sockets or clocks.
#include <QTest>

#include <chrono>
import connpool;

using namespace std::chrono_literals;
using namespace connpool::detail;
using connpool::duration;
using connpool::time_point;

class tst_Policy : public QObject {
  Q_OBJECT
private slots:
  void freedSlotGoesToFirstWaiter() {
    QCOMPARE(decide_freed_slot({.waiting = 1}), slot_action::grant_to_waiter);
    QCOMPARE(decide_freed_slot({.waiting = 0}), slot_action::release);
    QCOMPARE(decide_freed_slot({.closed = true, .waiting = 1}), slot_action::release);
  }

  void expiryChecksMaxAgeThenIdleTime() {
    const time_point t0{std::chrono::hours(1)};
    QCOMPARE(check_expiry(t0, t0, t0 + 9s, 10s, 0s), expiry::fresh);
    QCOMPARE(check_expiry(t0, t0, t0 + 10s, 10s, 0s), expiry::idle_time);
    QCOMPARE(check_expiry(t0, t0 + 5s, t0 + 10s, 10s, 0s), expiry::fresh);
    QCOMPARE(check_expiry(t0, t0 + 5s, t0 + 10s, 10s, 10s), expiry::max_age);
    QCOMPARE(check_expiry(t0, t0, t0 + 1000h, 0s, 0s), expiry::fresh); // zero means off
  }

  void maintenanceIntervalPrefersExplicitCleanupInterval() {
    QCOMPARE(maintenance_interval(7s, 10s, 20s, 3s), duration(7s));
  }
  void maintenanceIntervalIsShortestOfHalfLimitsAndHealthInterval() {
    QCOMPARE(maintenance_interval(0s, 10s, 20s, 30s), duration(5s));
    QCOMPARE(maintenance_interval(0s, 10s, 4s, 30s), duration(2s));
    QCOMPARE(maintenance_interval(0s, 10s, 20s, 3s), duration(3s));
  }
  void maintenanceIntervalIsZeroWhenNothingNeedsIt() { QCOMPARE(maintenance_interval(0s, 0s, 0s, 0s), duration(0s)); }
  void maintenanceIntervalIsFlooredAtOneMillisecond() {
    QCOMPARE(maintenance_interval(0s, 1us, 0s, 0s), duration(1ms));
  }
};

QTEST_APPLESS_MAIN(tst_Policy)
#include "tst_policy.moc"
