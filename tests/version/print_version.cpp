// SPDX-License-Identifier: MIT
// Prints connpool::version, the module's constant (tests/version/check.cmake
// compares it with every other place the version reaches).
#include <cstdio>
import connpool;

int main() {
  std::printf("%s %d.%d.%d\n", connpool::version, connpool::version_major, connpool::version_minor,
              connpool::version_patch);
}
