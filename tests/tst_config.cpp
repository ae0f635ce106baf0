// SPDX-License-Identifier: MIT
// Invalid configs are refused at construction, naming the field; nothing starts.
#include <QTest>

#include <chrono>
#include <string>
#include <system_error>
import connpool;
#include "support/fake_connection.h"

using namespace std::chrono_literals;
using testing_support::fake_conn;
using testing_support::tracker;

namespace {
// The message of the std::system_error the constructor throws, and its code.
std::pair<std::error_code, std::string> refusal(const connpool::config<fake_conn>& cfg) {
  try {
    connpool::pool<fake_conn> p(cfg);
  } catch (const std::system_error& e) {
    return {e.code(), e.what()};
  }
  return {};
}
} // namespace

class tst_Config : public QObject {
  Q_OBJECT
private slots:
  void missingFactoryIsRefusedWithFactoryRequired() {
    connpool::config<fake_conn> cfg;
    cfg.max_size = 1;
    auto [ec, what] = refusal(cfg);
    QCOMPARE(ec, connpool::errc::factory_required);
    QVERIFY(what.find("factory") != std::string::npos);
  }
  void zeroMaxSizeIsRefusedWithInvalidConfigMaxSize() {
    tracker t;
    auto [ec, what] = refusal(t.config(0));
    QCOMPARE(ec, connpool::errc::invalid_config_max_size);
    QVERIFY(what.find("max_size") != std::string::npos);
  }
  void maxIdleAboveMaxSizeIsRefusedNamingBothFields() {
    tracker t;
    auto cfg = t.config(3);
    cfg.max_idle = 5;
    auto [ec, what] = refusal(cfg);
    QCOMPARE(ec, connpool::errc::invalid_config);
    QVERIFY2(what.find("max_idle (5)") != std::string::npos && what.find("max_size (3)") != std::string::npos,
             what.c_str());
  }
  void negativeDurationIsRefusedNamingTheField_data() {
    QTest::addColumn<int>("field");
    QTest::addColumn<QString>("name");
    QTest::newRow("max_idle_time") << 0 << "max_idle_time";
    QTest::newRow("max_age") << 1 << "max_age";
    QTest::newRow("health_check_interval") << 2 << "health_check_interval";
    QTest::newRow("health_check_timeout") << 3 << "health_check_timeout";
    QTest::newRow("cleanup_interval") << 4 << "cleanup_interval";
  }
  void negativeDurationIsRefusedNamingTheField() {
    QFETCH(int, field);
    QFETCH(QString, name);
    tracker t;
    auto cfg = t.config(2);
    cfg.ping = [](fake_conn&, const connpool::context&) { return true; };
    connpool::duration* fields[] = {&cfg.max_idle_time, &cfg.max_age, &cfg.health_check_interval,
                                    &cfg.health_check_timeout, &cfg.cleanup_interval};
    *fields[field] = -1s;
    auto [ec, what] = refusal(cfg);
    QCOMPARE(ec, connpool::errc::invalid_config);
    QVERIFY2(what.find(name.toStdString()) != std::string::npos, what.c_str());
    QCOMPARE(t.made(), 0);
  }
  void boundedFairnessNeedsAPositiveBound_data() {
    QTest::addColumn<int>("bound_us");
    QTest::newRow("zero") << 0;
    QTest::newRow("negative") << -1000;
  }
  void boundedFairnessNeedsAPositiveBound() {
    QFETCH(int, bound_us);
    tracker t;
    auto cfg = t.config(2);
    cfg.fairness_bound = std::chrono::microseconds(bound_us);
    auto [ec, what] = refusal(cfg);
    QCOMPARE(ec, connpool::errc::invalid_config);
    QVERIFY2(what.find("fairness_bound") != std::string::npos, what.c_str());
    cfg.fairness = connpool::fairness_mode::strict; // strict has no bound: any value is ignored
    QCOMPARE(refusal(cfg).first, std::error_code());
  }
  void unknownFairnessModeIsRefused() {
    tracker t;
    auto cfg = t.config(2);
    cfg.fairness = static_cast<connpool::fairness_mode>(7);
    auto [ec, what] = refusal(cfg);
    QCOMPARE(ec, connpool::errc::invalid_config);
    QVERIFY2(what.find("fairness") != std::string::npos, what.c_str());
  }
  void healthCheckIntervalWithoutPingIsRefused() {
    tracker t;
    auto cfg = t.config(2);
    cfg.health_check_interval = 1s;
    auto [ec, what] = refusal(cfg);
    QCOMPARE(ec, connpool::errc::invalid_config);
    QVERIFY(what.find("ping") != std::string::npos);
  }
  void makePoolReportsInvalidConfigThroughErrorCode() {
    tracker t;
    std::error_code ec;
    std::string why;
    auto p = connpool::make_pool(t.config(0), ec, &why);
    QVERIFY(!p);
    QCOMPARE(ec, connpool::errc::invalid_config_max_size);
    QVERIFY(why.find("max_size") != std::string::npos);
    auto ok = connpool::make_pool(t.config(1), ec);
    QVERIFY(ok);
    QVERIFY(!ec);
  }
  void validConfigStartsNoConnection() {
    tracker t;
    connpool::pool<fake_conn> p(t.config(4));
    QCOMPARE(p.size(), std::size_t(0));
    QCOMPARE(t.made(), 0);
  }
  void maxIdleUnsetMeansMaxSize() {
    tracker t;
    connpool::pool<fake_conn> p(t.config(3));
    {
      auto a = p.get(), b = p.get(), c = p.get();
    }
    QCOMPARE(p.idle_count(), std::size_t(3));
  }
  void errorCategoryNamesEveryError() {
    QCOMPARE(std::string(connpool::error_category().name()), std::string("connpool"));
    for (int e = 1; e <= static_cast<int>(connpool::errc::invalid_config); ++e)
      QVERIFY(connpool::error_category().message(e) != "unknown connpool error");
    std::error_code ec = connpool::errc::get_timeout;
    QCOMPARE(ec.message(), std::string("get timed out waiting for a connection"));
  }
};

QTEST_APPLESS_MAIN(tst_Config)
#include "tst_config.moc"
