// connpool-demo --screenshot: exits 0, writes a real picture, and its final
// stats line shows the embedded load went through the pool.
#include <QtCore/qprocess.h>
#include <QtCore/qregularexpression.h>
#include <QtCore/qset.h>
#include <QtCore/qtemporarydir.h>
#include <QtGui/qimage.h>
#include <QtTest/qtest.h>

class tst_demo_screenshot : public QObject {
  Q_OBJECT

private slots:
  void screenshotModeSavesTheDashboardAndPrintsMovingCounters() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString png = dir.filePath(QStringLiteral("dashboard.png"));

    QProcess demo;
    demo.setProgram(QStringLiteral(CONNPOOL_DEMO_EXE));
    demo.setArguments({QStringLiteral("--screenshot"), png, QStringLiteral("--after"), QStringLiteral("3")});
    demo.setProcessChannelMode(QProcess::SeparateChannels);
    demo.start();
    QVERIFY2(demo.waitForStarted(), qPrintable(demo.errorString()));
    // Generous: sanitizer builds start the QML engine slowly.
    QVERIFY2(demo.waitForFinished(240'000), "connpool-demo did not exit");
    const QString out = QString::fromLocal8Bit(demo.readAllStandardOutput());
    const QString err = QString::fromLocal8Bit(demo.readAllStandardError());
    QCOMPARE(demo.exitStatus(), QProcess::NormalExit);
    QVERIFY2(demo.exitCode() == 0, qPrintable(QStringLiteral("exit %1\n%2\n%3").arg(demo.exitCode()).arg(out, err)));

    // The stats line: gets and hits moved.
    const QRegularExpression line(
        QStringLiteral(R"(^stats: .*\bgets=(\d+)\b.*\bhits=(\d+)\b.*\bopen=(\d+) idle=(\d+))"),
        QRegularExpression::MultilineOption);
    const QRegularExpressionMatch m = line.match(out);
    QVERIFY2(m.hasMatch(), qPrintable(QStringLiteral("no stats line in:\n") + out));
    QVERIFY2(m.captured(1).toULongLong() > 0, qPrintable(m.captured(0)));
    QVERIFY2(m.captured(2).toULongLong() > 0, qPrintable(m.captured(0)));

    // A real picture: the window's size and many distinct colours.
    QImage image;
    QVERIFY2(image.load(png, "PNG"), qPrintable(png));
    QCOMPARE(image.size(), QSize(1440, 900));
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); ++y)
      for (int x = 0; x < image.width(); ++x)
        colours.insert(image.pixel(x, y));
    QVERIFY2(colours.size() > 64, qPrintable(QStringLiteral("only %1 colours").arg(colours.size())));
  }
};

QTEST_GUILESS_MAIN(tst_demo_screenshot)
#include "tst_demo_screenshot.moc"
