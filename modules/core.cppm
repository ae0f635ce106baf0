// SPDX-License-Identifier: MIT
// connpool:core — the shared state behind pool<T> and every lease<T>: the
// parts below, composed, plus the mutex and the capacity counts.
//
// Start here. The parts, each in its own file:
//
//   slot_table.cppm     the lock-free bag: slots, their state word, CAS claim
//                       and publish, flags, scans (knows nothing of policy)
//   waiter_queue.cppm   the FIFO of gets waiting at max_size
//   shards.cppm         per-thread counter shards (counters.cppm: the shard
//                       and the thread cache that finds it without a lock)
//   dialer.cppm         the factory call, dials in flight, the breaker
//   lease_tracker.cppm  per-lease stamps: hold time, leaks, observer hooks
//   maintenance.cppm    expiry, health checks, min_idle, warm-up, and the
//                       maintenance thread's loop
//   policy.cppm         the decisions as pure functions (tested directly)
//   mutex.cppm          the annotated mutex: what it guards is checked by
//                       clang's -Wthread-safety, not by comments
//
// Design
// ------
// Every connection lives in a *slot* of a fixed array of max_size slots
// (slot_table). A slot's atomic state says who owns it — EMPTY, RESERVED
// (being dialed), IDLE, LEASED, BUSY (maintenance, close, a waiter) — and
// only the owner touches the connection. Ownership moves by CAS (claim,
// publish) or under mu_ (hand-over, creation). That makes the common cycle
// lock-free: get claims an IDLE slot — first the one this thread returned
// last (its *hint*, warm in this core's cache), else a scan — and put
// publishes it IDLE again. No lock, no allocation, no clock read unless a
// time limit is configured; metrics go to a per-thread shard. `active_`
// (leases out) is the one shared counter written per cycle.
//
// Everything else takes mu_: creating (a free slot and `open_`, the number
// of non-EMPTY slots plus capacity granted to a waiter, <= max_size),
// waiting, closing, releasing a slot. Waiters queue FIFO (waiter_queue),
// each on its own condition variable, so a put wakes exactly one thread.
//
// *Flags* in every slot's state word carry the rare conditions to the
// lock-free paths, set and cleared on all slots under mu_: `closed_flag` once
// the pool is closed, and while gets wait one *wait signal*
// (sync_wait_signal_locked, decided by policy's wait_signal_for):
// `waiters_flag` when waiters are served in order (a put hands its
// connection to the first waiter; a get queues behind them), `nudge_flag`
// when running callers may overtake and the first waiter sleeps (a put
// wakes it to come and look, and makes the connection idle for whoever is
// first), none while that waiter is awake and looking (puts and gets stay
// lock-free). The fast paths CAS exact states, so a flag makes them fail
// and settle under mu_. A flag and a publish are read-modify-writes of the
// same word, so a put that published just before a flag went up is seen by
// whoever raised it, which hands that slot to the first waiter (no lost
// wake-up). A per-slot flag, `retire_flag`, marks a connection that must
// close when it comes back (drain, shrink).
//
// Fairness (config.fairness): strict serves waiters in order always.
// bounded lets running callers overtake (the first waiter is nudged on
// every return and competes) until the first waiter has waited
// fairness_bound on the pool clock — checked by a put that finds it asleep
// and by the waiter when it loses — then serves in order until it serves a
// waiter that waited less than the bound, or the queue is empty. So with
// more callers than connections, connections stay with running threads
// (no wake-up per hand-over), and no waiter waits more than the bound
// longer than it would under strict.
//
// Dials (acquire.cppm): capacity and a dial are reserved under mu_, the
// factory runs unlocked; whoever ends a dial or frees capacity serves the
// first waiters (or, with the circuit breaker open, fails them fast).
//
// Lifetime: leases hold a raw core pointer. The pool's destructor closes the
// core and deletes it when no slot is in use; otherwise it marks the core
// *orphaned* and the retirement of the last slot (or the end of the last
// background dial) deletes it. A put touches nothing of the core (not even
// the slot) after its publishing CAS, so a lease may be returned while, or
// after, its pool is destroyed. Every connection the factory made is closed
// exactly once, by whoever owns its slot when it is retired, outside any lock.
//
// Guards: fields marked GUARDED_BY(mu_) are checked by the compiler, and so
// are the parts' locked functions (they take mu_ as `held`). The atomics on
// the shared line are written under mu_ and read anywhere (relaxed: a stale
// read sends an operation to the slow path, which reads them again under
// mu_); `closed_` is the exception readers rely on, stored with release after
// every slot's closed flag and loaded with acquire.
module;
#include "inline.h"
#include "thread_safety.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <source_location>
#include <stop_token>
#include <thread>
#include <utility>
#include <vector>
export module connpool:core;
import :errors;
import :context;
import :clock;
import :events;
import :config;
import :metrics;
import :policy;
import :counters;
import :mutex;
import :slot_table;
import :waiter_queue;
import :shards;
import :dialer;
import :lease_tracker;

namespace connpool::detail {

template <class T> class core {
public:
  explicit core(config<T> cfg)
      : cfg_(std::move(cfg)), id_(thread_cache::new_pool_id()), leases_(cfg_), dialer_(cfg_),
        slots_(cfg_.max_size_limit ? cfg_.max_size_limit : cfg_.max_size, cfg_.max_idle.has_value()) {
    max_size_.store(cfg_.max_size, std::memory_order_relaxed);
    max_idle_.store(cfg_.max_idle.value_or(cfg_.max_size), std::memory_order_relaxed);
    min_idle_.store(cfg_.min_idle, std::memory_order_relaxed);
    max_idle_time_.store(cfg_.max_idle_time.count(), std::memory_order_relaxed);
    max_age_.store(cfg_.max_age.count(), std::memory_order_relaxed);
    health_check_interval_.store(cfg_.health_check_interval.count(), std::memory_order_relaxed);
    pool_lock lk(mu_);
    set_in_order_locked(cfg_.fairness == fairness_mode::strict);
    budget_.rate = cfg_.max_retirements_per_second;
    update_paths_locked();
    next_health_check_ = now() + cfg_.health_check_interval;
  }
  core(const core&) = delete;
  core& operator=(const core&) = delete;

  const config<T>& cfg() const noexcept { return cfg_; }
  time_point now() const { return pool_now(cfg_); }

  // ---- get ----------------------------------------------------------------

  /// The fast path of get, inlined into the caller: this thread's hint slot
  /// is idle and nothing needs checking (no time limits, no ping, no
  /// waiters, not closed). Per-lease bookkeeping (hold time, observer, leak
  /// detection) takes an out-of-line variant of it, still lock-free. Null
  /// when it does not apply: call acquire().
  CONNPOOL_ALWAYS_INLINE slot<T>* try_acquire_fast(const context& ctx) noexcept {
    return ctx.ended() == errc{} ? try_acquire_fast() : nullptr;
  }
  CONNPOOL_ALWAYS_INLINE slot<T>* try_acquire_fast() noexcept {
    if (thread_entry* te = thread_cache::find(id_); te && fast_get_.load(std::memory_order_relaxed) == fast_plain)
      return claim_hint(*te);
    return nullptr;
  }

  /// get(): a leased slot for the caller, or null with `ec` set (and, when
  /// the factory threw, its exception in `failure`). Errors are bare errc:
  /// building a std::error_code costs a library call.
  CONNPOOL_NOINLINE slot<T>* acquire(const context& ctx, errc& ec, std::exception_ptr& failure,
                                     const std::source_location& where);

  // ---- put / discard ------------------------------------------------------

  /// put() and a lease's destructor: `pool_closed` when the pool was closed
  /// (the connection is closed then). May delete an orphaned core.
  CONNPOOL_ALWAYS_INLINE errc give_back(slot<T>& s) {
    if (thread_entry* te = thread_cache::find(id_); te && fast_put_.load(std::memory_order_relaxed) == fast_plain)
      return publish_fast(s, *te); // inline: nothing to stamp or check
    return put_slot(s);
  }

  /// discard(): close it and give its slot to the first waiter. May delete
  /// an orphaned core.
  void discard(slot<T>& s);

  // ---- close ----------------------------------------------------------------

  /// close(): refuse gets, wake waiters, close idle, wait for the rest.
  errc close(const context& ctx);

  /// The pool's destructor: closes without waiting, then deletes this core
  /// now, or when the last lease (or background dial) comes back.
  void abandon();

  // ---- maintenance (maintenance.cppm) ---------------------------------------

  /// One pass: close idle connections past their limits (an expired one is
  /// replaced first when min_idle asks for it; max_age retirements within
  /// the rate cap), report leaks, health-check idle ones when due (claimed
  /// while pinged, so never handed out meanwhile; no lock held while
  /// pinging), then top up min_idle.
  maintenance_report maintain(const context& ctx);
  /// warm_up(): create connections in the caller's thread until `target`
  /// are idle (capped at max_size), or the context ends, or a dial fails.
  errc warm_up(std::size_t target, const context& ctx, std::exception_ptr& failure);
  /// The maintenance thread: a pass every maintenance_interval() (which set_*
  /// may change), or sooner when kicked (min_idle fell short).
  void run_maintenance(std::stop_token st);
  /// How often maintain() should run; zero when nothing needs it.
  duration maintenance_interval() const;

  // ---- runtime changes (resize.cppm) ----------------------------------------

  /// set_max_size(): growing serves waiters; shrinking closes idle excess now
  /// and marks as many leased connections to retire on return.
  errc set_max_size(std::size_t n);
  /// set_max_idle(): closes idle connections over the new limit. Needs
  /// config.max_idle set at construction (idle connections are only counted
  /// then: counting costs the fast path an atomic per get and put).
  errc set_max_idle(std::size_t n);
  errc set_min_idle(std::size_t n);
  enum class duration_field { max_idle_time, max_age, health_check_interval };
  errc set_duration(duration_field f, duration d);
  /// drain(): every connection open now retires: idle ones at once, leased
  /// (or being created or checked) ones when they come back. New
  /// connections are not affected. Returns how many it marked or closed.
  std::size_t drain();
  std::size_t min_idle() const noexcept { return min_idle_.load(std::memory_order_relaxed); }

  // ---- observers ------------------------------------------------------------

  metrics stats() const;
  std::size_t open() const {
    pool_lock lk(mu_);
    return open_;
  }
  std::size_t idle() const { return slots_.count_idle(); }
  bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }
  /// The last factory failure (what an open breaker reports).
  std::exception_ptr last_failure() const {
    pool_lock lk(mu_);
    return dialer_.last_failure(mu_);
  }

  /// Every connection, one entry each (read slot by slot: a snapshot of a
  /// moving pool, each entry consistent on its own).
  std::vector<connection_info> connections() const;

private:
  enum : std::uint8_t { fast_none, fast_plain, fast_hooked };
  using purpose = typename dialer<T>::purpose;

  // ---- the lock-free cycle ----------------------------------------------------

  // CAS this thread's hint slot IDLE -> LEASED. The hint is always a valid
  // index; an unused slot is EMPTY, not IDLE; a flag makes the CAS fail.
  CONNPOOL_ALWAYS_INLINE slot<T>* claim_hint(thread_entry& te) noexcept {
    slot<T>& s = slots_[te.hint];
    if (!slot_table<T>::claim_exact(s)) return nullptr;
    lease_out();
    bump(s.uses);
    bump(te.shard->gets);
    bump(te.shard->hits);
    return &s;
  }
  slot<T>* acquire_hooked(thread_entry& te, const std::source_location& where);
  // Publish LEASED -> IDLE, or settle under the lock when a flag is up.
  CONNPOOL_ALWAYS_INLINE errc publish_fast(slot<T>& s, thread_entry& te) {
    bump(te.shard->puts);
    active_.fetch_sub(1, std::memory_order_relaxed);
    const std::uint32_t index = s.index; // read before publishing: the core may be gone after
    if (slot_table<T>::publish_exact(s, leased_slot)) {
      te.hint = index; // thread-local
      return errc{};
    }
    return settle(s, *te.shard, &te);
  }
  CONNPOOL_NOINLINE errc put_slot(slot<T>& s);

  // Unlocked, slot owned in state `from` (LEASED, BUSY or RESERVED): idle
  // again, or to the first waiter, or closed (idle full, pool closed,
  // retiring). `te` (the returning thread's entry, if any) remembers the
  // slot as its hint.
  errc publish(slot<T>& s, counter_shard& sh, std::uint32_t from, thread_entry* te);

  // Unlocked, slot owned but a flag blocked publishing it: under the lock,
  // close it (pool closed, retiring), hand it to the first waiter, or — the
  // flag was cleared meanwhile — publish it after all.
  errc settle(slot<T>& s, counter_shard& sh, thread_entry* te);

  void lease_out() noexcept {
    const std::uint64_t now_active = active_.fetch_add(1, std::memory_order_relaxed) + 1;
    std::uint64_t peak = max_active_.load(std::memory_order_relaxed);
    while (now_active > peak && !max_active_.compare_exchange_weak(peak, now_active, std::memory_order_relaxed)) {
    }
  }

  // ---- the slow get -------------------------------------------------------------

  // Unlocked. Claims idle slots (hint first) until one passes its checks;
  // retires the stale and broken ones met on the way.
  slot<T>* take_idle(thread_entry& te, const context& ctx, counter_shard& sh);
  // Unlocked: an idle slot a nudged waiter claimed. Leased out when it
  // passes its checks; else retired (false: look again).
  bool accept_claimed(slot<T>& s, const context& ctx, counter_shard& sh);

  // Unlocked, slot owned. Why it cannot be leased (expired, ping failed),
  // or nothing when it can.
  std::optional<close_reason> check_usable(slot<T>& s, const context& ctx, counter_shard& sh);

  // Under the lock: create in a free slot, or queue until a connection or
  // capacity is handed over, the pool closes or the context ends. (acquire()
  // has just found no idle slot to claim.) `unchecked`: the slot was claimed
  // idle after a nudge, and its checks are the caller's (accept_claimed).
  slot<T>* acquire_slow(thread_entry& te, const context& ctx, errc& ec, std::exception_ptr& failure, bool& unchecked);

  // The breaker is open: fail fast with its error.
  slot<T>* reject_locked(counter_shard& sh, errc& ec, std::exception_ptr& failure) CONNPOOL_REQUIRES(mu_);

  // `lk` held with a unit of capacity and a dial (open_, the dialer): calls
  // the factory unlocked; returns with `lk` unlocked. (Like dial_and_account,
  // checked at its callers only: the analysis cannot follow a lock that is
  // passed by reference and released inside.)
  slot<T>* create(pool_lock& lk, const context& ctx, errc& ec, std::exception_ptr& failure, counter_shard& sh)
      CONNPOOL_REQUIRES(mu_) CONNPOOL_NO_THREAD_SAFETY_ANALYSIS;

  // ---- dials --------------------------------------------------------------------

  // `lk` held, with a unit of capacity and a dial for the RESERVED slot `s`:
  // runs the factory unlocked, settles the books under the lock (a failure
  // goes to the first waiter when `tell_waiter`), then tells the observer.
  // Returns with `lk` unlocked; true when `s` holds a connection. Checked at
  // its callers only (the analysis cannot follow a lock passed by reference
  // and released inside): they hold mu_ to call it and touch no guarded
  // field after it.
  bool dial_and_account(pool_lock& lk, slot<T>& s, const context& ctx, counter_shard& sh, std::exception_ptr& failure,
                        purpose p, bool tell_waiter = false) CONNPOOL_REQUIRES(mu_) CONNPOOL_NO_THREAD_SAFETY_ANALYSIS;
  // A dial failed: its slot and capacity are free again.
  void dial_failed_locked(slot<T>& s, std::exception_ptr failure) CONNPOOL_REQUIRES(mu_);

  // Capacity is free: a dial on a pool thread (config.background_dials),
  // serving the first waiter when it ends.
  void start_dial_locked() CONNPOOL_REQUIRES(mu_);
  void background_dial(slot<T>& s, counter_shard& sh);

  // Unlocked, slot RESERVED with a new connection nobody asked for yet: to
  // the first waiter, else idle, else closed.
  void place_new(slot<T>& s, counter_shard& sh);

  // ---- waiters ------------------------------------------------------------------

  // Both keep the slots' wait signal in step with the queue.
  void enqueue_locked(waiter<T>& w) CONNPOOL_REQUIRES(mu_);
  void unlink_locked(waiter<T>& w) CONNPOOL_REQUIRES(mu_);
  // The flag the slots carry for the waiters (policy.cppm, wait_signal_for)
  // is raised, lowered or swapped to match the queue and the fairness
  // state. Raising it claims the slots published idle just before: they go
  // to the first waiters. Re-entered from hand_over_locked: the outer call
  // loops until nothing changes.
  void sync_wait_signal_locked() CONNPOOL_REQUIRES(mu_);
  // fairness_mode::bounded: a put found the first waiter asleep. Serve in
  // order from now on when it has waited the bound (false: hand over), else
  // nudge it to come and look (true: publish the connection idle).
  bool nudge_or_serve_in_order_locked(waiter<T>& first) CONNPOOL_REQUIRES(mu_);
  // in_order_ and its lock-free copy may_overtake_, changed together.
  void set_in_order_locked(bool in_order) CONNPOOL_REQUIRES(mu_) {
    in_order_ = in_order;
    may_overtake_.store(!in_order, std::memory_order_relaxed);
  }
  // Unlocked, slot owned. Hands it to the first waiter, if any.
  bool hand_to_waiter(slot<T>& s, thread_entry* te);
  // Owns `s`; the first waiter gets it.
  void hand_over_locked(slot<T>& s) CONNPOOL_REQUIRES(mu_);
  void fail_first_waiter_locked(errc e, std::exception_ptr failure) CONNPOOL_REQUIRES(mu_);
  // While there is room for a new connection and a dial, the first waiters
  // get one: capacity to dial themselves, or a background dial started for
  // them — or, with the breaker open, a fast failure (there is room, so
  // nothing else is coming for them).
  void serve_waiters_locked() CONNPOOL_REQUIRES(mu_);
  // A granted waiter gives its capacity (and dial) back.
  void drop_grant_locked() CONNPOOL_REQUIRES(mu_);

  // ---- capacity and retirement ----------------------------------------------------

  // A unit of capacity was freed: released, then offered to the waiters.
  void free_capacity_locked() CONNPOOL_REQUIRES(mu_);
  // close() waits for no connection and no thread using the core.
  void notify_if_drained_locked() CONNPOOL_REQUIRES(mu_) {
    if (closed_.load(std::memory_order_relaxed) && open_ == 0 && holds_ == 0) drained_cv_.notify_all();
  }

  // Unlocked, slot owned: close its connection, free the slot. The last
  // retirement in an orphaned core deletes it: callers touch nothing after.
  void retire(slot<T>& s, counter_shard& sh, close_reason why);
  void retire_all(const std::vector<slot<T>*>& owned, close_reason why);
  // Unlocked, slot owned. Closes exactly once; a throwing close is counted,
  // not retried. Destroying the T ends it either way.
  void close_conn(slot<T>& s, counter_shard& sh) noexcept;

  void shut_down(counter_shard& sh);

  // ---- settings and limits ------------------------------------------------------

  // Which paths may skip the per-slot checks; recomputed when a setting
  // changes. A thread that read the old value a moment earlier finishes
  // its operation under the old rules (harmless: see set_duration).
  void update_paths_locked() noexcept CONNPOOL_REQUIRES(mu_) {
    const bool limits = has_limits();
    const bool fifo = cfg_.order == idle_order::fifo;
    const bool plain = !limits && !slots_.tracks_idle() && !fifo;
    const std::uint8_t simple = leases_.per_lease() ? fast_hooked : fast_plain;
    fast_put_.store(plain ? simple : fast_none, std::memory_order_relaxed);
    fast_get_.store(plain && !cfg_.ping ? simple : fast_none, std::memory_order_relaxed);
  }
  duration max_idle_time() const noexcept { return duration(max_idle_time_.load(std::memory_order_relaxed)); }
  duration max_age() const noexcept { return duration(max_age_.load(std::memory_order_relaxed)); }
  // max_idle_time or max_age set: puts stamp and gets check the clock.
  bool has_limits() const noexcept { return max_idle_time() > duration::zero() || max_age() > duration::zero(); }
  duration age_limit(const slot<T>& s) const noexcept {
    return max_age() - duration(s.age_cut.load(std::memory_order_relaxed));
  }
  expiry expiry_of(const slot<T>& s, time_point t) const noexcept {
    const time_point since_return =
        std::max(s.returned_at(), time_point(duration(limits_since_.load(std::memory_order_relaxed))));
    return check_expiry(s.created_at(), since_return, t, max_idle_time(),
                        max_age() > duration::zero() ? age_limit(s) : duration::zero());
  }
  // Within config.max_retirements_per_second? (max_age retirements only.)
  bool retirement_allowed(time_point t) {
    if (cfg_.max_retirements_per_second <= 0) return true;
    pool_lock lk(mu_);
    return budget_.take(t);
  }
  void kick_locked() CONNPOOL_REQUIRES(mu_) {
    kicked_ = true;
    maint_cv_.notify_all();
  }
  // The flags every slot carries right now.
  std::uint32_t flags_locked() const noexcept CONNPOOL_REQUIRES(mu_) {
    return raised_ | (closed_.load(std::memory_order_relaxed) ? closed_flag : 0u);
  }

  // ---- maintenance (maintenance.cppm) ------------------------------------------

  enum class fill_result { created, enough, no_room, busy, failed, rejected };
  // Creates one idle connection in the caller's thread when fewer than
  // `target` are idle (or being created for that).
  fill_result fill_one(std::size_t target, const context& ctx, counter_shard& sh, std::exception_ptr& failure);
  bool health_check_due(time_point t);
  duration interval_locked() const noexcept CONNPOOL_REQUIRES(mu_);

  // ---- small helpers ------------------------------------------------------------

  thread_entry& me() {
    if (thread_entry* e = thread_cache::find(id_)) return *e;
    return thread_cache::replace(id_, shards_.of_this_thread(mu_));
  }
  template <class F> void notify(counter_shard& sh, F&& f) noexcept {
    tell(cfg_.observer.get(), sh, std::forward<F>(f));
  }
  // Unlocked. A ping that throws, fails or returns after its deadline fails.
  bool run_ping(T& c, const context& ctx, counter_shard& sh);
  static slot<T>* fail(errc& ec, errc e) noexcept {
    ec = e;
    return nullptr;
  }
  static slot<T>* end_get(counter_shard& sh, errc e, errc& ec) noexcept {
    bump(e == errc::cancelled ? sh.cancellations : sh.timeouts);
    ec = e;
    return nullptr;
  }
  slot<T>* timed_out(counter_shard& sh, errc e, errc& ec, std::int64_t t0) noexcept {
    notify(sh, [&](observer& o) { o.on_wait_timeout(since(t0)); });
    return end_get(sh, e, ec);
  }

  // ---- fields -------------------------------------------------------------------

  const config<T> cfg_;
  const std::uint64_t id_; // key of this pool in each thread's cache
  lease_tracker<T> leases_;
  dialer<T> dialer_;

  // Read on every operation, written rarely (under mu_): one shared, clean line.
  slot_table<T> slots_;                      // its hot fields first, its counters on their own lines
  std::atomic<bool> closed_{false};          // written under mu_ (release), see above
  std::atomic<std::uint8_t> fast_get_{0};    // fast_*: a claimed idle slot needs no check; written under mu_
  std::atomic<std::uint8_t> fast_put_{0};    // fast_*: a returned slot needs no stamp or check; written under mu_
  std::atomic<std::uint64_t> max_active_{0}; // peak of leases out; written when a new peak is reached
  // Settings that set_* may change (written under mu_, read anywhere).
  std::atomic<std::size_t> max_size_{0}, max_idle_{0}, min_idle_{0};
  std::atomic<duration::rep> max_idle_time_{0}, max_age_{0}, health_check_interval_{0};
  std::atomic<duration::rep> limits_since_{0}; // idle time counts from here at the earliest
  std::atomic<bool> may_overtake_{false};      // a get may take an idle connection ahead of waiters; = !in_order_

  // Written on every operation: its own line.
  alignas(64) std::atomic<std::uint64_t> active_{0}; // leases out

  alignas(64) mutable pool_mutex mu_;
  std::condition_variable_any drained_cv_;         // close() waits here for open_ == 0
  std::condition_variable_any maint_cv_;           // the maintenance thread sleeps here
  waiter_queue<T> waiters_;                        // mu_ (its functions check it)
  shard_list shards_;                              // mu_ (its functions check it)
  std::size_t open_ CONNPOOL_GUARDED_BY(mu_) = 0;  // non-EMPTY slots plus granted capacity
  std::size_t holds_ CONNPOOL_GUARDED_BY(mu_) = 0; // threads using the core without a slot (background
                                                   // dials, a close being told to the observer): it outlives them
  bool orphaned_ CONNPOOL_GUARDED_BY(mu_) = false; // the pool is gone, leases are out
  bool kicked_ CONNPOOL_GUARDED_BY(mu_) = false;   // wake the maintenance thread early
  // Fairness: waiters are served in order (strict, or bounded after the
  // first waited the bound); the flag the slots carry for them; and
  // sync_wait_signal_locked() running (it is re-entered).
  bool in_order_ CONNPOOL_GUARDED_BY(mu_) = false;
  std::uint32_t raised_ CONNPOOL_GUARDED_BY(mu_) = 0;
  bool syncing_ CONNPOOL_GUARDED_BY(mu_) = false;
  time_point next_health_check_ CONNPOOL_GUARDED_BY(mu_);
  retirement_budget budget_ CONNPOOL_GUARDED_BY(mu_);
};

} // namespace connpool::detail
