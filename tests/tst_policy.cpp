// SPDX-License-Identifier: MIT
// The pool's decisions, driven directly: no threads, sockets or clocks.
// An implementation unit of connpool (exposed for testing): the decisions
// are internals, not part of what `import connpool;` offers.
module;
#include <QTest>

#include <chrono>
module connpool;
import :policy; // its internals are visible to units of the module that import it

using namespace std::chrono_literals;
using namespace connpool::detail;
using connpool::duration;
using connpool::time_point;

class tst_Policy : public QObject {
  Q_OBJECT
private slots:
  void firstWaiterGetsRoomOnlyBelowMaxSizeAndMaxConnectingWhenNotCoveredOrClosed() {
    const pool_view room{.waiting = 1, .open = 1, .max_size = 2};
    QVERIFY(room_for_waiter(room));
    auto v = room;
    v.waiting = 0;
    QVERIFY(!room_for_waiter(v)); // nobody waits
    v = room;
    v.closed = true;
    QVERIFY(!room_for_waiter(v));
    v = room;
    v.open = 2;
    QVERIFY(!room_for_waiter(v)); // at max_size: a return will serve it
    v = room;
    v.covered = 1;
    QVERIFY(!room_for_waiter(v)); // a background dial in flight will serve it
    v = room;
    v.max_connecting = 1, v.dialing = 1;
    QVERIFY(!room_for_waiter(v)); // the dial cap is reached
    v.dialing = 0;
    QVERIFY(room_for_waiter(v));
  }

  void waitSignalHandsOverInOrderNudgesAnAsleepFirstWaiterAndIsNoneOtherwise() {
    QCOMPARE(wait_signal_for(false, false, false), wait_signal::none); // nobody waits
    QCOMPARE(wait_signal_for(false, true, false), wait_signal::none);
    QCOMPARE(wait_signal_for(true, true, false), wait_signal::hand_over); // strict, or bounded past the bound
    QCOMPARE(wait_signal_for(true, true, true), wait_signal::hand_over);  // in order, awake or not
    QCOMPARE(wait_signal_for(true, false, false), wait_signal::nudge);    // bounded: wake the first to look
    QCOMPARE(wait_signal_for(true, false, true), wait_signal::none);      // it is looking: puts stay lock-free
  }
  void waitersAreServedInOrderFromTheBoundUntilOneIsServedThatWaitedLess() {
    QVERIFY(!must_serve_in_order(999us, 1ms));
    QVERIFY(must_serve_in_order(1ms, 1ms));
    QVERIFY(must_serve_in_order(1h, 1ms));
    QVERIFY(!may_overtake_again(1ms, 1ms, 3));  // the next waited the bound too: keep serving in order
    QVERIFY(may_overtake_again(999us, 1ms, 3)); // the queue is short again
    QVERIFY(may_overtake_again(1h, 1ms, 0));    // and none is left
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
  void maintenanceIntervalCoversLeaksAndKeepingFilled() {
    QCOMPARE(maintenance_interval(0s, 0s, 0s, 0s, 10s), duration(5s));
    QCOMPARE(maintenance_interval(0s, 0s, 0s, 0s, {}, true), duration(250ms));
    QCOMPARE(maintenance_interval(0s, 100ms, 0s, 0s, {}, true), duration(50ms));
  }

  // ---- circuit breaker ----------------------------------------------------
  void breakerOffLetsEveryDialThroughAndNeverOpens() {
    breaker b; // initial 0: off
    QVERIFY(!b.on_failure(time_point{}, 0.5));
    QCOMPARE(b.may_dial(time_point{}), breaker::verdict::dial);
  }
  void breakerOpensOnFailureRejectsUntilTheJitteredDelayThenLetsOneProbe() {
    breaker b{.initial = 1s, .max_delay = 4s};
    const time_point t0{std::chrono::hours(1)};
    QVERIFY(b.on_failure(t0, 0.0)); // just opened; u = 0: half the delay
    QCOMPARE(b.retry_at, t0 + 500ms);
    QCOMPARE(b.may_dial(t0 + 499ms), breaker::verdict::reject);
    QCOMPARE(b.may_dial(t0 + 500ms), breaker::verdict::probe);
    QCOMPARE(b.may_dial(t0 + 501ms), breaker::verdict::reject); // one probe at a time
    QVERIFY(b.on_success());                                    // closed by the probe
    QCOMPARE(b.may_dial(t0 + 501ms), breaker::verdict::dial);
    QVERIFY(!b.on_success()); // already closed
  }
  void failedProbesDoubleTheDelayUpToTheMaximum() {
    breaker b{.initial = 1s, .max_delay = 4s};
    const time_point t0{std::chrono::hours(1)};
    QVERIFY(b.on_failure(t0, 0.999999));
    for (duration expect : {2s, 4s, 4s}) {
      QCOMPARE(b.may_dial(b.retry_at), breaker::verdict::probe);
      QVERIFY(!b.on_failure(b.retry_at, 0.999999)); // still open: not a new opening
      QCOMPARE(b.delay, expect);
    }
  }
  void abandonedProbeLetsTheNextDialProbe() {
    breaker b{.initial = 1s, .max_delay = 4s};
    const time_point t0{std::chrono::hours(1)};
    b.on_failure(t0, 0.5);
    QCOMPARE(b.may_dial(t0 + 1s), breaker::verdict::probe);
    b.on_abandoned();
    QCOMPARE(b.may_dial(t0 + 1s), breaker::verdict::probe);
  }

  // ---- retirement budget and jitter -----------------------------------------
  void retirementBudgetAllowsRatePerSecondWithABurstOfOneSecond() {
    retirement_budget r{.rate = 2};
    const time_point t0{std::chrono::hours(1)};
    QVERIFY(r.take(t0));
    QVERIFY(r.take(t0));
    QVERIFY(!r.take(t0));
    QVERIFY(!r.take(t0 + 499ms));
    QVERIFY(r.take(t0 + 500ms)); // refilled one
    QVERIFY(!r.take(t0 + 500ms));
    for (int i = 0; i < 2; ++i)
      QVERIFY(r.take(t0 + 1h)); // capped at one second's worth
    QVERIFY(!r.take(t0 + 1h));
  }
  void retirementBudgetOfZeroIsUnlimited() {
    retirement_budget r;
    for (int i = 0; i < 1000; ++i)
      QVERIFY(r.take(time_point{}));
  }
  void ageCutIsAFractionOfTheJitter() {
    QCOMPARE(age_cut(0s, 0.5), duration(0s));
    QCOMPARE(age_cut(10s, 0.0), duration(0s));
    QCOMPARE(age_cut(10s, 0.5), duration(5s));
    QVERIFY(age_cut(10s, 0.999999) < duration(10s));
  }
};

extern "C++" { // main belongs to no named module
QTEST_APPLESS_MAIN(tst_Policy)
}
#include "tst_policy.moc"
