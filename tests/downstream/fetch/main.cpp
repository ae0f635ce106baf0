// SPDX-License-Identifier: MIT
// Both layers of connpool from a FetchContent subproject: the pure module
// (import connpool;) and the Qt layer's header.
#include <connpool/qt/socketpool.h>

#include <QtCore/qcoreapplication.h>

#include <cstdio>
import connpool;

int main(int argc, char** argv) {
  QCoreApplication app(argc, argv);
  connpool::config<int> cfg;
  int next = 0;
  cfg.factory = [&next](const connpool::context&) { return ++next; };
  cfg.max_size = 1;
  connpool::pool<int> pool(cfg);
  pool.put(pool.get());
  const auto again = pool.get();
  connpool::qt::SocketPool sockets(QStringLiteral("127.0.0.1"), 9);
  std::printf("downstream-fetch: conn=%d hits=%llu qt-maxSize=%d\n", *again,
              static_cast<unsigned long long>(pool.stats().hits), sockets.maxSize());
  return *again == 1 && pool.stats().hits == 1 ? 0 : 1;
}
