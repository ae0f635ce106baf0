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
  void getOnClosedPoolFailsEvenWithIdleConnections() {
    QCOMPARE(decide_get({.closed = true, .open = 3, .idle = 3, .max_size = 4}), get_action::fail_closed);
  }
  void getTakesIdleBeforeCreating() {
    QCOMPARE(decide_get({.open = 1, .idle = 1, .max_size = 4}), get_action::take_idle);
  }
  void getCreatesBelowMaxSizeWhenNothingIsIdle() {
    QCOMPARE(decide_get({.open = 3, .idle = 0, .max_size = 4}), get_action::create);
  }
  void getWaitsAtMaxSize() { QCOMPARE(decide_get({.open = 4, .idle = 0, .max_size = 4}), get_action::wait); }
  void getQueuesBehindExistingWaitersEvenBelowMaxSize() {
    QCOMPARE(decide_get({.open = 2, .idle = 0, .waiting = 1, .max_size = 4}), get_action::wait);
  }

  void returnOnClosedPoolCloses() {
    QCOMPARE(decide_return({.closed = true, .waiting = 1, .max_idle = 4}, false), return_action::close_pool_closed);
  }
  void returnPastMaxAgeClosesEvenWithWaiters() {
    QCOMPARE(decide_return({.waiting = 1, .max_idle = 4}, true), return_action::close_max_age);
  }
  void returnHandsOverToWaiterBeforeKeepingIdle() {
    QCOMPARE(decide_return({.waiting = 2, .max_idle = 4}, false), return_action::hand_over);
  }
  void returnKeepsIdleBelowMaxIdle() {
    QCOMPARE(decide_return({.idle = 3, .max_idle = 4}, false), return_action::keep_idle);
  }
  void returnClosesWhenIdleIsFull() {
    QCOMPARE(decide_return({.idle = 4, .max_idle = 4}, false), return_action::close_idle_full);
  }
  void returnWithMaxIdleZeroAlwaysCloses() {
    QCOMPARE(decide_return({.idle = 0, .max_idle = 0}, false), return_action::close_idle_full);
  }

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
