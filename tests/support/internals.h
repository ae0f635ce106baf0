// SPDX-License-Identifier: MIT
// Exposed for testing: the few internals of connpool that tests drive below
// the public API, reached through tests/support/internals.cpp (an
// implementation unit of the module) instead of widening `import connpool;`.
// Include after `import connpool;`.
#pragma once

#include <cstdint>
#include <span>

namespace connpool_testing {

/// Records each value (in ns) into a fresh per-thread histogram shard, the
/// one the pool records into, and adds that shard to `into`.
void record_into(connpool::histogram_snapshot& into, std::span<const std::uint64_t> ns);

} // namespace connpool_testing
