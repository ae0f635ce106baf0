// SPDX-License-Identifier: MIT
// connpool::parse_openmetrics / parse_prometheus_text / parse_metrics_text
// on text the library did not write: what Prometheus client libraries and
// other programs serve (timestamps, comments, untyped samples, exemplars),
// and what a scraper must refuse (garbage, HTML, truncated text). The
// strict checks against the library's own writer are in tst_openmetrics.
#include <QTest>

#include <cmath>
#include <optional>
#include <string>
#include <vector>
import connpool;

using connpool::exposition_format;
using connpool::parse_mode;

class tst_MetricsText : public QObject {
  Q_OBJECT

private slots:
  void classicTextFromAnotherClientLibraryParsesLeniently() {
    // As the Go client serves it: comments, a blank line, an untyped
    // sample, a timestamp, a summary, label spacing, +Inf and NaN.
    const std::string text = "# A comment\n"
                             "# HELP go_goroutines Number of goroutines.\n"
                             "# TYPE go_goroutines gauge\n"
                             "go_goroutines 12\n"
                             "\n"
                             "# HELP rpc_seconds RPC latency.\n"
                             "# TYPE rpc_seconds summary\n"
                             "rpc_seconds{quantile=\"0.5\"} 0.25\n"
                             "rpc_seconds_sum 10.5\n"
                             "rpc_seconds_count 42\n"
                             "http_requests_total{code=\"200\", method=\"get\",} 1027 1395066363000\n"
                             "weird NaN\n"
                             "big +Inf\n";
    std::string error;
    QVERIFY(!connpool::parse_prometheus_text(text, error)); // strict: comments are refused
    const auto e = connpool::parse_metrics_text(text, error);
    QVERIFY2(e, error.c_str());
    QCOMPARE(e->format, exposition_format::prometheus_text);
    QCOMPARE(e->samples.size(), std::size_t{7});
    QCOMPARE(e->families.at("go_goroutines").type, std::string("gauge"));
    QCOMPARE(e->families.at("rpc_seconds").type, std::string("summary"));
    QCOMPARE(e->find("rpc_seconds_count")[0]->family, std::string("rpc_seconds"));
    const auto http = e->find("http_requests_total", {{"code", "200"}, {"method", "get"}});
    QCOMPARE(http.size(), std::size_t{1});
    QCOMPARE(http[0]->number, 1027.0);
    QCOMPARE(e->families.at("http_requests_total").type, std::string("untyped"));
    QVERIFY(std::isnan(e->find("weird")[0]->number));
    QVERIFY(std::isinf(e->find("big")[0]->number));
  }

  void openMetricsWithTimestampsAndExemplarsParsesLeniently() {
    const std::string text = "# TYPE a counter\n# HELP a An \\\"a\\\".\n"
                             "a_total 3 1700000000.5 # {trace_id=\"x\"} 1.0\n"
                             "a_created 1700000000\n"
                             "# TYPE h histogram\n"
                             "h_bucket{le=\"0.1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_count 2\nh_sum 0.3\n"
                             "# EOF";
    std::string error;
    QVERIFY(!connpool::parse_openmetrics(text, error)); // strict: no # EOF newline, a timestamp
    const auto e = connpool::parse_metrics_text(text, error);
    QVERIFY2(e, error.c_str());
    QCOMPARE(e->format, exposition_format::openmetrics);
    QCOMPARE(e->find("a_total")[0]->number, 3.0);
    QCOMPARE(e->find("h_bucket", {{"le", "+Inf"}})[0]->number, 2.0);
    QCOMPARE(e->families.at("h").type, std::string("histogram"));
  }

  void numbersAreReadWithoutTheLocale() {
    // A Qt application calls setlocale(); the decimal point stays '.'.
    std::string error;
    const auto e = connpool::parse_metrics_text("x 0.5\ny -1.25e3\nz .5\n", error);
    QVERIFY2(e, error.c_str());
    QCOMPARE(e->find("x")[0]->number, 0.5);
    QCOMPARE(e->find("y")[0]->number, -1250.0);
    QCOMPARE(e->find("z")[0]->number, 0.5);
  }

  void garbageIsRefusedWithTheLineNumber() {
    const std::vector<std::string> bad = {
        "<!DOCTYPE html>\n<html><body>Not here</body></html>\n",
        "{\"status\": \"ok\"}\n",
        "x 1\ny two\n",
        "x{l=\"open 1\n",
        "x{l=\"\\t\"} 1\n",
        "x{=\"a\"} 1\n",
        "x 1\nx 1\n",
        "x 1 2 3\n",
        "x 1e\n",
        std::string("\x89PNG\r\n\x1a\n\0\0\0", 11),
        "# TYPE a gauge\na 1\n# EOF\na 2\n",
    };
    for (const std::string& text : bad) {
      std::string error;
      QVERIFY2(!connpool::parse_metrics_text(text, error), text.c_str());
      QVERIFY2(error.starts_with("line "), error.c_str());
    }
    std::string error;
    QVERIFY(!connpool::parse_metrics_text("x 1\ny two\n", error));
    QVERIFY2(error.starts_with("line 2: bad value"), error.c_str());
  }

  void aLongLineOfGarbageDoesNotOverflowTheStack() {
    // std::regex recursed per character; the hand-written parser must not.
    std::string text = "x{l=\"" + std::string(4 << 20, 'a') + "\"} 1\n";
    std::string error;
    const auto e = connpool::parse_metrics_text(text, error);
    QVERIFY2(e, error.c_str());
    QCOMPARE(e->samples[0].labels.at("l").size(), std::size_t{4 << 20});
    text.pop_back();
    text.back() = 'x';
    QVERIFY(!connpool::parse_metrics_text(text, error));
  }

  void bothFormatsOfTheLibraryReadBackTheSame() {
    connpool::metrics m;
    m.gets = 7, m.hits = 5, m.open = 3;
    std::string error;
    const auto om = connpool::parse_metrics_text(connpool::to_openmetrics(m, "db"), error);
    QVERIFY2(om, error.c_str());
    const auto classic = connpool::parse_metrics_text(connpool::to_prometheus_text(m, "db"), error);
    QVERIFY2(classic, error.c_str());
    QCOMPARE(om->format, exposition_format::openmetrics);
    QCOMPARE(classic->format, exposition_format::prometheus_text);
    QCOMPARE(om->samples.size(), classic->samples.size());
    QCOMPARE(om->find("connpool_gets_total", {{"pool_name", "db"}})[0]->number, 7.0);
    QCOMPARE(classic->find("connpool_gets_total", {{"pool_name", "db"}})[0]->number, 7.0);
    // The lenient mode accepts what the strict one does.
    QVERIFY(connpool::parse_openmetrics(connpool::to_openmetrics(m, "db"), error, parse_mode::lenient));
    QVERIFY(connpool::parse_prometheus_text(connpool::to_prometheus_text(m, "db"), error, parse_mode::lenient));
  }

  void emptyTextIsAnEmptyClassicExposition() {
    std::string error;
    const auto e = connpool::parse_metrics_text("", error);
    QVERIFY2(e, error.c_str());
    QVERIFY(e->samples.empty());
  }
};

QTEST_APPLESS_MAIN(tst_MetricsText)
#include "tst_metrics_text.moc"
