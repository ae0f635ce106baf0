// connpool:core — the shared state behind pool<T> and every lease<T>.
//
// Design
// ------
// Every connection lives in a *slot* of a fixed array of max_size slots.
// A slot's atomic `state` says who owns it:
//
//   EMPTY     no connection; its index is on the free list (mu_)
//   RESERVED  the factory is filling it (owned by that get)
//   IDLE      in the pool; anyone may claim it with one CAS
//   LEASED    owned by a lease (or being checked by the get that claimed it)
//   BUSY      claimed by maintenance, close(), or a waiter raising its flag
//
// Only the owner touches `conn`; ownership moves by CAS (claim, publish)
// or under mu_ (hand-over, creation). That makes the common cycle lock-free:
// get claims an IDLE slot — first the one this thread returned last (its
// *hint*, warm in this core's cache), else a scan — and put publishes it
// IDLE again. No lock, no allocation, no clock read unless a time limit is
// configured; metrics go to a per-thread shard (counters.cppm). `active_`
// (leases out, for max_active) is the one shared counter written per cycle.
//
// Everything else takes mu_: creating (a free slot and `open_`, the number
// of non-EMPTY slots plus capacity granted to a waiter, <= max_size),
// waiting, closing, releasing a slot.
// Waiters queue FIFO on an intrusive list of stack nodes, each with its own
// condition variable, so a put wakes exactly one thread; deadlines and stop
// requests wake them directly (no polling).
//
// Two *flags* in every slot's state word carry the rare conditions to the
// lock-free paths: `waiters_flag` while anyone queues and `closed_flag` once
// the pool is closed. Both are set and cleared on all slots under mu_. The
// fast paths CAS exact states (IDLE -> LEASED, LEASED -> IDLE), so a flag
// makes them fail and take the slow path under mu_: a get queues behind the
// waiters (no overtaking), a put hands its connection to the first waiter or
// closes it. Because flag and publish are read-modify-writes of the same
// word, a put that published just before the first waiter flagged the slot
// is seen by that waiter, which takes the slot (no lost wake-up).
//
// A third, per-slot flag, `retire_flag`, marks a connection that must close
// when it comes back (drain, shrink): raised under mu_, it too makes the
// exact CAS fail, so the owner settles under the lock.
//
// Dials: a get that needs a new connection reserves capacity (`open_`) and a
// dial (`dialing_`, capped by max_connecting) under mu_, then runs the
// factory unlocked — in its own thread, or (background_dials) on a
// short-lived thread whose result goes to the first waiter or idle. When a
// dial ends or capacity frees up, serve_waiters_locked() grants the first
// waiters capacity or starts dials for them — or, with the circuit breaker
// open (policy.cppm), fails them fast. Maintenance tops up min_idle in its
// own thread the same way.
//
// Lifetime: leases hold a raw core pointer. The pool's destructor closes the
// core and deletes it when no slot is in use; otherwise it marks the core
// *orphaned* and the retirement of the last slot (or the end of the last
// background dial) deletes it. A put touches
// nothing of the core (not even the slot) after its publishing CAS, so a
// lease may be returned
// while, or after, its pool is destroyed. Every connection the factory made
// is closed exactly once, by whoever owns its slot when it is retired,
// outside any lock.
module;
#include "inline.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
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
import :histogram;
import :config;
import :metrics;
import :policy;
import :counters;

export namespace connpool {

/// What one maintenance pass did (pool::maintain()).
struct maintenance_report {
  std::size_t idle_closed = 0;   ///< closed past max_idle_time
  std::size_t age_closed = 0;    ///< closed past max_age
  std::size_t pinged = 0;        ///< health-checked
  std::size_t ping_failures = 0; ///< closed because the health check failed
  std::size_t created = 0;       ///< created to keep min_idle (or to replace an expired one)
  std::size_t leaks = 0;         ///< leases newly reported past leak_threshold
};

} // namespace connpool

export namespace connpool::detail {

enum slot_state : std::uint32_t { empty_slot, reserved_slot, idle_slot, leased_slot, busy_slot };
inline constexpr std::uint32_t kind_mask = 0xff;
inline constexpr std::uint32_t waiters_flag = 1u << 8; // someone queues: puts hand over, gets queue
inline constexpr std::uint32_t closed_flag = 1u << 9;  // the pool is closed: puts close
inline constexpr std::uint32_t flag_mask = waiters_flag | closed_flag;
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

/// Waits until `pred()` holds or `ctx` ends; returns pred().
template <class Pred> bool wait_for_context(std::condition_variable_any& cv, std::unique_lock<std::mutex>& lk,
                                            const context& ctx, Pred pred) {
  if (ctx.deadline()) return cv.wait_until(lk, ctx.stop_token(), *ctx.deadline(), pred);
  return cv.wait(lk, ctx.stop_token(), pred);
}

inline std::int64_t steady_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
inline duration since(std::int64_t t0_ns) noexcept { return std::chrono::nanoseconds(steady_ns() - t0_ns); }

/// Uniform in [0, 1), per thread (jitter only: not for anything secret).
inline double uniform01() noexcept {
  static thread_local std::minstd_rand gen(static_cast<unsigned>(std::random_device{}()));
  return std::generate_canonical<double, 32>(gen);
}

template <class T> class core {
public:
  explicit core(config<T> cfg)
      : cfg_(std::move(cfg)), capacity_(cfg_.max_size_limit ? cfg_.max_size_limit : cfg_.max_size),
        track_idle_(cfg_.max_idle.has_value()),
        per_lease_(cfg_.leak_threshold > duration::zero() || cfg_.track_hold_time || cfg_.observer != nullptr),
        id_(thread_cache::new_pool_id()), slots_(new slot<T>[capacity_]) {
    free_.reserve(capacity_);
    for (std::size_t i = capacity_; i-- > 0;) {
      slots_[i].index = static_cast<std::uint32_t>(i);
      free_.push_back(static_cast<std::uint32_t>(i)); // lowest index on top: keeps scans short
    }
    max_size_.store(cfg_.max_size, std::memory_order_relaxed);
    max_idle_.store(cfg_.max_idle.value_or(cfg_.max_size), std::memory_order_relaxed);
    min_idle_.store(cfg_.min_idle, std::memory_order_relaxed);
    max_idle_time_.store(cfg_.max_idle_time.count(), std::memory_order_relaxed);
    max_age_.store(cfg_.max_age.count(), std::memory_order_relaxed);
    health_check_interval_.store(cfg_.health_check_interval.count(), std::memory_order_relaxed);
    breaker_.initial = cfg_.backoff_initial;
    breaker_.max_delay = cfg_.backoff_max > duration::zero() ? cfg_.backoff_max : cfg_.backoff_initial * 32;
    budget_.rate = cfg_.max_retirements_per_second;
    std::lock_guard lk(mu_);
    update_paths_locked();
    next_health_check_ = now() + cfg_.health_check_interval;
  }
  ~core() {
    for (counter_shard* s = shards_; s;)
      delete std::exchange(s, s->next);
  }
  core(const core&) = delete;
  core& operator=(const core&) = delete;

  const config<T>& cfg() const noexcept { return cfg_; }
  time_point now() const { return cfg_.clock ? cfg_.clock() : std::chrono::steady_clock::now(); }

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
                                     const std::source_location& where) {
    thread_entry& te = me();
    if (fast_get_.load(std::memory_order_relaxed) == fast_hooked && ctx.ended() == errc{})
      if (slot<T>* s = acquire_hooked(te, where)) return s; // lock-free, with per-lease hooks
    counter_shard& sh = *te.shard;
    bump(sh.gets);
    bump(sh.slow_gets);
    const std::int64_t t0 = steady_ns();
    if (closed_.load(std::memory_order_acquire)) return fail(ec, errc::pool_closed); // before the context
    if (errc e = ctx.ended(); e != errc{}) return timed_out(sh, e, ec, t0);
    slot<T>* s = nullptr;
    if (waiting_.load(std::memory_order_relaxed) == 0) s = take_idle(te, ctx, sh);
    if (!s) s = acquire_slow(te, ctx, ec, failure);
    if (s)
      leased(*s, sh, t0, where);
    else if (ec == errc::get_timeout || ec == errc::cancelled)
      notify(sh, [&](observer& o) { o.on_wait_timeout(since(t0)); });
    return s;
  }

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
  void discard(slot<T>& s) {
    counter_shard& sh = *me().shard;
    bump(sh.discards);
    returning(s, sh);
    active_.fetch_sub(1, std::memory_order_relaxed);
    retire(s, sh, close_reason::discarded);
  }

private:
  enum : std::uint8_t { fast_none, fast_plain, fast_hooked };

  // Lock-free: CAS this thread's hint slot IDLE -> LEASED. The hint is
  // always a valid index; an unused slot is EMPTY, not IDLE; a flag
  // (waiters, closed, retire) makes the exact CAS fail.
  CONNPOOL_ALWAYS_INLINE slot<T>* claim_hint(thread_entry& te) noexcept {
    slot<T>& s = slots_[te.hint];
    std::uint32_t expected = idle_slot;
    if (!s.state.compare_exchange_strong(expected, leased_slot, std::memory_order_acquire, std::memory_order_relaxed))
      return nullptr;
    lease_out();
    bump(s.uses);
    bump(te.shard->gets);
    bump(te.shard->hits);
    return &s;
  }
  slot<T>* acquire_hooked(thread_entry& te, const std::source_location& where) {
    slot<T>* s = claim_hint(te);
    if (s) lease_hooks(*s, *te.shard, steady_ns(), duration::zero(), where);
    return s;
  }
  // Lock-free: publish LEASED -> IDLE, or settle under the lock when a flag
  // is up.
  CONNPOOL_ALWAYS_INLINE errc publish_fast(slot<T>& s, thread_entry& te) {
    bump(te.shard->puts);
    active_.fetch_sub(1, std::memory_order_relaxed);
    const std::uint32_t index = s.index; // read before publishing: the core may be gone after
    std::uint32_t expected = leased_slot;
    if (s.state.compare_exchange_strong(expected, idle_slot, std::memory_order_release, std::memory_order_relaxed)) {
      te.hint = index; // thread-local
      return errc{};
    }
    return settle(s, *te.shard, &te);
  }
  CONNPOOL_NOINLINE errc put_slot(slot<T>& s) {
    thread_entry& te = me();
    if (fast_put_.load(std::memory_order_relaxed) == fast_hooked) { // lock-free, with per-lease hooks
      returning(s, *te.shard);                                      // while we still own it
      return publish_fast(s, te);
    }
    counter_shard& sh = *te.shard;
    bump(sh.puts);
    returning(s, sh);
    active_.fetch_sub(1, std::memory_order_relaxed);
    if (closed_.load(std::memory_order_acquire)) {
      retire(s, sh, close_reason::pool_closed);
      return errc::pool_closed;
    }
    const time_point t = has_limits() ? now() : time_point{};
    if (max_idle_time() > duration::zero()) s.returned.store(t.time_since_epoch().count(), std::memory_order_relaxed);
    if (cfg_.order == idle_order::fifo) s.idle_seq.store(next_idle_seq(), std::memory_order_relaxed);
    if (max_age() > duration::zero() && t - s.created_at() >= age_limit(s) && retirement_allowed(t)) {
      bump(sh.age_closed);
      retire(s, sh, close_reason::max_age);
      return errc{};
    }
    return publish(s, sh, leased_slot, &te);
  }

  // Unlocked, slot owned in state `from` (LEASED, BUSY or RESERVED): idle
  // again, or to the first waiter, or closed (idle full, pool closed,
  // retiring). `te` (the returning thread's entry, if any) remembers the
  // slot as its hint.
  errc publish(slot<T>& s, counter_shard& sh, std::uint32_t from, thread_entry* te) {
    if (s.state.load(std::memory_order_relaxed) & retire_flag) return settle(s, sh, te);
    if (!reserve_idle()) { // idle is full (max_idle): a waiter still comes first
      if (hand_to_waiter(s, te)) return errc{};
      retire(s, sh, close_reason::idle_overflow);
      return errc{};
    }
    const std::uint32_t index = s.index; // read before publishing: the core may be gone after
    std::uint32_t expected = from;
    if (s.state.compare_exchange_strong(expected, idle_slot, std::memory_order_release, std::memory_order_relaxed)) {
      if (te) te->hint = index;
      return errc{};
    }
    unreserve_idle();
    return settle(s, sh, te);
  }

  // Unlocked, slot owned but a flag blocked publishing it: under the lock,
  // close it (pool closed, retiring), hand it to the first waiter, or — the
  // flag was cleared meanwhile — publish it after all.
  errc settle(slot<T>& s, counter_shard& sh, thread_entry* te) {
    std::unique_lock lk(mu_);
    const std::uint32_t st = s.state.load(std::memory_order_relaxed); // flags only change under mu_
    if (st & closed_flag) {
      lk.unlock();
      retire(s, sh, close_reason::pool_closed); // may delete an orphaned core: touch nothing after
      return errc::pool_closed;
    }
    if (st & retire_flag) {
      const close_reason why = s.retire_why.load(std::memory_order_relaxed);
      if (why != close_reason::resized || open_ > max_size_.load(std::memory_order_relaxed)) {
        lk.unlock();
        retire(s, sh, why);
        return errc{};
      }
      s.state.fetch_and(~retire_flag, std::memory_order_relaxed); // the pool shrank enough meanwhile
    }
    if (head_) {
      hand_over_locked(s);
      if (te) te->hint = s.index;
      return errc{};
    }
    if (!reserve_idle()) {
      lk.unlock();
      retire(s, sh, close_reason::idle_overflow);
      return errc{};
    }
    s.state.store(idle_slot, std::memory_order_release); // no flag, no waiter: plain idle
    if (te) te->hint = s.index;
    return errc{};
  }

public:
  // ---- close ----------------------------------------------------------------

  /// close(): refuse gets, wake waiters, close idle, wait for the rest.
  errc close(const context& ctx) {
    counter_shard& sh = *me().shard;
    shut_down(sh);
    std::unique_lock lk(mu_);
    if (wait_for_context(drained_cv_, lk, ctx, [this] { return open_ == 0 && holds_ == 0; })) return errc{};
    bump(sh.close_timeouts);
    return errc::close_timeout;
  }

  /// The pool's destructor: closes without waiting, then deletes this core
  /// now, or when the last lease (or background dial) comes back.
  void abandon() {
    shut_down(*me().shard);
    std::unique_lock lk(mu_);
    if (open_ != 0 || holds_ != 0) {
      orphaned_ = true; // the last retire (or dial) deletes it
      return;
    }
    lk.unlock();
    delete this;
  }

  // ---- maintenance ----------------------------------------------------------

  /// One pass: close idle connections past their limits (an expired one is
  /// replaced first when min_idle asks for it; max_age retirements within
  /// the rate cap), report leaks, health-check idle ones when due (claimed
  /// while pinged, so never handed out meanwhile; no lock held while
  /// pinging), then top up min_idle.
  maintenance_report maintain(const context& ctx) {
    maintenance_report r;
    counter_shard& sh = *me().shard;
    if (closed_.load(std::memory_order_acquire)) return r;
    const time_point t = now();
    const std::uint32_t n = high_water_.load(std::memory_order_acquire);
    if (has_limits()) {
      for (std::uint32_t i = 0; i < n; ++i) {
        slot<T>& s = slots_[i];
        if (s.state.load(std::memory_order_relaxed) != idle_slot || expiry_of(s, t) == expiry::fresh) continue;
        if (!try_claim(s, busy_slot)) continue;
        const expiry x = expiry_of(s, t); // re-read now that we own it
        if (x == expiry::fresh || (x == expiry::max_age && !retirement_allowed(t))) {
          publish(s, sh, busy_slot, nullptr);
          continue;
        }
        if (min_idle_.load(std::memory_order_relaxed) > 0) { // replace it before closing it
          std::exception_ptr ignored;
          r.created += fill_one(min_idle_.load(std::memory_order_relaxed), context::background(), sh, ignored) ==
                       fill_result::created;
        }
        (x == expiry::max_age ? r.age_closed : r.idle_closed)++;
        bump(x == expiry::max_age ? sh.age_closed : sh.idle_closed);
        retire(s, sh, x == expiry::max_age ? close_reason::max_age : close_reason::idle_time);
      }
    }
    if (cfg_.leak_threshold > duration::zero()) r.leaks = report_leaks(t, n, sh);
    if (health_check_due(t)) {
      for (std::uint32_t i = 0; i < n && !ctx.done(); ++i) {
        slot<T>& s = slots_[i];
        if (s.state.load(std::memory_order_relaxed) != idle_slot || !try_claim(s, busy_slot)) continue;
        const context pctx =
            (cfg_.health_check_timeout > duration::zero() ? context::with_timeout(cfg_.health_check_timeout)
                                                          : context::background())
                .with_stop_token(ctx.stop_token());
        ++r.pinged;
        if (run_ping(*s.conn, pctx, sh)) {
          publish(s, sh, busy_slot, nullptr);
          continue;
        }
        ++r.ping_failures;
        bump(sh.ping_failures);
        retire(s, sh, close_reason::ping_failed);
      }
    }
    std::exception_ptr ignored;
    while (!ctx.done() && fill_one(min_idle_.load(std::memory_order_relaxed), ctx, sh, ignored) == fill_result::created)
      ++r.created;
    return r;
  }

  /// warm_up(): create connections in the caller's thread until `target`
  /// are idle (capped at max_size), or the context ends, or a dial fails.
  errc warm_up(std::size_t target, const context& ctx, std::exception_ptr& failure) {
    counter_shard& sh = *me().shard;
    for (;;) {
      if (closed_.load(std::memory_order_acquire)) return errc::pool_closed;
      if (errc e = ctx.ended(); e != errc{}) return e;
      switch (fill_one(target, ctx, sh, failure)) {
      case fill_result::created: continue;
      case fill_result::enough: return errc{};
      case fill_result::no_room: return errc{}; // max_size reached: as warm as it gets
      case fill_result::busy: {                 // max_connecting: wait for a dial to end
        std::unique_lock lk(mu_);
        if (!wait_for_context(dial_cv_, lk, ctx, [this] { return dial_slot_free_locked() || closed_.load(); }))
          return ctx.ended() == errc{} ? errc::get_timeout : ctx.ended();
        continue;
      }
      case fill_result::failed: return errc::factory_failed;
      case fill_result::rejected: {
        std::lock_guard lk(mu_);
        failure = last_failure_;
        return errc::circuit_open;
      }
      }
    }
  }

  /// The maintenance thread: a pass every maintenance_interval() (which set_*
  /// may change), or sooner when kicked (min_idle fell short).
  void run_maintenance(std::stop_token st) {
    const context ctx = context::background().with_stop_token(st);
    std::unique_lock lk(mu_);
    while (!st.stop_requested()) {
      const duration every = interval_locked();
      auto kicked = [this] { return kicked_; };
      if (every > duration::zero())
        maint_cv_.wait_for(lk, st, every, kicked);
      else
        maint_cv_.wait(lk, st, kicked);
      kicked_ = false;
      if (st.stop_requested()) break;
      lk.unlock();
      maintain(ctx);
      lk.lock();
    }
  }

  /// How often maintain() should run; zero when nothing needs it.
  duration maintenance_interval() const {
    std::lock_guard lk(mu_);
    return interval_locked();
  }

  // ---- runtime changes ------------------------------------------------------

  /// set_max_size(): growing serves waiters; shrinking closes idle excess now
  /// and marks as many leased connections to retire on return.
  errc set_max_size(std::size_t n) {
    if (n == 0 || n > capacity_) return errc::invalid_config;
    std::vector<slot<T>*> excess;
    {
      std::lock_guard lk(mu_);
      if (n < min_idle_.load(std::memory_order_relaxed) || (track_idle_ && n < max_idle_.load())) {
        return errc::invalid_config;
      }
      max_size_.store(n, std::memory_order_relaxed);
      if (!track_idle_) max_idle_.store(n, std::memory_order_relaxed);
      if (open_ > n) mark_excess_locked(open_ - n, close_reason::resized, excess);
      serve_waiters_locked();
    }
    retire_all(excess, close_reason::resized);
    return errc{};
  }
  /// set_max_idle(): closes idle connections over the new limit. Needs
  /// config.max_idle set at construction (idle connections are only counted
  /// then: counting costs the fast path an atomic per get and put).
  errc set_max_idle(std::size_t n) {
    if (!track_idle_) return errc::invalid_config;
    std::vector<slot<T>*> excess;
    {
      std::lock_guard lk(mu_);
      if (n > max_size_.load(std::memory_order_relaxed) || n < min_idle_.load(std::memory_order_relaxed))
        return errc::invalid_config;
      max_idle_.store(n, std::memory_order_relaxed);
      if (const std::size_t idle = idle_count_.load(std::memory_order_relaxed); idle > n)
        claim_idle_locked(idle - n, close_reason::resized, excess);
    }
    retire_all(excess, close_reason::resized);
    return errc{};
  }
  std::size_t min_idle() const noexcept { return min_idle_.load(std::memory_order_relaxed); }
  errc set_min_idle(std::size_t n) {
    std::lock_guard lk(mu_);
    if (n > max_size_.load(std::memory_order_relaxed) || (track_idle_ && n > max_idle_.load()))
      return errc::invalid_config;
    min_idle_.store(n, std::memory_order_relaxed);
    kick_locked();
    return errc{};
  }
  enum class duration_field { max_idle_time, max_age, health_check_interval };
  errc set_duration(duration_field f, duration d) {
    if (d < duration::zero()) return errc::invalid_config;
    if (f == duration_field::health_check_interval && d > duration::zero() && !cfg_.ping) return errc::invalid_config;
    if (f == duration_field::max_age && d > duration::zero() && cfg_.max_age_jitter >= d) return errc::invalid_config;
    std::lock_guard lk(mu_);
    auto& target = f == duration_field::max_idle_time ? max_idle_time_
                   : f == duration_field::max_age     ? max_age_
                                                      : health_check_interval_;
    // Idle time counts from now for connections returned before the change
    // (their return was not stamped while no limit was set).
    if (f == duration_field::max_idle_time && target.load() == 0) limits_since_ = now().time_since_epoch().count();
    target.store(d.count(), std::memory_order_relaxed);
    if (f == duration_field::health_check_interval) next_health_check_ = now() + d;
    update_paths_locked();
    kick_locked();
    return errc{};
  }

  /// drain(): every connection open now retires: idle ones at once, leased
  /// (or being created or checked) ones when they come back. New
  /// connections are not affected. Returns how many it marked or closed.
  std::size_t drain() {
    std::vector<slot<T>*> idle;
    std::size_t marked = 0;
    {
      std::lock_guard lk(mu_);
      marked = mark_excess_locked(SIZE_MAX, close_reason::drained, idle);
    }
    retire_all(idle, close_reason::drained);
    return marked;
  }

  // ---- observers ------------------------------------------------------------

  metrics stats() const {
    std::lock_guard lk(mu_);
    metrics m;
    std::uint64_t slow = 0;
    for (const counter_shard* s = shards_; s; s = s->next) {
      s->add_to(m);
      slow += s->slow_gets.load(std::memory_order_relaxed);
    }
    // Gets served by the lock-free fast path waited no time at all.
    const std::uint64_t fast = m.gets > slow ? m.gets - slow : 0;
    m.wait.buckets[0] += fast;
    m.wait.count += fast;
    m.max_active = max_active_.load(std::memory_order_relaxed);
    m.open = open_;
    m.idle = count_idle();
    m.active = active_.load(std::memory_order_relaxed);
    m.waiting = waiting_.load(std::memory_order_relaxed);
    m.creating = dialing_;
    m.max_size = max_size_.load(std::memory_order_relaxed);
    m.max_idle = max_idle_.load(std::memory_order_relaxed);
    m.min_idle = min_idle_.load(std::memory_order_relaxed);
    m.circuit_open = breaker_.open;
    m.circuit_opens = circuit_opens_;
    return m;
  }
  std::size_t open() const {
    std::lock_guard lk(mu_);
    return open_;
  }
  std::size_t idle() const { return count_idle(); }
  bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }
  /// The last factory failure (what an open breaker reports).
  std::exception_ptr last_failure() const {
    std::lock_guard lk(mu_);
    return last_failure_;
  }

  /// Every connection, one entry each (read slot by slot: a snapshot of a
  /// moving pool, each entry consistent on its own).
  std::vector<connection_info> connections() const {
    std::vector<connection_info> out;
    const std::uint32_t n = high_water_.load(std::memory_order_acquire);
    for (std::uint32_t i = 0; i < n; ++i) {
      const slot<T>& s = slots_[i];
      const std::uint32_t kind = s.state.load(std::memory_order_acquire) & kind_mask;
      if (kind == empty_slot) continue;
      connection_info c;
      c.where = kind == idle_slot     ? connection_info::state::idle
                : kind == leased_slot ? connection_info::state::active
                : kind == busy_slot   ? connection_info::state::checking
                                      : connection_info::state::creating;
      c.id = kind == reserved_slot ? 0 : s.id.load(std::memory_order_relaxed);
      c.created_at = s.created_at();
      c.idle_since = s.returned_at();
      c.uses = s.uses.load(std::memory_order_relaxed);
      out.push_back(c);
    }
    return out;
  }

private:
  struct waiter {
    std::condition_variable cv;
    slot<T>* handed = nullptr;  // a connection handed over (already leased out)
    bool granted = false;       // capacity (and a dial) to create a connection with
    bool closed = false;        // the pool closed
    bool cancelled = false;     // its stop token fired (set by the stop callback)
    errc error{};               // a background dial failed, or the breaker rejected it
    std::exception_ptr failure; // with error: the factory's exception
    waiter* prev = nullptr;     // guarded by mu_: the FIFO list
    waiter* next = nullptr;
    bool ready() const noexcept { return handed || granted || closed || cancelled || error != errc{}; }
  };

  // Wakes a waiter whose stop token fired (runs in the requesting thread).
  struct stop_waiter {
    core* c;
    waiter* w;
    void operator()() const noexcept {
      std::lock_guard g(c->mu_);
      w->cancelled = true;
      w->cv.notify_one();
    }
  };

  enum class fill_result { created, enough, no_room, busy, failed, rejected };

  thread_entry& me() {
    if (thread_entry* e = thread_cache::find(id_)) return *e;
    return thread_cache::replace(id_, shard_of_this_thread());
  }
  counter_shard* shard_of_this_thread() {
    std::lock_guard lk(mu_);
    const auto tid = std::this_thread::get_id();
    for (counter_shard* s = shards_; s; s = s->next)
      if (s->owner == tid) return s; // a dead thread's shard, or ours evicted from the cache
    auto* s = new counter_shard;
    s->owner = tid;
    s->next = shards_;
    shards_ = s;
    return s;
  }
  // Background dial threads are short-lived: each borrows a shard from a
  // spare list for its lifetime (one writer at a time; handed over under
  // the lock) instead of leaving one per thread id behind. Caller holds the lock.
  // They are on the shards_ list too (owner: no thread), so stats() counts
  // them while lent.
  counter_shard* borrow_shard_locked() {
    if (!spare_shards_.empty()) {
      counter_shard* s = spare_shards_.back();
      spare_shards_.pop_back();
      return s;
    }
    spare_shards_.reserve(++lent_shards_); // so returning one never allocates
    auto* s = new counter_shard;
    s->next = shards_;
    shards_ = s;
    return s;
  }
  void return_shard_locked(counter_shard* s) noexcept { spare_shards_.push_back(s); }

  // Which paths may skip the per-slot checks; recomputed when a setting
  // changes. A thread that read the old value a moment earlier finishes
  // its operation under the old rules (harmless: see set_duration). Caller
  // holds the lock.
  void update_paths_locked() noexcept {
    const bool limits = has_limits();
    const bool fifo = cfg_.order == idle_order::fifo;
    const std::uint8_t simple = per_lease_ ? fast_hooked : fast_plain;
    fast_put_.store(!limits && !track_idle_ && !fifo ? simple : fast_none, std::memory_order_relaxed);
    fast_get_.store(!limits && !track_idle_ && !fifo && !cfg_.ping ? simple : fast_none, std::memory_order_relaxed);
  }
  duration max_idle_time() const noexcept { return duration(max_idle_time_.load(std::memory_order_relaxed)); }
  // max_idle_time or max_age set: puts stamp and gets check the clock.
  bool has_limits() const noexcept { return max_idle_time() > duration::zero() || max_age() > duration::zero(); }
  duration max_age() const noexcept { return duration(max_age_.load(std::memory_order_relaxed)); }
  duration age_limit(const slot<T>& s) const noexcept {
    return max_age() - duration(s.age_cut.load(std::memory_order_relaxed));
  }
  duration interval_locked() const noexcept {
    return detail::maintenance_interval(cfg_.cleanup_interval, max_idle_time(), max_age(),
                                        duration(health_check_interval_.load(std::memory_order_relaxed)),
                                        cfg_.leak_threshold,
                                        min_idle_.load(std::memory_order_relaxed) > 0 || breaker_.enabled());
  }
  void kick_locked() {
    kicked_ = true;
    maint_cv_.notify_all();
  }

  // Unlocked. Claims idle slots (hint first) until one passes its checks;
  // retires the stale and broken ones met on the way.
  slot<T>* take_idle(thread_entry& te, const context& ctx, counter_shard& sh) {
    while (slot<T>* s = claim_idle(te)) {
      const std::optional<close_reason> bad = check_usable(*s, ctx, sh);
      if (!bad && !closed_.load(std::memory_order_acquire)) {
        lease_out();
        bump(sh.hits);
        return s;
      }
      retire(*s, sh, bad.value_or(close_reason::pool_closed));
    }
    return nullptr;
  }

  // Unlocked. CAS one IDLE slot to LEASED: this thread's hint, else a scan
  // (FIFO: the one idle the longest).
  slot<T>* claim_idle(thread_entry& te) {
    const std::uint32_t n = high_water_.load(std::memory_order_acquire);
    if (cfg_.order == idle_order::fifo) return claim_oldest(n);
    if (te.pool_id == id_ && te.hint < n && try_claim(slots_[te.hint], leased_slot)) return &slots_[te.hint];
    for (std::uint32_t i = 0; i < n; ++i)
      if (slots_[i].state.load(std::memory_order_relaxed) == idle_slot && try_claim(slots_[i], leased_slot))
        return &slots_[i];
    return nullptr;
  }
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
  std::uint64_t next_idle_seq() noexcept { return idle_seq_.fetch_add(1, std::memory_order_relaxed) + 1; }

  bool try_claim(slot<T>& s, std::uint32_t to) noexcept {
    std::uint32_t expected = idle_slot;
    if (!s.state.compare_exchange_strong(expected, to, std::memory_order_seq_cst)) return false;
    if (track_idle_) idle_count_.fetch_sub(1, std::memory_order_relaxed);
    return true;
  }
  // Room for one more idle connection (only counted when config.max_idle is set).
  bool reserve_idle() noexcept {
    if (!track_idle_) return true;
    if (idle_count_.fetch_add(1, std::memory_order_relaxed) < max_idle_.load(std::memory_order_relaxed)) return true;
    idle_count_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  void unreserve_idle() noexcept {
    if (track_idle_) idle_count_.fetch_sub(1, std::memory_order_relaxed);
  }

  expiry expiry_of(const slot<T>& s, time_point t) const noexcept {
    const time_point since_return =
        std::max(s.returned_at(), time_point(duration(limits_since_.load(std::memory_order_relaxed))));
    return check_expiry(s.created_at(), since_return, t, max_idle_time(),
                        max_age() > duration::zero() ? age_limit(s) : duration::zero());
  }
  // Within config.max_retirements_per_second? (max_age retirements only.)
  bool retirement_allowed(time_point t) {
    if (budget_.rate <= 0) return true;
    std::lock_guard lk(mu_);
    return budget_.take(t);
  }

  // Unlocked, slot owned. Why it cannot be leased (expired, ping failed),
  // or nothing when it can.
  std::optional<close_reason> check_usable(slot<T>& s, const context& ctx, counter_shard& sh) {
    if (has_limits()) {
      const time_point t = now();
      const expiry x = expiry_of(s, t);
      if (x == expiry::idle_time) {
        bump(sh.idle_closed);
        return close_reason::idle_time;
      }
      if (x == expiry::max_age && retirement_allowed(t)) {
        bump(sh.age_closed);
        return close_reason::max_age;
      }
    }
    if (cfg_.ping && !run_ping(*s.conn, ctx, sh)) {
      bump(sh.ping_failures);
      return close_reason::ping_failed;
    }
    return std::nullopt;
  }

  // Under the lock: create in a free slot, or queue until a connection or
  // capacity is handed over, the pool closes or the context ends. (acquire()
  // has just found no idle slot to claim.)
  slot<T>* acquire_slow(thread_entry& te, const context& ctx, errc& ec, std::exception_ptr& failure) {
    counter_shard& sh = *te.shard;
    waiter w;
    std::optional<std::stop_callback<stop_waiter>> on_stop;
    if (ctx.stop_token().stop_possible()) on_stop.emplace(ctx.stop_token(), stop_waiter{this, &w});
    std::unique_lock lk(mu_); // declared after on_stop: unlocked before on_stop is destroyed
    if (closed_.load(std::memory_order_relaxed)) return fail(ec, errc::pool_closed);
    if (errc e = ctx.ended(); e != errc{}) return end_get(sh, e, ec);
    if (w.cancelled) return end_get(sh, errc::cancelled, ec);
    if (waiting_.load(std::memory_order_relaxed) == 0 && open_ < max_size_.load(std::memory_order_relaxed) &&
        dial_slot_free_locked()) {
      if (breaker_.may_dial(now()) == breaker::verdict::reject) return reject_locked(sh, ec, failure);
      if (!cfg_.background_dials) {
        ++open_;
        ++dialing_;
        return create(lk, ctx, ec, failure, sh);
      }
      start_dial_locked(); // and queue for whichever connection comes first
    }
    bump(sh.waits);
    enqueue_locked(w); // may hand us a slot published just before the flags went up
    if (cfg_.background_dials && waiting_.load(std::memory_order_relaxed) > bg_dialing_) serve_waiters_locked();
    if (ctx.deadline())
      w.cv.wait_until(lk, *ctx.deadline(), [&w] { return w.ready(); });
    else
      w.cv.wait(lk, [&w] { return w.ready(); });
    if (w.handed) {
      bump(w.handed->uses.load(std::memory_order_relaxed) == 0 ? sh.misses : sh.hits); // fresh from a dial: a miss
      return w.handed;
    }
    if (w.granted) {
      // Pass the capacity on rather than dial for nobody or for a closed pool.
      if (closed_.load(std::memory_order_relaxed)) {
        drop_grant_locked();
        return fail(ec, errc::pool_closed);
      }
      if (errc e = ctx.ended(); e != errc{} || w.cancelled) {
        drop_grant_locked();
        return end_get(sh, e != errc{} ? e : errc::cancelled, ec);
      }
      return create(lk, ctx, ec, failure, sh);
    }
    if (w.error != errc{}) {
      if (w.error == errc::circuit_open) bump(sh.circuit_rejects);
      failure = w.failure;
      return fail(ec, w.error);
    }
    if (w.closed) return fail(ec, errc::pool_closed);
    unlink_locked(w); // the context ended first
    const errc e = ctx.ended();
    return end_get(sh, w.cancelled ? errc::cancelled : e != errc{} ? e : errc::get_timeout, ec);
  }

  // Caller holds the lock: the breaker is open, fail fast with its error.
  slot<T>* reject_locked(counter_shard& sh, errc& ec, std::exception_ptr& failure) {
    bump(sh.circuit_rejects);
    failure = last_failure_;
    return fail(ec, errc::circuit_open);
  }

  // Caller holds the lock and a unit of capacity and a dial (counted in
  // open_ and dialing_); calls the factory unlocked.
  slot<T>* create(std::unique_lock<std::mutex>& lk, const context& ctx, errc& ec, std::exception_ptr& failure,
                  counter_shard& sh) {
    slot<T>& s = reserve_slot_locked();
    if (!dial_and_account(lk, s, ctx, sh, failure)) return fail(ec, errc::factory_failed);
    if (closed_.load(std::memory_order_acquire)) {
      retire(s, sh, close_reason::pool_closed);
      return fail(ec, errc::pool_closed);
    }
    set_kind(s, leased_slot); // the flags may have changed meanwhile: keep them
    lease_out();
    bump(sh.misses);
    return &s;
  }

  // Caller holds the lock: an EMPTY slot, now RESERVED for a dial.
  slot<T>& reserve_slot_locked() {
    const std::uint32_t idx = free_.back();
    free_.pop_back();
    if (idx >= high_water_.load(std::memory_order_relaxed)) high_water_.store(idx + 1, std::memory_order_release);
    slot<T>& s = slots_[idx];
    s.state.store(reserved_slot | flags_locked(), std::memory_order_relaxed);
    return s;
  }

  // Unlocked, slot RESERVED by the caller: runs the factory. On success the
  // connection is in the slot, stamped and counted.
  bool dial(slot<T>& s, const context& ctx, counter_shard& sh, std::exception_ptr& failure, duration& took) {
    const std::int64_t t0 = steady_ns();
    try {
      s.conn.emplace(cfg_.factory(ctx));
    } catch (...) {
      failure = std::current_exception();
    }
    took = since(t0);
    sh.create.record(took);
    if (!s.conn) {
      bump(sh.factory_failures);
      notify(sh, [&](observer& o) { o.on_create_failed(failure, took); });
      return false;
    }
    const std::uint64_t id = next_id_.fetch_add(1, std::memory_order_relaxed) + 1;
    s.id.store(id, std::memory_order_relaxed);
    s.uses.store(0, std::memory_order_relaxed);
    s.age_cut.store(age_cut(cfg_.max_age_jitter, uniform01()).count(), std::memory_order_relaxed);
    const auto t = now().time_since_epoch().count();
    s.created.store(t, std::memory_order_relaxed);
    s.returned.store(t, std::memory_order_relaxed);
    return true;
  }
  // `lk` held, with a unit of capacity and a dial (open_, dialing_) for the
  // RESERVED slot `s`: runs the factory unlocked, settles the books under
  // the lock (`also` is the caller's own count of such dials, if any; a
  // failure goes to the first waiter when `tell_waiter`), then tells the
  // observer. Returns with `lk` unlocked; true when `s` holds a connection.
  bool dial_and_account(std::unique_lock<std::mutex>& lk, slot<T>& s, const context& ctx, counter_shard& sh,
                        std::exception_ptr& failure, std::size_t* also = nullptr, bool tell_waiter = false) {
    lk.unlock();
    duration took{};
    const bool ok = dial(s, ctx, sh, failure, took);
    lk.lock();
    if (also) --*also;
    if (ok) {
      dial_succeeded_locked(sh);
    } else {
      if (tell_waiter) fail_first_waiter_locked(errc::factory_failed, failure); // as if it had dialed itself
      dial_failed_locked(s, failure, sh);
    }
    lk.unlock();
    if (ok) notify(sh, [&](observer& o) { o.on_created(s.id.load(std::memory_order_relaxed), took); });
    report_breaker(sh);
    return ok;
  }

  // Caller holds the lock; a dial ended. `created` moves with `creating` (one
  // lock) so stats() always balances created - closed == open - creating.
  void dial_succeeded_locked(counter_shard& sh) {
    bump(sh.created);
    --dialing_;
    dial_cv_.notify_all();
    if (breaker_.on_success() && cfg_.observer) breaker_events_.push_back({false, nullptr, {}});
    serve_waiters_locked();
  }
  void dial_failed_locked(slot<T>& s, std::exception_ptr failure, counter_shard&) {
    --dialing_;
    dial_cv_.notify_all();
    last_failure_ = failure;
    if (const time_point t = now(); breaker_.on_failure(t, uniform01())) {
      ++circuit_opens_;
      if (cfg_.observer) breaker_events_.push_back({true, failure, breaker_.retry_at - t});
    }
    empty_locked(s);
    free_.push_back(s.index);
    free_capacity_locked();
  }
  // Unlocked: tell the observer what the breaker did, in order, since the
  // last report (every thread that changes it reports afterwards).
  void report_breaker(counter_shard& sh) {
    if (!cfg_.observer) return;
    std::vector<breaker_event> events;
    {
      std::lock_guard lk(mu_);
      events.swap(breaker_events_);
    }
    for (const breaker_event& e : events)
      notify(sh, [&](observer& o) { e.opened ? o.on_circuit_open(e.why, e.retry_in) : o.on_circuit_closed(); });
  }

  bool dial_slot_free_locked() const noexcept { return cfg_.max_connecting == 0 || dialing_ < cfg_.max_connecting; }

  // Caller holds the lock and capacity is free: a dial on a pool thread
  // (config.background_dials), serving the first waiter when it ends.
  void start_dial_locked() {
    ++open_;
    ++dialing_;
    ++bg_dialing_;
    ++holds_;
    slot<T>& s = reserve_slot_locked();
    counter_shard* sh = borrow_shard_locked();
    try {
      std::thread([this, &s, sh] { background_dial(s, *sh); }).detach();
    } catch (...) { // no thread: as if the dial failed at once
      --bg_dialing_;
      --holds_;
      return_shard_locked(sh);
      fail_first_waiter_locked(errc::factory_failed, std::current_exception());
      dial_failed_locked(s, std::current_exception(), *sh);
    }
  }
  void background_dial(slot<T>& s, counter_shard& sh) {
    const context ctx =
        cfg_.dial_timeout > duration::zero() ? context::with_timeout(cfg_.dial_timeout) : context::background();
    std::exception_ptr failure;
    std::unique_lock lk(mu_);
    // All of it while still counted in holds_: the core stays.
    if (dial_and_account(lk, s, ctx, sh, failure, &bg_dialing_, /*tell_waiter=*/true)) place_new(s, sh);
    lk.lock();
    return_shard_locked(&sh);
    --holds_;
    notify_if_drained_locked();
    const bool last = orphaned_ && open_ == 0 && holds_ == 0;
    lk.unlock();
    if (last) delete this; // touch nothing after: the pool may be gone
  }

  // Unlocked, slot RESERVED with a new connection nobody asked for yet: to
  // the first waiter, else idle, else closed.
  void place_new(slot<T>& s, counter_shard& sh) {
    if (cfg_.order == idle_order::fifo) s.idle_seq.store(next_idle_seq(), std::memory_order_relaxed);
    if (closed_.load(std::memory_order_acquire)) {
      retire(s, sh, close_reason::pool_closed);
      return;
    }
    publish(s, sh, reserved_slot, nullptr);
  }

  // Creates one idle connection in the caller's thread when fewer than
  // `target` are idle (or being created for that).
  fill_result fill_one(std::size_t target, const context& ctx, counter_shard& sh, std::exception_ptr& failure) {
    std::unique_lock lk(mu_);
    if (track_idle_) target = std::min(target, max_idle_.load(std::memory_order_relaxed)); // more would overflow
    if (target == 0) return fill_result::enough;
    if (closed_.load(std::memory_order_relaxed)) return fill_result::no_room;
    if (count_idle() + filling_ >= target) return fill_result::enough;
    if (open_ >= max_size_.load(std::memory_order_relaxed)) return fill_result::no_room;
    if (!dial_slot_free_locked()) return fill_result::busy;
    if (breaker_.may_dial(now()) == breaker::verdict::reject) return fill_result::rejected;
    ++open_;
    ++dialing_;
    ++filling_;
    slot<T>& s = reserve_slot_locked();
    if (!dial_and_account(lk, s, ctx, sh, failure, &filling_)) return fill_result::failed;
    place_new(s, sh);
    return fill_result::created;
  }

  // Unlocked, slot owned. Hands it to the first waiter, if any.
  bool hand_to_waiter(slot<T>& s, thread_entry* te) {
    std::lock_guard lk(mu_);
    if (!head_ || closed_.load(std::memory_order_relaxed)) return false;
    hand_over_locked(s);
    if (te) te->hint = s.index;
    return true;
  }

  // Caller holds the lock and owns `s`; the first waiter gets it.
  void hand_over_locked(slot<T>& s) {
    set_kind_locked(s, leased_slot);
    waiter* w = head_;
    unlink_locked(*w);
    lease_out();
    w->handed = &s;
    w->cv.notify_one();
  }

  // Unlocked, slot owned: close its connection, free the slot. The last
  // retirement in an orphaned core deletes it: callers touch nothing after.
  void retire(slot<T>& s, counter_shard& sh, close_reason why) {
    const std::uint64_t id = s.id.load(std::memory_order_relaxed);
    close_conn(s, sh);
    std::unique_lock lk(mu_);
    bump(sh.closed); // with the slot's release: stats() sees both or neither
    bump(sh.closed_by[static_cast<std::size_t>(why)]);
    empty_locked(s);
    free_.push_back(s.index);
    free_capacity_locked();
    if (cfg_.observer) { // told unlocked (it may call stats()), holding the core
      ++holds_;
      lk.unlock();
      notify(sh, [&](observer& o) { o.on_closed(id, why); });
      lk.lock();
      --holds_;
      notify_if_drained_locked();
    }
    if (orphaned_ && open_ == 0 && holds_ == 0) {
      lk.unlock();
      delete this;
    }
  }
  void retire_all(const std::vector<slot<T>*>& owned, close_reason why) {
    if (owned.empty()) return;
    counter_shard& sh = *me().shard;
    for (slot<T>* s : owned)
      retire(*s, sh, why);
  }

  // Caller holds the lock. Claims up to `n` idle slots (lowest first) into
  // `out` for the caller to retire, flagged with `why`; returns how many.
  std::size_t claim_idle_locked(std::size_t n, close_reason why, std::vector<slot<T>*>& out) {
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
  // Caller holds the lock. Up to `n` connections retire: idle ones are
  // claimed into `idle` (the caller retires them), the others are flagged to
  // retire when they come back. Returns how many.
  std::size_t mark_excess_locked(std::size_t n, close_reason why, std::vector<slot<T>*>& idle) {
    std::size_t done = claim_idle_locked(n, why, idle);
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
        set_kind_locked(s, busy_slot);
        idle.push_back(&s);
      }
    }
    return done;
  }

  // The flags every slot carries right now. Caller holds the lock.
  std::uint32_t flags_locked() const noexcept {
    return (waiting_.load(std::memory_order_relaxed) ? waiters_flag : 0u) |
           (closed_.load(std::memory_order_relaxed) ? closed_flag : 0u);
  }
  // An owned slot is EMPTY again: the pool's flags stay, its own go.
  static void empty_locked(slot<T>& s) noexcept {
    s.state.store((s.state.load(std::memory_order_relaxed) & flag_mask) | empty_slot, std::memory_order_release);
  }
  // Changes the kind of an owned slot, keeping its flags. Under the lock the
  // flags cannot change; outside it they may, hence the CAS loop.
  static void set_kind_locked(slot<T>& s, std::uint32_t kind) noexcept {
    s.state.store((s.state.load(std::memory_order_relaxed) & (flag_mask | retire_flag)) | kind,
                  std::memory_order_release);
  }
  static void set_kind(slot<T>& s, std::uint32_t kind) noexcept {
    std::uint32_t cur = s.state.load(std::memory_order_relaxed);
    while (!s.state.compare_exchange_weak(cur, (cur & (flag_mask | retire_flag)) | kind, std::memory_order_release,
                                          std::memory_order_relaxed)) {
    }
  }
  // Raises or lowers a flag on every slot in use. Caller holds the lock.
  // A slot that was IDLE with no flag (published just before) can no longer
  // be claimed by a CAS: raise_flag_locked claims the first such slot (and,
  // with `all`, every one) for the caller, who now owns it (BUSY).
  slot<T>* raise_flag_locked(std::uint32_t flag, std::vector<slot<T>*>* all = nullptr) {
    slot<T>* found = nullptr;
    const std::uint32_t n = high_water_.load(std::memory_order_relaxed);
    for (std::uint32_t i = 0; i < n; ++i) {
      const std::uint32_t old = slots_[i].state.fetch_or(flag, std::memory_order_acq_rel);
      if (old != idle_slot || (found && !all)) continue;
      found = &slots_[i];
      if (track_idle_) idle_count_.fetch_sub(1, std::memory_order_relaxed);
      set_kind_locked(*found, busy_slot);
      if (all) all->push_back(found);
    }
    return found;
  }
  void lower_flag_locked(std::uint32_t flag) noexcept {
    const std::uint32_t n = high_water_.load(std::memory_order_relaxed);
    for (std::uint32_t i = 0; i < n; ++i)
      slots_[i].state.fetch_and(~flag, std::memory_order_acq_rel);
  }

  // Caller holds the lock. A unit of capacity was freed: released, then
  // offered to the waiters.
  void free_capacity_locked() {
    --open_;
    if (closed_.load(std::memory_order_relaxed)) {
      if (open_ == 0) drained_cv_.notify_all();
      return;
    }
    serve_waiters_locked();
    if (min_idle_.load(std::memory_order_relaxed) > 0) kick_locked();
  }
  void fail_first_waiter_locked(errc e, std::exception_ptr failure) noexcept {
    waiter* w = head_;
    if (!w) return;
    unlink_locked(*w);
    w->error = e;
    w->failure = std::move(failure);
    w->cv.notify_one();
  }
  // close() waits for no connection and no thread using the core.
  void notify_if_drained_locked() {
    if (closed_.load(std::memory_order_relaxed) && open_ == 0 && holds_ == 0) drained_cv_.notify_all();
  }
  // A granted waiter gives its capacity (and dial) back.
  void drop_grant_locked() {
    --dialing_;
    dial_cv_.notify_all();
    breaker_.on_abandoned();
    free_capacity_locked();
  }

  // Caller holds the lock. While there is room for a new connection and a
  // dial, the first waiters get one: capacity to dial themselves, or a
  // background dial started for them — or, with the breaker open, a fast
  // failure (there is room, so nothing else is coming for them).
  void serve_waiters_locked() {
    while (head_ && room_for_waiter({.closed = closed_.load(std::memory_order_relaxed),
                                     .waiting = waiting_.load(std::memory_order_relaxed),
                                     .covered = cfg_.background_dials ? bg_dialing_ : 0,
                                     .open = open_,
                                     .max_size = max_size_.load(std::memory_order_relaxed),
                                     .dialing = dialing_,
                                     .max_connecting = cfg_.max_connecting})) {
      if (breaker_.may_dial(now()) == breaker::verdict::reject) {
        fail_first_waiter_locked(errc::circuit_open, last_failure_);
        continue;
      }
      if (cfg_.background_dials) {
        start_dial_locked();
        continue;
      }
      waiter* w = head_;
      unlink_locked(*w);
      ++open_;
      ++dialing_;
      w->granted = true;
      w->cv.notify_one();
    }
  }

  void shut_down(counter_shard& sh) {
    std::vector<slot<T>*> idle;
    {
      std::lock_guard lk(mu_);
      while (waiter* w = head_) {
        unlink_locked(*w);
        w->closed = true;
        w->cv.notify_one();
      }
      raise_flag_locked(closed_flag, &idle); // from now on every put settles under the lock
      // Published after the flags: a thread that sees closed() (unlocked,
      // acquire) and then puts finds its slot flagged, so its put reports
      // pool_closed, as closed() promised.
      closed_.store(true, std::memory_order_release);
      dial_cv_.notify_all();
    }
    for (slot<T>* s : idle)
      retire(*s, sh, close_reason::pool_closed);
    std::lock_guard lk(mu_);
    if (open_ == 0) drained_cv_.notify_all();
  }

  bool health_check_due(time_point t) {
    const duration every(health_check_interval_.load(std::memory_order_relaxed));
    if (!cfg_.ping || every <= duration::zero()) return false;
    std::lock_guard lk(mu_);
    if (t < next_health_check_) return false;
    next_health_check_ = t + every;
    return true;
  }

  // ---- per lease (config.leak_threshold, track_hold_time, observer) -------

  // Unlocked, slot just leased by this thread via acquire().
  void leased(slot<T>& s, counter_shard& sh, std::int64_t t0, const std::source_location& where) {
    bump(s.uses);
    const std::int64_t t = steady_ns();
    sh.wait.record(std::chrono::nanoseconds(t - t0));
    if (per_lease_) lease_hooks(s, sh, t, std::chrono::nanoseconds(t - t0), where);
  }
  // Unlocked, slot just leased by this thread: stamps for hold time and leak
  // detection, and the observer's on_acquired.
  void lease_hooks(slot<T>& s, counter_shard& sh, std::int64_t t, duration waited, const std::source_location& where) {
    s.leased_ns.store(t, std::memory_order_relaxed);
    if (cfg_.leak_threshold > duration::zero()) {
      s.leased_at.store(now().time_since_epoch().count(), std::memory_order_relaxed);
      s.where.store(where, std::memory_order_relaxed);
      s.lease_no.store(s.lease_no.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
    notify(sh, [&](observer& o) { o.on_acquired(s.id.load(std::memory_order_relaxed), waited); });
  }
  // Unlocked, slot still owned by the returning thread.
  void returning(slot<T>& s, counter_shard& sh) {
    if (!per_lease_) return;
    const duration held = since(s.leased_ns.load(std::memory_order_relaxed));
    sh.hold.record(held);
    const std::uint64_t id = s.id.load(std::memory_order_relaxed);
    if (cfg_.leak_threshold > duration::zero() &&
        s.leak_reported.exchange(0, std::memory_order_acq_rel) == s.lease_no.load(std::memory_order_relaxed)) {
      const leak_report r{id, s.where.load(std::memory_order_relaxed),
                          now() - time_point(duration(s.leased_at.load(std::memory_order_relaxed))), true};
      notify(sh, [&](observer& o) { o.on_leak(r); });
    }
    notify(sh, [&](observer& o) { o.on_returned(id, held); });
  }
  // Maintenance: leases held past the threshold, each reported once.
  std::size_t report_leaks(time_point t, std::uint32_t n, counter_shard& sh) {
    std::size_t found = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
      slot<T>& s = slots_[i];
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
      notify(sh, [&](observer& o) { o.on_leak(r); });
    }
    return found;
  }

  // Calls the observer, if any; a throwing callback is counted.
  template <class F> void notify(counter_shard& sh, F&& f) noexcept {
    if (!cfg_.observer) return;
    try {
      f(*cfg_.observer);
    } catch (...) {
      bump(sh.observer_errors);
    }
  }

  void lease_out() noexcept {
    const std::uint64_t now_active = active_.fetch_add(1, std::memory_order_relaxed) + 1;
    std::uint64_t peak = max_active_.load(std::memory_order_relaxed);
    while (now_active > peak && !max_active_.compare_exchange_weak(peak, now_active, std::memory_order_relaxed)) {
    }
  }

  std::size_t count_idle() const noexcept {
    const std::uint32_t n = high_water_.load(std::memory_order_acquire);
    std::size_t idle = 0;
    for (std::uint32_t i = 0; i < n; ++i)
      idle += (slots_[i].state.load(std::memory_order_relaxed) & kind_mask) == idle_slot;
    return idle;
  }

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

  void enqueue_locked(waiter& w) noexcept {
    w.prev = tail_;
    w.next = nullptr;
    (tail_ ? tail_->next : head_) = &w;
    tail_ = &w;
    if (waiting_.fetch_add(1, std::memory_order_relaxed) == 0)                // a wait episode starts:
      if (slot<T>* s = raise_flag_locked(waiters_flag)) hand_over_locked(*s); // ours, published just before
  }
  void unlink_locked(waiter& w) noexcept {
    (w.prev ? w.prev->next : head_) = w.next;
    (w.next ? w.next->prev : tail_) = w.prev;
    w.prev = w.next = nullptr;
    if (waiting_.fetch_sub(1, std::memory_order_relaxed) == 1) lower_flag_locked(waiters_flag); // episode ends
  }

  // Unlocked. A ping that throws, fails or returns after its deadline fails.
  bool run_ping(T& c, const context& ctx, counter_shard& sh) {
    const std::int64_t t0 = steady_ns();
    bool ok = false;
    try {
      ok = cfg_.ping(c, ctx) && !(ctx.deadline() && context::clock::now() >= *ctx.deadline());
    } catch (...) {
      ok = false;
    }
    sh.ping.record(since(t0));
    return ok;
  }

  // Unlocked, slot owned. Closes exactly once; a throwing close is counted,
  // not retried. Destroying the T ends it either way.
  void close_conn(slot<T>& s, counter_shard& sh) noexcept {
    if (cfg_.close) try {
        cfg_.close(*s.conn);
      } catch (...) {
        bump(sh.close_errors);
      }
    s.conn.reset();
  }

  const config<T> cfg_;
  const std::size_t capacity_; // slots allocated: max_size_limit (or max_size)
  const bool track_idle_;      // config.max_idle set: idle_count_ is kept
  const bool per_lease_;       // leak_threshold, track_hold_time or observer: every lease is stamped
  const std::uint64_t id_;     // key of this pool in each thread's cache
  const std::unique_ptr<slot<T>[]> slots_;

  // Read on every operation, written rarely: one shared, clean cache line.
  std::atomic<std::uint32_t> high_water_{0}; // slots [0, high_water_) have been used; grows under mu_
  std::atomic<std::size_t> waiting_{0};      // length of the waiter list; written under mu_
  std::atomic<bool> closed_{false};          // written under mu_
  std::atomic<std::uint8_t> fast_get_{0};    // fast_*: a claimed idle slot needs no check; written under mu_
  std::atomic<std::uint8_t> fast_put_{0};    // fast_*: a returned slot needs no stamp or check; written under mu_
  std::atomic<std::uint64_t> max_active_{0}; // peak of leases out; written when a new peak is reached
  // Settings that set_* may change (written under mu_, read anywhere).
  std::atomic<std::size_t> max_size_{0}, max_idle_{0}, min_idle_{0};
  std::atomic<duration::rep> max_idle_time_{0}, max_age_{0}, health_check_interval_{0};
  std::atomic<duration::rep> limits_since_{0}; // idle time counts from here at the earliest

  // Written on every operation: each on its own line, away from the above.
  alignas(64) std::atomic<std::uint64_t> active_{0};   // leases out
  alignas(64) std::atomic<std::size_t> idle_count_{0}; // IDLE slots, kept only when track_idle_
  alignas(64) std::atomic<std::uint64_t> idle_seq_{0}; // idle_order::fifo: the order connections went idle
  std::atomic<std::uint64_t> next_id_{0};              // connection ids

  alignas(64) mutable std::mutex mu_;
  std::condition_variable_any drained_cv_; // close() waits here for open_ == 0
  std::condition_variable_any maint_cv_;   // the maintenance thread sleeps here
  std::condition_variable_any dial_cv_;    // warm_up waits here for a dial slot (max_connecting)
  std::vector<std::uint32_t> free_;        // guarded by mu_; EMPTY slot indices
  std::size_t open_ = 0;                   // guarded by mu_; non-EMPTY slots plus granted capacity
  std::size_t dialing_ = 0;                // guarded by mu_; factory calls running or granted
  std::size_t bg_dialing_ = 0;             // guarded by mu_; of which background dials
  std::size_t filling_ = 0;                // guarded by mu_; of which min_idle/warm_up dials
  std::size_t holds_ = 0;                  // guarded by mu_; threads using the core without a slot (background
                                           // dials, a close being told to the observer): it outlives them
  waiter* head_ = nullptr;                 // guarded by mu_; first waiter (served first)
  waiter* tail_ = nullptr;                 // guarded by mu_
  bool orphaned_ = false;                  // guarded by mu_; the pool is gone, leases are out
  bool kicked_ = false;                    // guarded by mu_; wake the maintenance thread early
  time_point next_health_check_;           // guarded by mu_
  breaker breaker_;                        // guarded by mu_
  retirement_budget budget_;               // guarded by mu_
  std::exception_ptr last_failure_;        // guarded by mu_; the last factory failure
  std::uint64_t circuit_opens_ = 0;        // guarded by mu_
  struct breaker_event {
    bool opened;
    std::exception_ptr why;
    duration retry_in;
  };
  std::vector<breaker_event> breaker_events_; // guarded by mu_; not yet told to the observer
  counter_shard* shards_ = nullptr;           // guarded by mu_; one per thread that used the pool
  std::vector<counter_shard*> spare_shards_;  // guarded by mu_; shards of background dials, free to lend
  std::size_t lent_shards_ = 0;               // guarded by mu_; how many such shards exist
};

} // namespace connpool::detail
