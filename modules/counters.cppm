// SPDX-License-Identifier: MIT
// connpool:counters — the metrics counters, sharded per thread.
//
// Each thread that uses a pool gets its own cache-line-sized shard of
// counters in that pool and is the only writer of it, so bumping a counter
// is a relaxed load and store to a line no other core writes: no locked
// instruction, no contention. stats() sums the shards. Shards live as long
// as their pool's core and are reused by a later thread with the same id.
//
// A thread finds its shard (and its slot hint, see core) through a small
// thread-local cache keyed by the pool's unique id (ids are never reused, so
// an entry of a destroyed pool can never match again).
module;
#include <array>
#include <atomic>
#include <cstdint>
#include <thread>
export module connpool:counters;
import :events;
import :histogram;
import :metrics;

namespace connpool::detail {

inline void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) noexcept {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); // single writer
}

struct alignas(64) counter_shard {
  std::atomic<std::uint64_t> gets{0}, puts{0}, discards{0}, hits{0}, misses{0}, waits{0}, timeouts{0}, cancellations{0},
      ping_failures{0}, idle_closed{0}, age_closed{0}, factory_failures{0}, close_timeouts{0}, close_errors{0},
      created{0}, closed{0}, leaks_suspected{0}, circuit_rejects{0}, observer_errors{0}, overtaken{0},
      slow_gets{0}; // gets that left the lock-free fast path (the rest waited 0 ns)
  std::array<std::atomic<std::uint64_t>, close_reason_count> closed_by{};
  histogram_shard wait, hold, create, ping;
  std::thread::id owner;         // empty for a shard lent to background dials (see core)
  counter_shard* next = nullptr; // the pool's list; written once, under the pool's lock

  void add_to(metrics& m) const noexcept {
    auto r = [](const std::atomic<std::uint64_t>& c) { return c.load(std::memory_order_relaxed); };
    m.gets += r(gets);
    m.puts += r(puts);
    m.discards += r(discards);
    m.hits += r(hits);
    m.misses += r(misses);
    m.waits += r(waits);
    m.timeouts += r(timeouts);
    m.cancellations += r(cancellations);
    m.ping_failures += r(ping_failures);
    m.idle_closed += r(idle_closed);
    m.age_closed += r(age_closed);
    m.factory_failures += r(factory_failures);
    m.close_timeouts += r(close_timeouts);
    m.close_errors += r(close_errors);
    m.created += r(created);
    m.closed += r(closed);
    m.leaks_suspected += r(leaks_suspected);
    m.circuit_rejects += r(circuit_rejects);
    m.observer_errors += r(observer_errors);
    m.overtaken += r(overtaken);
    for (std::size_t i = 0; i < close_reason_count; ++i)
      m.closed_by[i] += r(closed_by[i]);
    wait.add_to(m.wait);
    hold.add_to(m.hold);
    create.add_to(m.create);
    ping.add_to(m.ping);
  }
};

/// What a thread remembers about one pool: its counter shard and the slot it
/// returned last (tried first by its next get: warm in this core's cache).
struct thread_entry {
  std::uint64_t pool_id = 0;
  counter_shard* shard = nullptr;
  std::uint32_t hint = 0;
};

struct thread_cache {
  static constexpr unsigned ways = 4;
  static inline thread_local thread_entry entries[ways]{};
  static inline thread_local unsigned next_victim = 0;
  static inline std::atomic<std::uint64_t> last_pool_id{0};

  static inline std::uint64_t new_pool_id() noexcept {
    return last_pool_id.fetch_add(1, std::memory_order_relaxed) + 1;
  }
  static inline thread_entry* find(std::uint64_t id) noexcept {
    thread_entry* e = entries;
    if (e->pool_id == id) return e; // the common case: one pool per thread
    for (unsigned i = 1; i < ways; ++i)
      if (e[i].pool_id == id) return &e[i];
    return nullptr;
  }
  static inline thread_entry& replace(std::uint64_t id, counter_shard* shard) noexcept {
    thread_entry& e = entries[next_victim++ % ways];
    e = {id, shard, 0};
    return e;
  }
};

} // namespace connpool::detail
