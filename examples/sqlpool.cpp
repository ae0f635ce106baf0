// SPDX-License-Identifier: MIT
// SqlPool: one pool of QSqlDatabase connections for every thread of a Qt app.
// Worker threads wait on their futures; the main (GUI) thread continues with
// .then() and never blocks. SQLite by default; PostgreSQL with one line:
//
//   connpool-sqlpool-example                         (a SQLite file in a temporary directory)
//   connpool-sqlpool-example 'postgresql://user:password@127.0.0.1:5432/dbname'
#include <connpool/qt/sqlpool.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qtemporarydir.h>
#include <QtCore/qtimer.h>
#include <QtSql/qsqldatabase.h>
#include <QtSql/qsqlquery.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

using connpool::qt::execOrThrow;
using connpool::qt::SqlPool;
using connpool::qt::SqlPoolError;

int main(int argc, char** argv) {
  QCoreApplication app(argc, argv);
  QTemporaryDir dir;
  const QString url = argc > 1 ? QString::fromLocal8Bit(argv[1]) : QStringLiteral("sqlite:") + dir.filePath("notes.db");

  SqlPool pool;
  pool.setDatabaseUrl(url); // or "postgresql://user:password@host:5432/dbname"
  pool.setMaxSize(4);

  // Runs in a connection's own thread; the future carries the result or the error.
  try {
    pool.run([](QSqlDatabase& db) {
          QSqlQuery q(db);
          execOrThrow(q, QStringLiteral("CREATE TABLE IF NOT EXISTS notes (body TEXT)"));
        })
        .waitForFinished(); // rethrows the call's exception
  } catch (const SqlPoolError& e) {
    std::fprintf(stderr, "failed: %s\n", qPrintable(e.message()));
    return 1;
  }

  // Worker threads: each waits on its own futures.
  std::atomic<int> failed{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t)
    workers.emplace_back([&pool, &failed, t] {
      for (int i = 0; i < 25; ++i)
        try {
          pool.run([t, i](QSqlDatabase& db) {
                QSqlQuery q(db);
                q.prepare(QStringLiteral("INSERT INTO notes (body) VALUES (?)"));
                q.addBindValue(QStringLiteral("note %1 from thread %2").arg(i).arg(t));
                execOrThrow(q);
              })
              .waitForFinished();
        } catch (const SqlPoolError& e) {
          std::fprintf(stderr, "insert failed: %s\n", qPrintable(e.message()));
          ++failed;
        }
    });
  for (std::thread& w : workers)
    w.join();

  // The GUI thread: never blocks; the continuation runs in this thread. The
  // call starts from the event loop: when its future has finished already,
  // .then(&app, ...) runs the continuation at once, and a quit() before
  // app.exec() would be lost (QCoreApplication::quit() does nothing while no
  // event loop runs).
  int status = 1;
  QTimer::singleShot(0, &app, [&] {
    pool.run([](QSqlDatabase& db) {
          QSqlQuery q(db);
          execOrThrow(q, QStringLiteral("SELECT count(*) FROM notes"));
          q.next();
          return q.value(0).toInt();
        })
        .then(&app,
              [&](int count) {
                std::printf("%d notes\n", count);
                status = count >= 100 && failed == 0 ? 0 : 1;
                app.quit();
              })
        .onFailed(&app,
                  [&](const SqlPoolError& e) {
                    std::fprintf(stderr, "failed: %s\n", qPrintable(e.message()));
                    app.quit();
                  })
        .onFailed(&app, [&] { // anything else the callable threw
          std::fprintf(stderr, "failed: the call threw\n");
          app.quit();
        });
  });
  app.exec();
  return status;
}
