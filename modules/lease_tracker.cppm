// SPDX-License-Identifier: MIT
// connpool:lease_tracker — what the pool records per lease, when asked to:
// hold time (config.track_hold_time), leaks (config.leak_threshold) and the
// observer's on_acquired / on_returned / on_leak.
//
//   lease_tracker<T>  stamps a slot when it is leased, reads the stamps when
//                     it comes back, and scans for leases held too long
//
// Without any of the three settings per_lease() is false and the pool's
// fast paths never call in here (the core picks its paths by it).
//
// Guards: no lock. The stamps are in the slot and written by its owner
// (the thread holding the lease); maintenance reads them from another
// thread to report leaks.
//
// Memory ordering: the owner writes the per-lease fields, then bumps
// `lease_no` with release; the leak scan loads `lease_no` with acquire
// before reading them, claims the report by CAS on `leak_reported`, and
// checks `lease_no` again, so a lease that ended (and another began) while
// it read is not reported. The owner's return exchanges `leak_reported`
// back to 0 (acq_rel) and so learns whether this lease was reported.
module;
#include <atomic>
#include <chrono>
#include <cstdint>
#include <source_location>
export module connpool:lease_tracker;
import :clock;
import :config;
import :counters;
import :events;
import :shards;
import :slot_table;

namespace connpool::detail {

inline std::int64_t steady_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
inline duration since(std::int64_t t0_ns) noexcept { return std::chrono::nanoseconds(steady_ns() - t0_ns); }

/// The pool's clock: config.clock, else the steady clock.
template <class T> time_point pool_now(const config<T>& cfg) {
  return cfg.clock ? cfg.clock() : std::chrono::steady_clock::now();
}

template <class T> class lease_tracker {
public:
  explicit lease_tracker(const config<T>& cfg)
      : cfg_(cfg), per_lease_(cfg.leak_threshold > duration::zero() || cfg.track_hold_time || cfg.observer != nullptr) {
  }

  /// Every lease is stamped (leak_threshold, track_hold_time or observer).
  bool per_lease() const noexcept { return per_lease_; }

  /// Unlocked, slot just leased by this thread on the slow path (which
  /// began at `t0`): records the wait, then the per-lease stamps.
  void leased(slot<T>& s, counter_shard& sh, std::int64_t t0, const std::source_location& where) {
    bump(s.uses);
    const std::int64_t t = steady_ns();
    sh.wait.record(std::chrono::nanoseconds(t - t0));
    if (per_lease_) stamp(s, sh, t, std::chrono::nanoseconds(t - t0), where);
  }
  /// Unlocked, slot just leased by this thread: stamps for hold time and leak
  /// detection, and the observer's on_acquired.
  void stamp(slot<T>& s, counter_shard& sh, std::int64_t t, duration waited, const std::source_location& where) {
    s.leased_ns.store(t, std::memory_order_relaxed);
    if (cfg_.leak_threshold > duration::zero()) {
      s.leased_at.store(pool_now(cfg_).time_since_epoch().count(), std::memory_order_relaxed);
      s.where.store(where, std::memory_order_relaxed);
      s.lease_no.store(s.lease_no.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
    tell(cfg_.observer.get(), sh, [&](observer& o) { o.on_acquired(s.id.load(std::memory_order_relaxed), waited); });
  }
  /// Unlocked, slot still owned by the returning thread.
  void returning(slot<T>& s, counter_shard& sh) {
    if (!per_lease_) return;
    const duration held = since(s.leased_ns.load(std::memory_order_relaxed));
    sh.hold.record(held);
    const std::uint64_t id = s.id.load(std::memory_order_relaxed);
    if (cfg_.leak_threshold > duration::zero() &&
        s.leak_reported.exchange(0, std::memory_order_acq_rel) == s.lease_no.load(std::memory_order_relaxed)) {
      const leak_report r{id, s.where.load(std::memory_order_relaxed),
                          pool_now(cfg_) - time_point(duration(s.leased_at.load(std::memory_order_relaxed))), true};
      tell(cfg_.observer.get(), sh, [&](observer& o) { o.on_leak(r); });
    }
    tell(cfg_.observer.get(), sh, [&](observer& o) { o.on_returned(id, held); });
  }
  /// Maintenance: leases held past the threshold at `t`, each reported once.
  std::size_t report_leaks(slot_table<T>& slots, time_point t, std::uint32_t n, counter_shard& sh) {
    std::size_t found = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
      slot<T>& s = slots[i];
      if ((s.state.load(std::memory_order_acquire) & kind_mask) != leased_slot) continue;
      const std::uint64_t no = s.lease_no.load(std::memory_order_acquire);
      std::uint64_t seen = s.leak_reported.load(std::memory_order_relaxed);
      if (no == 0 || seen == no) continue;
      const leak_report r{s.id.load(std::memory_order_relaxed), s.where.load(std::memory_order_relaxed),
                          t - time_point(duration(s.leased_at.load(std::memory_order_relaxed))), false};
      if (r.held < cfg_.leak_threshold) continue;
      // Fields read, now claim the report; the lease may have ended (and
      // another begun) meanwhile: then report nothing.
      if (!s.leak_reported.compare_exchange_strong(seen, no, std::memory_order_acq_rel)) continue;
      if (s.lease_no.load(std::memory_order_acquire) != no) continue;
      ++found;
      bump(sh.leaks_suspected);
      tell(cfg_.observer.get(), sh, [&](observer& o) { o.on_leak(r); });
    }
    return found;
  }

private:
  const config<T>& cfg_; // the core's, which outlives this
  const bool per_lease_;
};

} // namespace connpool::detail
