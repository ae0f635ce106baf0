// SPDX-License-Identifier: MIT
// connpool:slot_table — the lock-free bag: a fixed array of slots, each with
// an atomic state word, claimed and published by CAS. It knows nothing of
// connections, waiters or policy; the core decides what a claim is for.
//
//   slot<T>        one entry: the state word, the T, and its stamps
//   slot_table<T>  the array, its high-water mark, the free list (EMPTY
//                  indices), the idle count, the CAS claims and the flag scans
//
// States (the low byte of the state word, `kind`):
//
//   EMPTY     no connection; its index is on the free list
//   RESERVED  the factory is filling it (owned by that dial)
//   IDLE      in the pool; anyone may claim it with one CAS
//   LEASED    owned by a lease (or being checked by the get that claimed it)
//   BUSY      claimed by maintenance, close(), or a waiter raising its flag
//
// Flags (higher bits): `waiters_flag` or `nudge_flag` while gets wait (which
// one is the core's choice: hand over in order, or wake the first waiter)
// and `closed_flag` once the pool is closed are set and cleared on every slot;
// `retire_flag` marks one connection that must close when it comes back.
// The lock-free claims and publishes CAS *exact* states (IDLE -> LEASED,
// LEASED -> IDLE), so any flag makes them fail and the owner settles under
// the core's lock. Because a flag and a publish are read-modify-writes of
// the same word, a publish that lands just before the flag is seen by the
// flag's fetch_or, which then claims the slot (raise_flag): no lost wake-up.
//
// Guards: `state` is atomic; everything else in a slot is touched only by
// its owner (whoever moved it out of IDLE/EMPTY). The free list, and every
// change of a flag, need the core's mutex: those functions take it as
// `held` and the analysis checks it is.
//
// Memory ordering: a claim is an acquire CAS and a publish a release CAS on
// `state`, so the next owner sees everything the last one wrote to the slot;
// the high-water mark is stored with release after the slot is prepared and
// loaded with acquire by scans. The idle count and the idle sequence are
// relaxed counters (approximate between operations, exact under the lock).
module;
#include "inline.h"
#include "thread_safety.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <source_location>
#include <vector>
export module connpool:slot_table;
import :clock;
import :events;
import :mutex;

namespace connpool::detail {

enum slot_state : std::uint32_t { empty_slot, reserved_slot, idle_slot, leased_slot, busy_slot };
inline constexpr std::uint32_t kind_mask = 0xff;
inline constexpr std::uint32_t waiters_flag = 1u << 8; // gets wait in order: puts hand over, gets queue
inline constexpr std::uint32_t closed_flag = 1u << 9;  // the pool is closed: puts close
inline constexpr std::uint32_t nudge_flag = 1u << 11;  // the first waiter sleeps: a put wakes it, gets may overtake
inline constexpr std::uint32_t flag_mask = waiters_flag | closed_flag | nudge_flag;
inline constexpr std::uint32_t retire_flag = 1u << 10; // this connection retires when it comes back (drain, shrink)

template <class T> struct alignas(64) slot {
  std::atomic<std::uint32_t> state{empty_slot};
  std::uint32_t index = 0;
  std::atomic<duration::rep> created{0};  // pool clock; written by the owner, read by maintenance
  std::atomic<duration::rep> returned{0}; // last time it went idle
  std::atomic<std::uint64_t> uses{0};     // leases so far; written by the owner
  std::optional<T> conn;                  // touched only by the slot's owner
  // Rarely used; written by the owner (or under the lock), read by anyone.
  std::atomic<std::uint64_t> id{0};
  std::atomic<duration::rep> age_cut{0};       // max_age is shortened by this (jitter)
  std::atomic<std::uint64_t> idle_seq{0};      // order of going idle (idle_order::fifo)
  std::atomic<close_reason> retire_why{};      // why retire_flag was raised; under the lock
  std::atomic<duration::rep> leased_at{0};     // pool clock, per lease (leak detection)
  std::atomic<std::int64_t> leased_ns{0};      // steady clock, per lease (hold histogram)
  std::atomic<std::source_location> where{};   // the get that took it
  std::atomic<std::uint64_t> lease_no{0};      // bumped after the per-lease fields are written
  std::atomic<std::uint64_t> leak_reported{0}; // the lease_no reported as a leak, or 0

  time_point created_at() const noexcept { return time_point(duration(created.load(std::memory_order_relaxed))); }
  time_point returned_at() const noexcept { return time_point(duration(returned.load(std::memory_order_relaxed))); }
};

template <class T> class slot_table {
public:
  /// `capacity` slots, all EMPTY; `track_idle`: keep idle_count() (costs
  /// the fast path an atomic per claim and publish, so only for max_idle).
  slot_table(std::size_t capacity, bool track_idle)
      : track_idle_(track_idle), capacity_(capacity), slots_(new slot<T>[capacity]) {
    free_.reserve(capacity);
    for (std::size_t i = capacity; i-- > 0;) {
      slots_[i].index = static_cast<std::uint32_t>(i);
      free_.push_back(static_cast<std::uint32_t>(i)); // lowest index on top: keeps scans short
    }
  }
  slot_table(const slot_table&) = delete;
  slot_table& operator=(const slot_table&) = delete;

  std::size_t capacity() const noexcept { return capacity_; }
  bool tracks_idle() const noexcept { return track_idle_; }
  slot<T>& operator[](std::uint32_t i) noexcept { return slots_[i]; }
  const slot<T>& operator[](std::uint32_t i) const noexcept { return slots_[i]; }
  /// Slots [0, high_water()) have been used; scans stop there.
  std::uint32_t high_water() const noexcept { return high_water_.load(std::memory_order_acquire); }

  // ---- lock-free ------------------------------------------------------------

  /// The fast path's claim: CAS `s` exactly IDLE -> LEASED (any flag makes
  /// it fail). Any slot will do: an unused one is EMPTY. (A bool, not a
  /// pointer: the caller's test is then the CAS's own flag.)
  CONNPOOL_ALWAYS_INLINE static bool claim_exact(slot<T>& s) noexcept {
    std::uint32_t expected = idle_slot;
    return s.state.compare_exchange_strong(expected, leased_slot, std::memory_order_acquire, std::memory_order_relaxed);
  }
  /// The publishing CAS: exactly `from` -> IDLE; false when a flag is up.
  CONNPOOL_ALWAYS_INLINE static bool publish_exact(slot<T>& s, std::uint32_t from) noexcept {
    std::uint32_t expected = from;
    return s.state.compare_exchange_strong(expected, idle_slot, std::memory_order_release, std::memory_order_relaxed);
  }
  /// CAS an IDLE slot (no flag) to `to`, keeping the idle count.
  bool try_claim(slot<T>& s, std::uint32_t to) noexcept {
    std::uint32_t expected = idle_slot;
    if (!s.state.compare_exchange_strong(expected, to, std::memory_order_seq_cst)) return false;
    if (track_idle_) idle_count_.fetch_sub(1, std::memory_order_relaxed);
    return true;
  }
  /// Claims one IDLE slot as LEASED: `hint` first (when given), else the
  /// lowest; with `oldest`, the one idle the longest (idle_order::fifo).
  slot<T>* claim_idle(const std::uint32_t* hint, bool oldest) {
    const std::uint32_t n = high_water();
    if (oldest) return claim_oldest(n);
    if (hint && *hint < n && try_claim(slots_[*hint], leased_slot)) return &slots_[*hint];
    for (std::uint32_t i = 0; i < n; ++i)
      if (slots_[i].state.load(std::memory_order_relaxed) == idle_slot && try_claim(slots_[i], leased_slot))
        return &slots_[i];
    return nullptr;
  }
  /// The next number in the order connections go idle (idle_order::fifo).
  std::uint64_t next_idle_seq() noexcept { return idle_seq_.fetch_add(1, std::memory_order_relaxed) + 1; }

  /// Room for one more idle connection under `max_idle` (always, when idle
  /// connections are not counted); unreserve_idle() undoes it.
  bool reserve_idle(std::size_t max_idle) noexcept {
    if (!track_idle_) return true;
    if (idle_count_.fetch_add(1, std::memory_order_relaxed) < max_idle) return true;
    idle_count_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  void unreserve_idle() noexcept {
    if (track_idle_) idle_count_.fetch_sub(1, std::memory_order_relaxed);
  }
  /// The kept idle count (tracks_idle() only).
  std::size_t idle_count() const noexcept { return idle_count_.load(std::memory_order_relaxed); }
  /// IDLE slots, counted by a scan.
  std::size_t count_idle() const noexcept {
    const std::uint32_t n = high_water();
    std::size_t idle = 0;
    for (std::uint32_t i = 0; i < n; ++i)
      idle += (slots_[i].state.load(std::memory_order_relaxed) & kind_mask) == idle_slot;
    return idle;
  }

  /// Changes the kind of an owned slot, keeping its flags (which may change
  /// meanwhile without the lock: hence the CAS loop).
  static void set_kind(slot<T>& s, std::uint32_t kind) noexcept {
    std::uint32_t cur = s.state.load(std::memory_order_relaxed);
    while (!s.state.compare_exchange_weak(cur, (cur & (flag_mask | retire_flag)) | kind, std::memory_order_release,
                                          std::memory_order_relaxed)) {
    }
  }

  // ---- under the core's lock --------------------------------------------------

  /// Owned slot, the flags cannot change: a plain store.
  static void set_kind_locked(slot<T>& s, std::uint32_t kind, pool_mutex& held) noexcept CONNPOOL_REQUIRES(held) {
    s.state.store((s.state.load(std::memory_order_relaxed) & (flag_mask | retire_flag)) | kind,
                  std::memory_order_release);
  }
  /// An EMPTY slot, now RESERVED (with the pool's current `flags`) for a dial.
  slot<T>& reserve(std::uint32_t flags, pool_mutex& held) CONNPOOL_REQUIRES(held) {
    const std::uint32_t idx = free_.back();
    free_.pop_back();
    if (idx >= high_water_.load(std::memory_order_relaxed)) high_water_.store(idx + 1, std::memory_order_release);
    slot<T>& s = slots_[idx];
    s.state.store(reserved_slot | flags, std::memory_order_relaxed);
    return s;
  }
  /// An owned slot is EMPTY again and free: the pool's flags stay, its own go.
  void release(slot<T>& s, pool_mutex& held) CONNPOOL_REQUIRES(held) {
    s.state.store((s.state.load(std::memory_order_relaxed) & flag_mask) | empty_slot, std::memory_order_release);
    free_.push_back(s.index);
  }

  /// Raises `flag` on every slot in use. A slot that was IDLE with no flag
  /// (published just before) can no longer be claimed by a CAS: the first
  /// such slot (with `all`, every one) is claimed BUSY for the caller.
  slot<T>* raise_flag(std::uint32_t flag, std::vector<slot<T>*>* all, pool_mutex& held) CONNPOOL_REQUIRES(held) {
    slot<T>* found = nullptr;
    const std::uint32_t n = high_water_.load(std::memory_order_relaxed);
    for (std::uint32_t i = 0; i < n; ++i) {
      const std::uint32_t old = slots_[i].state.fetch_or(flag, std::memory_order_acq_rel);
      if (old != idle_slot || (found && !all)) continue;
      found = &slots_[i];
      if (track_idle_) idle_count_.fetch_sub(1, std::memory_order_relaxed);
      set_kind_locked(*found, busy_slot, held);
      if (all) all->push_back(found);
    }
    return found;
  }
  /// raise_flag() on slot `i` alone: the slot when it was IDLE with no
  /// flag (now claimed BUSY for the caller, who leases it out or calls
  /// give_back_claimed()), else null. The caller loops to high_water().
  slot<T>* raise_flag_at(std::uint32_t i, std::uint32_t flag, pool_mutex& held) CONNPOOL_REQUIRES(held) {
    if (slots_[i].state.fetch_or(flag, std::memory_order_acq_rel) != idle_slot) return nullptr;
    if (track_idle_) idle_count_.fetch_sub(1, std::memory_order_relaxed);
    set_kind_locked(slots_[i], busy_slot, held);
    return &slots_[i];
  }
  /// A slot raise_flag_at() claimed and nobody wanted: IDLE again (with
  /// the flags it carries now).
  void give_back_claimed(slot<T>& s, pool_mutex& held) noexcept CONNPOOL_REQUIRES(held) {
    if (track_idle_) idle_count_.fetch_add(1, std::memory_order_relaxed);
    set_kind_locked(s, idle_slot, held);
  }
  void lower_flag(std::uint32_t flag, pool_mutex& held) noexcept CONNPOOL_REQUIRES(held) {
    const std::uint32_t n = high_water_.load(std::memory_order_relaxed);
    for (std::uint32_t i = 0; i < n; ++i)
      slots_[i].state.fetch_and(~flag, std::memory_order_acq_rel);
  }

  /// Claims up to `n` idle slots (lowest first) into `out` for the caller to
  /// retire, flagged with `why`; returns how many.
  std::size_t claim_idle_to_retire(std::size_t n, close_reason why, std::vector<slot<T>*>& out, pool_mutex& held)
      CONNPOOL_REQUIRES(held) {
    std::size_t done = 0;
    const std::uint32_t hw = high_water_.load(std::memory_order_relaxed);
    for (std::uint32_t i = 0; i < hw && done < n; ++i)
      if (try_claim(slots_[i], busy_slot)) {
        slots_[i].retire_why.store(why, std::memory_order_relaxed);
        slots_[i].state.fetch_or(retire_flag, std::memory_order_relaxed); // ours: a later scan skips it
        out.push_back(&slots_[i]);
        ++done;
      }
    return done;
  }
  /// Up to `n` connections retire: idle ones are claimed into `idle` (the
  /// caller retires them), the others are flagged to retire when they come
  /// back. Returns how many.
  std::size_t mark_to_retire(std::size_t n, close_reason why, std::vector<slot<T>*>& idle, pool_mutex& held)
      CONNPOOL_REQUIRES(held) {
    std::size_t done = claim_idle_to_retire(n, why, idle, held);
    const std::uint32_t hw = high_water_.load(std::memory_order_relaxed);
    for (std::uint32_t i = 0; i < hw && done < n; ++i) {
      slot<T>& s = slots_[i];
      const std::uint32_t st = s.state.load(std::memory_order_relaxed);
      if ((st & kind_mask) == empty_slot || (st & kind_mask) == idle_slot) continue;
      if (st & retire_flag) { // flagged before: a drain overrides a shrink (it always retires), not itself
        if (why != close_reason::drained || s.retire_why.load(std::memory_order_relaxed) == why) continue;
        s.retire_why.store(why, std::memory_order_relaxed);
        ++done;
        continue;
      }
      s.retire_why.store(why, std::memory_order_relaxed);
      ++done;
      // Its owner settles under this lock — unless it was published idle
      // just now: then nobody can claim it with the flag up, so we do.
      if ((s.state.fetch_or(retire_flag, std::memory_order_acq_rel) & kind_mask) == idle_slot) {
        if (track_idle_) idle_count_.fetch_sub(1, std::memory_order_relaxed);
        set_kind_locked(s, busy_slot, held);
        idle.push_back(&s);
      }
    }
    return done;
  }

private:
  slot<T>* claim_oldest(std::uint32_t n) {
    for (;;) {
      slot<T>* best = nullptr;
      std::uint64_t oldest = UINT64_MAX;
      for (std::uint32_t i = 0; i < n; ++i) {
        slot<T>& s = slots_[i];
        if (s.state.load(std::memory_order_relaxed) != idle_slot) continue;
        const std::uint64_t seq = s.idle_seq.load(std::memory_order_relaxed);
        if (seq < oldest) oldest = seq, best = &s;
      }
      if (!best) return nullptr;
      if (try_claim(*best, leased_slot)) return best; // else someone took it: look again
    }
  }

  // Read on every operation, written rarely.
  const bool track_idle_;
  const std::size_t capacity_;
  const std::unique_ptr<slot<T>[]> slots_;
  std::atomic<std::uint32_t> high_water_{0}; // grows under the lock
  std::vector<std::uint32_t> free_;          // the core's lock; EMPTY slot indices

  // Written on every operation when kept: each on its own line.
  alignas(64) std::atomic<std::size_t> idle_count_{0}; // IDLE slots, kept only when track_idle_
  alignas(64) std::atomic<std::uint64_t> idle_seq_{0}; // idle_order::fifo: the order slots went idle
};

} // namespace connpool::detail
