// SPDX-License-Identifier: MIT
// libFuzzer target: the input bytes drive the same model runner as
// tests/tst_pool_model.cpp (support/pool_model.h). The first 4 bytes pick the
// pool's configuration, every following 6 bytes one operation (get with its
// context and how a wait ends, put, discard, double put, foreign lease, clock
// advance, maintain, fault, close, destruction, set_max_size/set_max_idle/
// set_min_idle/set_* durations, drain, warm_up). Any disagreement with the
// model or broken invariant aborts with the step, the config and the ops.
// Built with clang-19 -fsanitize=fuzzer,address (CONNPOOL_BUILD_FUZZ).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
import connpool;
#include "support/pool_model.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  const std::uint32_t seed = static_cast<std::uint32_t>(data[0]) | static_cast<std::uint32_t>(data[1]) << 8 |
                             static_cast<std::uint32_t>(data[2]) << 16 | static_cast<std::uint32_t>(data[3]) << 24;
  const auto ops = pool_model::decode(data + 4, std::min<std::size_t>(size - 4, 6 * 4000));
  pool_model::runner r(seed);
  if (const auto f = r.run(ops)) {
    std::fprintf(stderr, "connpool model disagreement at step %zu: %s\nconfig seed %u (%s)\n", f->step, f->what.c_str(),
                 seed, pool_model::settings::from_seed(seed).describe().c_str());
    for (std::size_t i = 0; i < ops.size() && i <= f->step; ++i)
      std::fprintf(stderr, "  %zu: %s\n", i, pool_model::describe(ops[i]).c_str());
    std::abort();
  }
  return 0;
}
