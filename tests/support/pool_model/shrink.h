// SPDX-License-Identifier: MIT
// Test support, pool model: the shrinker. Given a failing sequence of
// operations, it finds a short sub-sequence that still fails, so a failure
// report lists only the operations that matter.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <utility>
#include <vector>

#include "common.h"
#include "operations.h"

namespace pool_model {

/// Delta debugging (chunk removal): the shortest sub-sequence of `ops` it can
/// find for which `fails` still holds, within `budget`.
template <class Fails>
std::vector<op> shrink(std::vector<op> ops, Fails fails, std::chrono::steady_clock::duration budget = 60s) {
  const auto end = std::chrono::steady_clock::now() + budget;
  std::size_t parts = 2;
  while (ops.size() >= 2 && std::chrono::steady_clock::now() < end) {
    const std::size_t chunk = (ops.size() + parts - 1) / parts;
    bool reduced = false;
    for (std::size_t start = 0; start < ops.size() && std::chrono::steady_clock::now() < end; start += chunk) {
      std::vector<op> candidate(ops.begin(), ops.begin() + static_cast<std::ptrdiff_t>(start));
      candidate.insert(candidate.end(), ops.begin() + static_cast<std::ptrdiff_t>(std::min(start + chunk, ops.size())),
                       ops.end());
      if (fails(candidate)) {
        ops = std::move(candidate);
        parts = std::max<std::size_t>(parts - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (chunk == 1) break;
      parts = std::min(parts * 2, ops.size());
    }
  }
  return ops;
}

} // namespace pool_model
