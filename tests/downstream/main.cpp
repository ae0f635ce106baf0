// SPDX-License-Identifier: MIT
// Proves the install: builds against the installed module interface units.
#include <chrono>
#include <cstdio>
import connpool;

int main() {
  connpool::config<int> cfg;
  int next = 0;
  cfg.factory = [&next](const connpool::context&) { return ++next; };
  cfg.max_size = 2;
  connpool::pool<int> pool(cfg);
  pool.put(pool.get());
  auto again = pool.get(connpool::context::with_timeout(std::chrono::seconds(1)));
  const auto s = pool.stats();
  std::printf("downstream: conn=%d hits=%llu misses=%llu\n", *again, static_cast<unsigned long long>(s.hits),
              static_cast<unsigned long long>(s.misses));
  return (*again == 1 && s.hits == 1 && s.misses == 1) ? 0 : 1;
}
