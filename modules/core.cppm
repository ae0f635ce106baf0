// connpool:core — the shared state behind pool<T> and every lease<T>.
//
// Design
// ------
// One std::mutex (`mu_`) guards all bookkeeping; user callbacks (factory,
// ping, close) always run with it released. Every connection occupies a
// *slot*; `open_` counts slots: idle + leased + being created + being
// health-checked, never above max_size. A slot is taken before the factory is
// called and freed when its connection is closed or the factory fails; a
// freed slot goes to the first waiter (who then creates a connection) or back
// to the pool.
//
// Waiters queue in FIFO order on an intrusive list of stack nodes, each with
// its own condition variable, so a put wakes exactly one thread (no herd). A
// returned connection is handed to the first waiter directly; only when
// nobody waits does it go idle. Hence "idle non-empty" implies "no waiters",
// and a newcomer never overtakes a waiter. Waits end on the context's
// deadline or stop token through condition_variable_any (no polling).
//
// Lifetime: pool<T> and every lease<T> hold a shared_ptr to the core, so a
// lease that outlives its pool returns into a closed core, which closes it.
// Each connection the factory made is closed exactly once: whoever removes
// it from the books (under the lock) closes it after unlocking.
module;
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <stop_token>
#include <system_error>
#include <utility>
#include <vector>
export module connpool:core;
import :errors;
import :context;
import :clock;
import :config;
import :metrics;
import :policy;

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

template <class T> struct entry {
  T conn;
  time_point created;
  time_point returned; ///< last time it went idle
};

/// Waits until `pred()` holds or `ctx` ends; returns pred().
template <class Pred>
bool wait_for_context(std::condition_variable_any& cv, std::unique_lock<std::mutex>& lk, const context& ctx,
                      Pred pred) {
  if (ctx.deadline()) return cv.wait_until(lk, ctx.stop_token(), *ctx.deadline(), pred);
  return cv.wait(lk, ctx.stop_token(), pred);
}

template <class T> class core {
public:
  explicit core(config<T> cfg)
      : cfg_(std::move(cfg)), max_idle_(cfg_.max_idle.value_or(cfg_.max_size)), next_health_check_(now()) {
    if (cfg_.health_check_interval > duration::zero()) next_health_check_ += cfg_.health_check_interval;
  }

  const config<T>& cfg() const noexcept { return cfg_; }

  time_point now() const { return cfg_.clock ? cfg_.clock() : std::chrono::steady_clock::now(); }

  /// get(): a connection for the caller, or an error in `ec` (and, for a
  /// factory that threw, its exception in `failure`).
  std::optional<entry<T>> acquire(const context& ctx, std::error_code& ec, std::exception_ptr& failure) {
    std::unique_lock lk(mu_);
    ++m_.gets;
    bool counted_wait = false;
    for (;;) {
      switch (decide_get(view_locked())) {
      case get_action::fail_closed: ec = errc::pool_closed; return std::nullopt;
      case get_action::take_idle: {
        if (auto e = ctx.err()) return end_get_locked(e, ec);
        if (auto got = try_idle(lk, ctx)) return got;
        continue;
      }
      case get_action::create:
        if (auto e = ctx.err()) return end_get_locked(e, ec);
        ++open_;
        return create(lk, ctx, ec, failure);
      case get_action::wait: {
        if (auto e = ctx.err()) return end_get_locked(e, ec);
        if (!counted_wait) ++m_.waits;
        counted_wait = true;
        waiter w;
        enqueue_locked(w);
        wait_for_context(w.cv, lk, ctx, [&w] { return w.handed || w.granted || w.closed; });
        if (w.handed) {
          ++m_.hits;
          return std::move(w.handed);
        }
        if (!w.granted && !w.closed) { // the context ended first
          unlink_locked(w);
          return end_get_locked(ctx.err() ? ctx.err() : make_error_code(errc::get_timeout), ec);
        }
        if (w.granted) {
          if (auto e = ctx.err()) { // pass the slot on rather than dial for nobody
            free_slot_locked();
            return end_get_locked(e, ec);
          }
          return create(lk, ctx, ec, failure);
        }
        continue; // closed: the next round reports pool_closed
      }
      }
    }
  }

  /// put() and a lease's destructor. `pool_closed` when the pool was closed
  /// (the connection is closed then); success otherwise.
  std::error_code give_back(entry<T>&& e) {
    std::unique_lock lk(mu_);
    ++m_.puts;
    --active_;
    return place(lk, std::move(e));
  }

  /// discard(): close it and free its slot.
  void discard(entry<T>&& e) {
    std::unique_lock lk(mu_);
    ++m_.discards;
    --active_;
    free_slot_locked();
    ++m_.closed;
    lk.unlock();
    close_conn(e);
  }

  /// close(): refuse gets, wake waiters, close idle, wait for the rest.
  std::error_code close(const context& ctx) {
    shut_down();
    std::unique_lock lk(mu_);
    if (wait_for_context(drained_cv_, lk, ctx, [this] { return open_ == 0; })) return {};
    ++m_.close_timeouts;
    return errc::close_timeout;
  }

  /// Marks the pool closed, wakes every waiter and closes the idle
  /// connections; does not wait for leases (the pool's destructor uses it).
  void shut_down() {
    std::unique_lock lk(mu_);
    closed_ = true;
    while (waiter* w = head_) {
      unlink_locked(*w);
      w->closed = true;
      w->cv.notify_one();
    }
    std::vector<entry<T>> out;
    out.reserve(idle_.size());
    for (auto& e : idle_) out.push_back(std::move(e));
    idle_.clear();
    open_ -= out.size();
    m_.closed += out.size();
    if (open_ == 0) drained_cv_.notify_all();
    lk.unlock();
    for (auto& e : out) close_conn(e);
  }

  /// One maintenance pass: close idle connections past their limits, then,
  /// when due, health-check the idle ones (taken out of idle while pinged, so
  /// never handed out at the same time; the lock is not held while pinging).
  maintenance_report maintain(const context& ctx) {
    maintenance_report r;
    std::vector<entry<T>> doomed;
    std::vector<entry<T>> to_check;
    {
      std::lock_guard lk(mu_);
      if (closed_) return r;
      const time_point t = now();
      for (auto it = idle_.begin(); it != idle_.end();) {
        const expiry x = check_expiry(it->created, it->returned, t, cfg_.max_idle_time, cfg_.max_age);
        if (x == expiry::fresh) {
          ++it;
          continue;
        }
        (x == expiry::max_age ? r.age_closed : r.idle_closed)++;
        count_expiry_locked(x);
        doomed.push_back(std::move(*it));
        it = idle_.erase(it);
        free_slot_locked();
        ++m_.closed;
      }
      if (cfg_.ping && cfg_.health_check_interval > duration::zero() && t >= next_health_check_) {
        next_health_check_ = t + cfg_.health_check_interval;
        to_check.reserve(idle_.size());
        for (auto& e : idle_) to_check.push_back(std::move(e));
        idle_.clear();
        checking_ += to_check.size();
      }
    }
    for (auto& e : doomed) close_conn(e);
    for (auto& e : to_check) {
      bool ok = true;
      if (!ctx.done()) {
        context pctx = cfg_.health_check_timeout > duration::zero()
                           ? context::with_timeout(cfg_.health_check_timeout)
                           : context::background();
        ok = run_ping(e.conn, pctx.with_stop_token(ctx.stop_token()));
        ++r.pinged;
      }
      std::unique_lock lk(mu_);
      --checking_;
      if (ok) {
        place(lk, std::move(e), /*refresh_stamp=*/false);
        continue;
      }
      ++r.ping_failures;
      ++m_.ping_failures;
      free_slot_locked();
      ++m_.closed;
      lk.unlock();
      close_conn(e);
    }
    return r;
  }

  metrics stats() const {
    std::lock_guard lk(mu_);
    metrics s = m_;
    s.close_errors = close_errors_.load(std::memory_order_relaxed);
    s.open = open_;
    s.idle = idle_.size();
    s.active = active_;
    s.waiting = waiting_;
    return s;
  }
  std::size_t open() const {
    std::lock_guard lk(mu_);
    return open_;
  }
  std::size_t idle() const {
    std::lock_guard lk(mu_);
    return idle_.size();
  }
  bool closed() const {
    std::lock_guard lk(mu_);
    return closed_;
  }

private:
  struct waiter {
    std::condition_variable_any cv;
    std::optional<entry<T>> handed; // a connection handed over by put
    bool granted = false;           // a slot to create a connection in
    bool closed = false;            // the pool closed
    waiter* prev = nullptr;
    waiter* next = nullptr;
  };

  pool_view view_locked() const noexcept {
    return {closed_, open_, idle_.size(), waiting_, cfg_.max_size, max_idle_};
  }

  // Caller holds the lock; returns a hit, or nullopt after closing a stale
  // or broken idle connection (the caller decides again).
  std::optional<entry<T>> try_idle(std::unique_lock<std::mutex>& lk, const context& ctx) {
    entry<T> e = std::move(idle_.back()); // LIFO: the warmest connection
    idle_.pop_back();
    const expiry x = check_expiry(e.created, e.returned, now(), cfg_.max_idle_time, cfg_.max_age);
    bool ok = x == expiry::fresh;
    if (ok && cfg_.ping) {
      ++checking_;
      lk.unlock();
      ok = run_ping(e.conn, ctx);
      lk.lock();
      --checking_;
      if (!ok) ++m_.ping_failures;
    } else if (!ok) {
      count_expiry_locked(x);
    }
    if (ok && !closed_) {
      lease_out_locked();
      ++m_.hits;
      return e;
    }
    free_slot_locked();
    ++m_.closed;
    lk.unlock();
    close_conn(e);
    lk.lock();
    return std::nullopt;
  }

  // Caller holds the lock and a slot reserved for this call (counted in
  // open_). Calls the factory unlocked.
  std::optional<entry<T>> create(std::unique_lock<std::mutex>& lk, const context& ctx, std::error_code& ec,
                                 std::exception_ptr& failure) {
    ++creating_;
    lk.unlock();
    std::optional<entry<T>> e;
    try {
      const time_point t = now();
      e.emplace(entry<T>{cfg_.factory(ctx), t, t});
    } catch (...) {
      failure = std::current_exception();
    }
    lk.lock();
    --creating_;
    if (!e) {
      ++m_.factory_failures;
      free_slot_locked();
      ec = errc::factory_failed;
      return std::nullopt;
    }
    ++m_.created;
    if (closed_) {
      free_slot_locked();
      ++m_.closed;
      lk.unlock();
      close_conn(*e);
      lk.lock();
      ec = errc::pool_closed;
      return std::nullopt;
    }
    ++m_.misses;
    lease_out_locked();
    return e;
  }

  // Caller holds the lock; `e` holds a slot and is not counted active.
  // Unlocks to close `e` when it is not kept.
  std::error_code place(std::unique_lock<std::mutex>& lk, entry<T>&& e, bool refresh_stamp = true) {
    const time_point t = now();
    const bool aged = check_expiry(e.created, e.created, t, duration::zero(), cfg_.max_age) == expiry::max_age;
    std::error_code result;
    switch (decide_return(view_locked(), aged)) {
    case return_action::hand_over: {
      waiter* w = head_;
      unlink_locked(*w);
      lease_out_locked();
      w->handed.emplace(std::move(e));
      w->cv.notify_one();
      return result;
    }
    case return_action::keep_idle:
      if (refresh_stamp) e.returned = t;
      idle_.push_back(std::move(e));
      return result;
    case return_action::close_pool_closed: result = errc::pool_closed; break;
    case return_action::close_max_age: count_expiry_locked(expiry::max_age); break;
    case return_action::close_idle_full: break;
    }
    free_slot_locked();
    ++m_.closed;
    lk.unlock();
    close_conn(e);
    return result;
  }

  // Caller holds the lock. A slot was freed: the first waiter inherits it,
  // or it is released (waking close() when the pool has drained).
  void free_slot_locked() {
    if (decide_freed_slot(view_locked()) == slot_action::grant_to_waiter) {
      waiter* w = head_;
      unlink_locked(*w);
      w->granted = true;
      w->cv.notify_one();
      return;
    }
    --open_;
    if (closed_ && open_ == 0) drained_cv_.notify_all();
  }

  void lease_out_locked() noexcept {
    ++active_;
    if (active_ > m_.max_active) m_.max_active = active_;
  }

  void count_expiry_locked(expiry x) noexcept { (x == expiry::max_age ? m_.age_closed : m_.idle_closed)++; }

  std::optional<entry<T>> end_get_locked(std::error_code e, std::error_code& ec) noexcept {
    (e == errc::cancelled ? m_.cancellations : m_.timeouts)++;
    ec = e;
    return std::nullopt;
  }

  void enqueue_locked(waiter& w) noexcept {
    w.prev = tail_;
    (tail_ ? tail_->next : head_) = &w;
    tail_ = &w;
    ++waiting_;
  }
  void unlink_locked(waiter& w) noexcept {
    (w.prev ? w.prev->next : head_) = w.next;
    (w.next ? w.next->prev : tail_) = w.prev;
    w.prev = w.next = nullptr;
    --waiting_;
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

  // Unlocked. Closes exactly once; a throwing close is counted, not retried.
  void close_conn(entry<T>& e) noexcept {
    if (!cfg_.close) return;
    try {
      cfg_.close(e.conn);
    } catch (...) {
      close_errors_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  const config<T> cfg_;
  const std::size_t max_idle_;

  mutable std::mutex mu_;
  std::condition_variable_any drained_cv_; // close() waits here for open_ == 0
  std::deque<entry<T>> idle_;              // guarded by mu_; back = most recently returned
  std::size_t open_ = 0;                   // guarded by mu_; slots in use (<= max_size)
  std::size_t active_ = 0;                 // guarded by mu_; leased out
  std::size_t creating_ = 0;               // guarded by mu_; factory calls in flight
  std::size_t checking_ = 0;               // guarded by mu_; pings in flight
  std::size_t waiting_ = 0;                // guarded by mu_; length of the waiter list
  waiter* head_ = nullptr;                 // guarded by mu_; first waiter (served first)
  waiter* tail_ = nullptr;                 // guarded by mu_
  bool closed_ = false;                    // guarded by mu_
  time_point next_health_check_;           // guarded by mu_
  metrics m_;                              // guarded by mu_; gauges filled in by stats()
  std::atomic<std::uint64_t> close_errors_{0}; // counted outside the lock
};

} // namespace connpool::detail
