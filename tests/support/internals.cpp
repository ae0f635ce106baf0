// SPDX-License-Identifier: MIT
// Exposed for testing (see internals.h): an implementation unit of connpool,
// so it sees connpool::detail. The entry points are attached to the global
// module (extern "C++") so that a test that only imports connpool can call
// them; what they do is written outside that block, where the module's own
// names are visible.
module;
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
module connpool;
import :histogram; // its internals are visible to units of the module that import it

namespace {

void record_with_a_shard(connpool::histogram_snapshot& into, std::span<const std::uint64_t> ns) {
  auto shard = std::make_unique<connpool::detail::histogram_shard>(); // large: not on the stack
  for (std::uint64_t v : ns)
    shard->record(std::chrono::nanoseconds(v));
  shard->add_to(into);
}

} // namespace

extern "C++" {
namespace connpool_testing {

void record_into(connpool::histogram_snapshot& into, std::span<const std::uint64_t> ns) {
  record_with_a_shard(into, ns);
}

} // namespace connpool_testing
}
