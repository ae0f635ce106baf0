// The pool's decisions, driven directly: no threads, sockets or clocks.
#include <QTest>

#include <chrono>
import connpool;

using namespace std::chrono_literals;
using namespace connpool::detail;

class tst_Policy : public QObject {
  Q_OBJECT
private slots:
  void getOnClosedPoolFails() { QCOMPARE(decide_get({.closed = true, .idle = 3, .max_size = 4}), get_action::fail_closed); }
};

QTEST_APPLESS_MAIN(tst_Policy)
#include "tst_policy.moc"
