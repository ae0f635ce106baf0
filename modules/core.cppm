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
// Lifetime: leases hold a raw core pointer. The pool's destructor closes the
// core and deletes it when no slot is in use; otherwise it marks the core
// *orphaned* and the retirement of the last slot deletes it. A put touches
// nothing of the core (not even the slot) after its publishing CAS, so a
// lease may be returned
// while, or after, its pool is destroyed. Every connection the factory made
// is closed exactly once, by whoever owns its slot when it is retired,
// outside any lock.
module;
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <utility>
#include <vector>
export module connpool:core;
import :errors;
import :context;
import :clock;
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
};

} // namespace connpool

export namespace connpool::detail {

enum slot_state : std::uint32_t { empty_slot, reserved_slot, idle_slot, leased_slot, busy_slot };
inline constexpr std::uint32_t kind_mask = 0xff;
inline constexpr std::uint32_t waiters_flag = 1u << 8; // someone queues: puts hand over, gets queue
inline constexpr std::uint32_t closed_flag = 1u << 9;  // the pool is closed: puts close
inline constexpr std::uint32_t flag_mask = waiters_flag | closed_flag;

template <class T> struct alignas(64) slot {
  std::atomic<std::uint32_t> state{empty_slot};
  std::uint32_t index = 0;
  std::atomic<duration::rep> created{0};  // pool clock; written by the owner, read by maintenance
  std::atomic<duration::rep> returned{0}; // last time it went idle
  std::optional<T> conn;                  // touched only by the slot's owner

  time_point created_at() const noexcept { return time_point(duration(created.load(std::memory_order_relaxed))); }
  time_point returned_at() const noexcept { return time_point(duration(returned.load(std::memory_order_relaxed))); }
};

/// Waits until `pred()` holds or `ctx` ends; returns pred().
template <class Pred> bool wait_for_context(std::condition_variable_any& cv, std::unique_lock<std::mutex>& lk,
                                            const context& ctx, Pred pred) {
  if (ctx.deadline()) return cv.wait_until(lk, ctx.stop_token(), *ctx.deadline(), pred);
  return cv.wait(lk, ctx.stop_token(), pred);
}

template <class T> class core {
public:
  explicit core(config<T> cfg)
      : cfg_(std::move(cfg)), max_idle_(cfg_.max_idle.value_or(cfg_.max_size)), track_idle_(max_idle_ < cfg_.max_size),
        check_limits_(cfg_.max_idle_time > duration::zero() || cfg_.max_age > duration::zero()),
        plain_get_(!check_limits_ && !cfg_.ping && !track_idle_), plain_put_(!check_limits_ && !track_idle_),
        id_(thread_cache::new_pool_id()), slots_(new slot<T>[cfg_.max_size]) {
    free_.reserve(cfg_.max_size);
    for (std::size_t i = cfg_.max_size; i-- > 0;) {
      slots_[i].index = static_cast<std::uint32_t>(i);
      free_.push_back(static_cast<std::uint32_t>(i)); // lowest index on top: keeps scans short
    }
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
  /// waiters, not closed). Null when it does not apply: call acquire().
  [[gnu::always_inline]] slot<T>* try_acquire_fast(const context& ctx) noexcept {
    return ctx.ended() == errc{} ? try_acquire_fast() : nullptr;
  }
  [[gnu::always_inline]] slot<T>* try_acquire_fast() noexcept {
    if (thread_entry* te = thread_cache::find(id_); te && plain_get_) {
      slot<T>& s = slots_[te->hint];
      std::uint32_t expected = idle_slot;
      // The hint is always a valid index; an unused slot is EMPTY, not IDLE;
      // a flag (waiters, closed) makes the exact CAS fail.
      if (s.state.compare_exchange_strong(expected, leased_slot, std::memory_order_acquire,
                                          std::memory_order_relaxed)) {
        lease_out();
        bump(te->shard->gets);
        bump(te->shard->hits);
        return &s;
      }
    }
    return nullptr;
  }

  /// get(): a leased slot for the caller, or null with `ec` set (and, when
  /// the factory threw, its exception in `failure`). Errors are bare errc:
  /// building a std::error_code costs a library call.
  [[gnu::noinline]] slot<T>* acquire(const context& ctx, errc& ec, std::exception_ptr& failure) {
    thread_entry& te = me();
    counter_shard& sh = *te.shard;
    bump(sh.gets);
    if (closed_.load(std::memory_order_acquire)) return fail(ec, errc::pool_closed); // before the context
    if (errc e = ctx.ended(); e != errc{}) return end_get(sh, e, ec);
    if (waiting_.load(std::memory_order_relaxed) == 0)
      if (slot<T>* s = take_idle(te, ctx, sh)) return s;
    return acquire_slow(te, ctx, ec, failure);
  }
  // ---- put / discard ------------------------------------------------------

  /// put() and a lease's destructor: `pool_closed` when the pool was closed
  /// (the connection is closed then). May delete an orphaned core.
  [[gnu::always_inline]] errc give_back(slot<T>& s) {
    // The fast path, inline: nothing to stamp or check; publish it idle.
    if (thread_entry* te = thread_cache::find(id_); te && plain_put_) {
      bump(te->shard->puts);
      active_.fetch_sub(1, std::memory_order_relaxed);
      const std::uint32_t index = s.index; // read before publishing: the core may be gone after
      std::uint32_t expected = leased_slot;
      if (s.state.compare_exchange_strong(expected, idle_slot, std::memory_order_release, std::memory_order_relaxed)) {
        te->hint = index; // thread-local
        return errc{};
      }
      return settle(s, *te->shard, te);
    }
    return put_slot(s);
  }

  /// discard(): close it and give its slot to the first waiter. May delete
  /// an orphaned core.
  void discard(slot<T>& s) {
    counter_shard& sh = *me().shard;
    bump(sh.discards);
    active_.fetch_sub(1, std::memory_order_relaxed);
    retire(s, sh);
  }

private:
  [[gnu::noinline]] errc put_slot(slot<T>& s) {
    thread_entry& te = me();
    counter_shard& sh = *te.shard;
    bump(sh.puts);
    active_.fetch_sub(1, std::memory_order_relaxed);
    if (closed_.load(std::memory_order_acquire)) {
      retire(s, sh);
      return errc::pool_closed;
    }
    if (cfg_.max_idle_time > duration::zero())
      s.returned.store(now().time_since_epoch().count(), std::memory_order_relaxed);
    if (cfg_.max_age > duration::zero() && now() - s.created_at() >= cfg_.max_age) {
      bump(sh.age_closed);
      retire(s, sh);
      return errc{};
    }
    return publish(s, sh, leased_slot, &te);
  }

  // Unlocked, slot owned in state `from` (LEASED or BUSY): idle again, or to
  // the first waiter, or closed (idle full, pool closed). `te` (the
  // returning thread's entry, if any) remembers the slot as its hint.
  errc publish(slot<T>& s, counter_shard& sh, std::uint32_t from, thread_entry* te) {
    if (!reserve_idle()) { // idle is full (max_idle): a waiter still comes first
      if (hand_to_waiter(s, te)) return errc{};
      retire(s, sh);
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
  // close it (pool closed), hand it to the first waiter, or — the flag was
  // cleared meanwhile — publish it after all.
  errc settle(slot<T>& s, counter_shard& sh, thread_entry* te) {
    std::unique_lock lk(mu_);
    const std::uint32_t st = s.state.load(std::memory_order_relaxed); // flags only change under mu_
    if (st & closed_flag) {
      lk.unlock();
      retire(s, sh); // may delete an orphaned core: touch nothing after
      return errc::pool_closed;
    }
    if (head_) {
      hand_over_locked(s);
      if (te) te->hint = s.index;
      return errc{};
    }
    if (!reserve_idle()) {
      lk.unlock();
      retire(s, sh);
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
    if (wait_for_context(drained_cv_, lk, ctx, [this] { return open_ == 0; })) return errc{};
    bump(sh.close_timeouts);
    return errc::close_timeout;
  }

  /// The pool's destructor: closes without waiting, then deletes this core
  /// now, or when the last lease comes back.
  void abandon() {
    shut_down(*me().shard);
    std::unique_lock lk(mu_);
    if (open_ != 0) {
      orphaned_ = true; // the last retire deletes it
      return;
    }
    lk.unlock();
    delete this;
  }

  // ---- maintenance ----------------------------------------------------------

  /// One pass: close idle connections past their limits, then, when due,
  /// health-check idle ones one at a time (claimed while pinged, so never
  /// handed out meanwhile; no lock held while pinging).
  maintenance_report maintain(const context& ctx) {
    maintenance_report r;
    counter_shard& sh = *me().shard;
    if (closed_.load(std::memory_order_acquire)) return r;
    const time_point t = now();
    const std::uint32_t n = high_water_.load(std::memory_order_acquire);
    if (check_limits_) {
      for (std::uint32_t i = 0; i < n; ++i) {
        slot<T>& s = slots_[i];
        if (s.state.load(std::memory_order_relaxed) != idle_slot || expiry_of(s, t) == expiry::fresh) continue;
        if (!try_claim(s, busy_slot)) continue;
        const expiry x = expiry_of(s, t); // re-read now that we own it
        if (x == expiry::fresh) {
          publish(s, sh, busy_slot, nullptr);
          continue;
        }
        (x == expiry::max_age ? r.age_closed : r.idle_closed)++;
        bump(x == expiry::max_age ? sh.age_closed : sh.idle_closed);
        retire(s, sh);
      }
    }
    if (!health_check_due(t)) return r;
    for (std::uint32_t i = 0; i < n && !ctx.done(); ++i) {
      slot<T>& s = slots_[i];
      if (s.state.load(std::memory_order_relaxed) != idle_slot || !try_claim(s, busy_slot)) continue;
      const context pctx =
          (cfg_.health_check_timeout > duration::zero() ? context::with_timeout(cfg_.health_check_timeout)
                                                        : context::background())
              .with_stop_token(ctx.stop_token());
      ++r.pinged;
      if (run_ping(*s.conn, pctx)) {
        publish(s, sh, busy_slot, nullptr);
        continue;
      }
      ++r.ping_failures;
      bump(sh.ping_failures);
      retire(s, sh);
    }
    return r;
  }

  // ---- observers ------------------------------------------------------------

  metrics stats() const {
    std::lock_guard lk(mu_);
    metrics m;
    for (const counter_shard* s = shards_; s; s = s->next)
      s->add_to(m);
    m.max_active = max_active_.load(std::memory_order_relaxed);
    m.open = open_;
    m.idle = count_idle();
    m.active = active_.load(std::memory_order_relaxed);
    m.waiting = waiting_.load(std::memory_order_relaxed);
    return m;
  }
  std::size_t open() const {
    std::lock_guard lk(mu_);
    return open_;
  }
  std::size_t idle() const { return count_idle(); }
  bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }

private:
  struct waiter {
    std::condition_variable cv;
    slot<T>* handed = nullptr; // a connection handed over (already leased out)
    bool granted = false;      // a free slot to create a connection in
    bool closed = false;       // the pool closed
    bool cancelled = false;    // the context's stop token fired (sticky)
    waiter* prev = nullptr;
    waiter* next = nullptr;
    bool ready() const noexcept { return handed || granted || closed || cancelled; }
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

  // Unlocked. Claims idle slots (hint first) until one passes its checks;
  // retires the stale and broken ones met on the way.
  slot<T>* take_idle(thread_entry& te, const context& ctx, counter_shard& sh) {
    while (slot<T>* s = claim_idle(te)) {
      if (usable(*s, ctx, sh) && !closed_.load(std::memory_order_acquire)) {
        lease_out();
        bump(sh.hits);
        return s;
      }
      retire(*s, sh);
    }
    return nullptr;
  }

  // Unlocked. CAS one IDLE slot to LEASED: this thread's hint, else a scan.
  slot<T>* claim_idle(thread_entry& te) {
    const std::uint32_t n = high_water_.load(std::memory_order_acquire);
    if (te.pool_id == id_ && te.hint < n && try_claim(slots_[te.hint], leased_slot)) return &slots_[te.hint];
    for (std::uint32_t i = 0; i < n; ++i)
      if (slots_[i].state.load(std::memory_order_relaxed) == idle_slot && try_claim(slots_[i], leased_slot))
        return &slots_[i];
    return nullptr;
  }

  bool try_claim(slot<T>& s, std::uint32_t to) noexcept {
    std::uint32_t expected = idle_slot;
    if (!s.state.compare_exchange_strong(expected, to, std::memory_order_seq_cst)) return false;
    if (track_idle_) idle_count_.fetch_sub(1, std::memory_order_relaxed);
    return true;
  }
  // Room for one more idle connection (only counted when max_idle < max_size).
  bool reserve_idle() noexcept {
    if (!track_idle_) return true;
    if (idle_count_.fetch_add(1, std::memory_order_relaxed) < max_idle_) return true;
    idle_count_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  void unreserve_idle() noexcept {
    if (track_idle_) idle_count_.fetch_sub(1, std::memory_order_relaxed);
  }

  expiry expiry_of(const slot<T>& s, time_point t) const noexcept {
    return check_expiry(s.created_at(), s.returned_at(), t, cfg_.max_idle_time, cfg_.max_age);
  }

  // Unlocked, slot owned. Fresh (when limits are set) and answering its ping?
  bool usable(slot<T>& s, const context& ctx, counter_shard& sh) {
    if (check_limits_) {
      const expiry x = expiry_of(s, now());
      if (x != expiry::fresh) {
        bump(x == expiry::max_age ? sh.age_closed : sh.idle_closed);
        return false;
      }
    }
    if (cfg_.ping && !run_ping(*s.conn, ctx)) {
      bump(sh.ping_failures);
      return false;
    }
    return true;
  }

  // Under the lock: create in a free slot, or queue until a connection or a
  // slot is handed over, the pool closes or the context ends. (acquire()
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
    if (waiting_.load(std::memory_order_relaxed) == 0 && open_ < cfg_.max_size) {
      ++open_;
      return create(lk, ctx, ec, failure, sh);
    }
    bump(sh.waits);
    enqueue_locked(w); // may hand us a slot published just before the flags went up
    if (ctx.deadline())
      w.cv.wait_until(lk, *ctx.deadline(), [&w] { return w.ready(); });
    else
      w.cv.wait(lk, [&w] { return w.ready(); });
    if (w.handed) {
      bump(sh.hits);
      return w.handed;
    }
    if (w.granted) {
      // Pass the slot on rather than dial for nobody or for a closed pool.
      if (closed_.load(std::memory_order_relaxed)) {
        free_capacity_locked();
        return fail(ec, errc::pool_closed);
      }
      if (errc e = ctx.ended(); e != errc{} || w.cancelled) {
        free_capacity_locked();
        return end_get(sh, e != errc{} ? e : errc::cancelled, ec);
      }
      return create(lk, ctx, ec, failure, sh);
    }
    if (w.closed) return fail(ec, errc::pool_closed);
    unlink_locked(w); // the context ended first
    const errc e = ctx.ended();
    return end_get(sh, w.cancelled ? errc::cancelled : e != errc{} ? e : errc::get_timeout, ec);
  }

  // Caller holds the lock and a unit of capacity (counted in open_); calls
  // the factory unlocked.
  slot<T>* create(std::unique_lock<std::mutex>& lk, const context& ctx, errc& ec, std::exception_ptr& failure,
                  counter_shard& sh) {
    const std::uint32_t idx = free_.back();
    free_.pop_back();
    if (idx >= high_water_.load(std::memory_order_relaxed)) high_water_.store(idx + 1, std::memory_order_release);
    slot<T>& s = slots_[idx];
    s.state.store(reserved_slot | flags_locked(), std::memory_order_relaxed);
    lk.unlock();
    try {
      s.conn.emplace(cfg_.factory(ctx));
    } catch (...) {
      failure = std::current_exception();
    }
    if (!s.conn) {
      lk.lock();
      set_kind_locked(s, empty_slot);
      free_.push_back(idx);
      bump(sh.factory_failures);
      free_capacity_locked();
      return fail(ec, errc::factory_failed);
    }
    bump(sh.created);
    const auto t = now().time_since_epoch().count();
    s.created.store(t, std::memory_order_relaxed);
    s.returned.store(t, std::memory_order_relaxed);
    if (closed_.load(std::memory_order_acquire)) {
      retire(s, sh);
      return fail(ec, errc::pool_closed);
    }
    set_kind(s, leased_slot); // the flags may have changed meanwhile: keep them
    lease_out();
    bump(sh.misses);
    return &s;
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
  void retire(slot<T>& s, counter_shard& sh) {
    close_conn(s, sh);
    std::unique_lock lk(mu_);
    bump(sh.closed);
    set_kind_locked(s, empty_slot);
    free_.push_back(s.index);
    free_capacity_locked();
    if (orphaned_ && open_ == 0) {
      lk.unlock();
      delete this;
    }
  }

  // The flags every slot carries right now. Caller holds the lock.
  std::uint32_t flags_locked() const noexcept {
    return (waiting_.load(std::memory_order_relaxed) ? waiters_flag : 0u) |
           (closed_.load(std::memory_order_relaxed) ? closed_flag : 0u);
  }
  // Changes the kind of an owned slot, keeping its flags. Under the lock the
  // flags cannot change; outside it they may, hence the CAS loop.
  static void set_kind_locked(slot<T>& s, std::uint32_t kind) noexcept {
    s.state.store((s.state.load(std::memory_order_relaxed) & flag_mask) | kind, std::memory_order_release);
  }
  static void set_kind(slot<T>& s, std::uint32_t kind) noexcept {
    std::uint32_t cur = s.state.load(std::memory_order_relaxed);
    while (!s.state.compare_exchange_weak(cur, (cur & flag_mask) | kind, std::memory_order_release,
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

  // Caller holds the lock. A unit of capacity was freed: the first waiter
  // inherits it and creates a connection, or it is released.
  void free_capacity_locked() {
    if (decide_freed_slot({.closed = closed_.load(std::memory_order_relaxed),
                           .waiting = waiting_.load(std::memory_order_relaxed)}) == slot_action::grant_to_waiter) {
      waiter* w = head_;
      unlink_locked(*w);
      w->granted = true;
      w->cv.notify_one();
      return;
    }
    --open_;
    if (closed_.load(std::memory_order_relaxed) && open_ == 0) drained_cv_.notify_all();
  }

  void shut_down(counter_shard& sh) {
    std::vector<slot<T>*> idle;
    {
      std::lock_guard lk(mu_);
      closed_.store(true, std::memory_order_relaxed);
      while (waiter* w = head_) {
        unlink_locked(*w);
        w->closed = true;
        w->cv.notify_one();
      }
      raise_flag_locked(closed_flag, &idle); // from now on every put settles under the lock
    }
    for (slot<T>* s : idle)
      retire(*s, sh);
    std::lock_guard lk(mu_);
    if (open_ == 0) drained_cv_.notify_all();
  }

  bool health_check_due(time_point t) {
    if (!cfg_.ping || cfg_.health_check_interval <= duration::zero()) return false;
    std::lock_guard lk(mu_);
    if (t < next_health_check_) return false;
    next_health_check_ = t + cfg_.health_check_interval;
    return true;
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
  bool run_ping(T& c, const context& ctx) {
    try {
      const bool ok = cfg_.ping(c, ctx);
      return ok && !(ctx.deadline() && context::clock::now() >= *ctx.deadline());
    } catch (...) {
      return false;
    }
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
  const std::size_t max_idle_;
  const bool track_idle_;   // max_idle < max_size: idle_count_ is kept
  const bool check_limits_; // max_idle_time or max_age set: gets read the clock
  const bool plain_get_;    // a claimed idle slot needs no check or idle count
  const bool plain_put_;    // a returned slot needs no stamp, check or idle count
  const std::uint64_t id_;  // key of this pool in each thread's cache
  const std::unique_ptr<slot<T>[]> slots_;

  // Read on every operation, written rarely: one shared, clean cache line.
  std::atomic<std::uint32_t> high_water_{0}; // slots [0, high_water_) have been used; grows under mu_
  std::atomic<std::size_t> waiting_{0};      // length of the waiter list; written under mu_
  std::atomic<bool> closed_{false};          // written under mu_
  std::atomic<std::uint64_t> max_active_{0}; // peak of leases out; written when a new peak is reached

  // Written on every operation: each on its own line, away from the above.
  alignas(64) std::atomic<std::uint64_t> active_{0};   // leases out
  alignas(64) std::atomic<std::size_t> idle_count_{0}; // IDLE slots, kept only when track_idle_

  alignas(64) mutable std::mutex mu_;
  std::condition_variable_any drained_cv_; // close() waits here for open_ == 0
  std::vector<std::uint32_t> free_;        // guarded by mu_; EMPTY slot indices
  std::size_t open_ = 0;                   // guarded by mu_; non-EMPTY slots plus granted capacity
  waiter* head_ = nullptr;                 // guarded by mu_; first waiter (served first)
  waiter* tail_ = nullptr;                 // guarded by mu_
  bool orphaned_ = false;                  // guarded by mu_; the pool is gone, leases are out
  time_point next_health_check_;           // guarded by mu_
  counter_shard* shards_ = nullptr;        // guarded by mu_; one per thread that used the pool
};

} // namespace connpool::detail
