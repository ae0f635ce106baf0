// SPDX-License-Identifier: MIT
// connpool:pool — pool<T>, the public face of the pool.
//
// Every operation comes in two forms, like std::filesystem: one throws
// std::system_error (a get() that dialed and failed rethrows the factory's
// own exception; one refused by the open breaker throws circuit_open with the
// last factory exception nested), one takes a std::error_code& and never
// throws. See core.cppm for the design.
module;
#include "inline.h"

#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <source_location>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>
export module connpool:pool;
import :errors;
import :context;
import :clock;
import :config;
import :events;
import :metrics;
import :policy;
import :core;
import :lease;

export namespace connpool {

template <class T> class pool {
public:
  /// Validates `cfg` (std::system_error naming the field when invalid) and
  /// starts the maintenance thread when something needs it (unless
  /// config.background_maintenance is false; a set_* call that makes it
  /// needed starts it later). With config.min_idle, the first connections
  /// are created there, in the background; call warm_up() to wait for them.
  explicit pool(config<T> cfg) {
    std::string why;
    if (auto ec = validate(cfg, &why)) throw std::system_error(ec, why);
    core_ = new detail::core<T>(std::move(cfg));
    start_maintenance_if_needed();
  }
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  /// Closes without waiting for leases (they close when returned); never throws.
  ~pool() {
    stop_maintenance();
    if (thread_.joinable()) thread_.join();
    core_->abandon(); // deletes the core now, or when the last lease comes back
  }

  /// A connection: idle (pinged first when config.ping is set), new (the
  /// factory runs in the caller's thread, outside any lock), or the next one
  /// returned while waiting at max_size until `ctx` ends.
  /// Errors: pool_closed, get_timeout, cancelled; factory_failed (the
  /// factory ran for this get and threw: the throwing form rethrows that
  /// exception itself); circuit_open (config.backoff_initial: the breaker is
  /// open and no dial was tried: the throwing form throws
  /// std::system_error(circuit_open) with the last factory exception nested,
  /// std::rethrow_if_nested gives it).
  /// `where` is reported if the lease outlives config.leak_threshold.
  CONNPOOL_ALWAYS_INLINE lease<T> get(const context& ctx,
                                      const std::source_location& where = std::source_location::current()) {
    if (detail::slot<T>* s = core_->try_acquire_fast(ctx)) return lease<T>(core_, s);
    return get_slow(ctx, where);
  }
  /// get(context::background()): no deadline, no stop token, so the fast
  /// path skips the context checks altogether.
  CONNPOOL_ALWAYS_INLINE lease<T> get(const std::source_location& where = std::source_location::current()) {
    if (detail::slot<T>* s = core_->try_acquire_fast()) return lease<T>(core_, s);
    return get_slow(context::background(), where);
  }
  CONNPOOL_ALWAYS_INLINE lease<T> get(const context& ctx, std::error_code& ec,
                                      const std::source_location& where = std::source_location::current()) noexcept {
    if (detail::slot<T>* s = core_->try_acquire_fast(ctx)) {
      if (ec) ec.clear();
      return lease<T>(core_, s);
    }
    return get_slow(ctx, ec, where);
  }
  /// The error_code form that also gives this call's own failure: with
  /// factory_failed, the exception the factory threw for this get (its own
  /// dial, or the background dial that served it); with circuit_open, the
  /// last factory exception (the one that keeps the breaker open); null
  /// otherwise, and on success.
  CONNPOOL_ALWAYS_INLINE lease<T> get(const context& ctx, std::error_code& ec, std::exception_ptr& failure,
                                      const std::source_location& where = std::source_location::current()) noexcept {
    failure = nullptr;
    if (detail::slot<T>* s = core_->try_acquire_fast(ctx)) {
      if (ec) ec.clear();
      return lease<T>(core_, s);
    }
    return get_slow(ctx, ec, failure, where);
  }

  /// Returns a connection: handed to the first waiter, kept idle, or closed
  /// (past max_age, idle full, pool closed: then the error is pool_closed).
  /// An empty, foreign or already returned lease: invalid_connection, and
  /// nothing changes.
  CONNPOOL_ALWAYS_INLINE void put(lease<T>& l) {
    if (const errc e = put_errc(l); e != errc{}) throw_error(e);
  }
  void put(lease<T>&& l) { put(l); }
  std::error_code put(lease<T>& l, std::error_code& ec) noexcept {
    report(put_errc(l), ec);
    return ec;
  }
  std::error_code put(lease<T>&& l, std::error_code& ec) noexcept { return put(l, ec); }

  /// Closes a connection known to be broken, freeing its slot for a waiter.
  void discard(lease<T>& l) {
    const errc e = check(l);
    if (e != errc{}) throw_error(e);
    core_->discard(take(l));
  }
  void discard(lease<T>&& l) { discard(l); }
  std::error_code discard(lease<T>& l, std::error_code& ec) noexcept {
    if (!report(check(l), ec)) core_->discard(take(l));
    return ec;
  }
  std::error_code discard(lease<T>&& l, std::error_code& ec) noexcept { return discard(l, ec); }

  /// Refuses new gets, wakes every waiter (pool_closed), closes idle
  /// connections, then waits until every lease is back (each closed on
  /// return) or `ctx` ends (close_timeout). Calling it again waits again.
  void close(const context& ctx = context::background()) {
    stop_maintenance();
    if (const errc e = core_->close(ctx); e != errc{}) throw_error(e);
  }
  std::error_code close(const context& ctx, std::error_code& ec) noexcept {
    stop_maintenance();
    report(core_->close(ctx), ec);
    return ec;
  }

  /// One maintenance pass (what the background thread runs): closes idle
  /// connections past max_idle_time/max_age (within the retirement cap,
  /// replacing them first when min_idle asks), reports leaks, health-checks
  /// idle ones when due, tops up min_idle. For owners that schedule it
  /// themselves (background_maintenance = false); safe to call concurrently
  /// with everything else.
  maintenance_report maintain(const context& ctx = context::background()) { return core_->maintain(ctx); }
  /// How often maintain() should run now (set_* may change it); zero when
  /// nothing needs it.
  [[nodiscard]] duration maintenance_interval() const { return core_->maintenance_interval(); }

  /// Creates connections in the calling thread until `idle` (default: the
  /// current min_idle) are idle, max_size or max_idle is reached, `ctx` ends
  /// or a dial fails. Throws like get() (the factory's exception,
  /// circuit_open, get_timeout/cancelled, pool_closed).
  void warm_up(const context& ctx = context::background()) { warm_up(core_->min_idle(), ctx); }
  void warm_up(std::size_t idle, const context& ctx = context::background()) {
    std::exception_ptr failure;
    if (const errc e = core_->warm_up(idle, ctx, failure); e != errc{}) throw_failure(e, failure);
  }
  std::error_code warm_up(std::size_t idle, const context& ctx, std::error_code& ec) noexcept {
    std::exception_ptr failure;
    report(core_->warm_up(idle, ctx, failure), ec);
    return ec;
  }

  // ---- Runtime changes: each throws std::system_error(invalid_config) for a
  // value it cannot take (the error_code forms report it), naming the rule.
  /// Growing serves waiters at once; shrinking closes idle connections over
  /// the new limit now and leased ones over it when they come back.
  /// 0 < n <= config.max_size_limit, n >= min_idle (and >= max_idle when set).
  void set_max_size(std::size_t n) {
    check_set(core_->set_max_size(n), "max_size: 0 < n <= config.max_size_limit, n >= min_idle and max_idle");
  }
  std::error_code set_max_size(std::size_t n, std::error_code& ec) noexcept {
    return reported(core_->set_max_size(n), ec);
  }
  /// Closes idle connections over the new limit. Needs config.max_idle set at
  /// construction (that is when idle connections are counted).
  void set_max_idle(std::size_t n) {
    check_set(core_->set_max_idle(n), "max_idle: needs config.max_idle set at construction; min_idle <= n <= max_size");
  }
  std::error_code set_max_idle(std::size_t n, std::error_code& ec) noexcept {
    return reported(core_->set_max_idle(n), ec);
  }
  void set_min_idle(std::size_t n) { check_set(core_->set_min_idle(n), "min_idle: n <= max_size and max_idle"); }
  std::error_code set_min_idle(std::size_t n, std::error_code& ec) noexcept {
    return reported(core_->set_min_idle(n), ec);
  }
  void set_max_idle_time(duration d) { set_duration(field::max_idle_time, d, "max_idle_time must not be negative"); }
  void set_max_age(duration d) { set_duration(field::max_age, d, "max_age: not negative, longer than max_age_jitter"); }
  void set_health_check_interval(duration d) {
    set_duration(field::health_check_interval, d, "health_check_interval: not negative, needs config.ping");
  }
  std::error_code set_max_idle_time(duration d, std::error_code& ec) noexcept {
    return reported(core_->set_duration(field::max_idle_time, d), ec);
  }
  std::error_code set_max_age(duration d, std::error_code& ec) noexcept {
    return reported(core_->set_duration(field::max_age, d), ec);
  }
  std::error_code set_health_check_interval(duration d, std::error_code& ec) noexcept {
    return reported(core_->set_duration(field::health_check_interval, d), ec);
  }

  /// Retires every connection open now: idle ones at once, leased ones when
  /// they come back (close reason `drained`), e.g. after a failover. New
  /// connections are unaffected. Returns how many it retired or marked.
  std::size_t drain() { return core_->drain(); }

  /// One entry per connection (id, state, age, idle since, uses).
  [[nodiscard]] std::vector<connection_info> connections() const { return core_->connections(); }
  /// The last factory failure of the whole pool, whichever thread's dial it
  /// was (null when none yet). For the failure of one get, use the
  /// get(ctx, ec, failure) form, or catch the exception of the throwing one.
  [[nodiscard]] std::exception_ptr last_factory_error() const { return core_->last_failure(); }

  /// Open connections: active + idle + being created/checked (Go: Len).
  [[nodiscard]] std::size_t size() const { return core_->open(); }
  /// Idle connections (Go: IdleLen).
  [[nodiscard]] std::size_t idle_count() const { return core_->idle(); }
  /// Every counter and gauge, read at one instant.
  [[nodiscard]] metrics stats() const { return core_->stats(); }
  [[nodiscard]] bool is_closed() const { return core_->closed(); }
  [[nodiscard]] const config<T>& configuration() const noexcept { return core_->cfg(); }

private:
  using field = typename detail::core<T>::duration_field;
  void set_duration(field f, duration d, const char* rule) { check_set(core_->set_duration(f, d), rule); }
  void check_set(errc e, const char* rule) {
    if (e != errc{}) throw std::system_error(make_error_code(e), std::string("connpool: set_") + rule);
    start_maintenance_if_needed();
  }
  std::error_code reported(errc e, std::error_code& ec) noexcept {
    if (!report(e, ec)) try {
        start_maintenance_if_needed();
      } catch (...) { // NOLINT(bugprone-empty-catch): no thread: maintain() still works when called
      }
    return ec;
  }
  // The thread runs while the pool is open and something needs it; its
  // interval follows set_* (the core wakes it).
  void start_maintenance_if_needed() {
    if (!core_->cfg().background_maintenance) return;
    std::lock_guard lk(thread_mu_);
    if (thread_.joinable() || core_->closed() || core_->maintenance_interval() <= duration::zero()) return;
    thread_ = std::jthread([c = core_](std::stop_token st) { c->run_maintenance(st); });
  }

  CONNPOOL_NOINLINE lease<T> get_slow(const context& ctx, const std::source_location& where) {
    errc e{};
    std::exception_ptr failure;
    detail::slot<T>* s = core_->acquire(ctx, e, failure, where);
    if (!s) throw_failure(e, failure);
    return lease<T>(core_, s);
  }
  CONNPOOL_NOINLINE lease<T> get_slow(const context& ctx, std::error_code& ec,
                                      const std::source_location& where) noexcept {
    std::exception_ptr failure;
    return get_slow(ctx, ec, failure, where);
  }
  CONNPOOL_NOINLINE lease<T> get_slow(const context& ctx, std::error_code& ec, std::exception_ptr& failure,
                                      const std::source_location& where) noexcept {
    errc e{};
    detail::slot<T>* s = core_->acquire(ctx, e, failure, where);
    if (e != errc::factory_failed && e != errc::circuit_open) failure = nullptr;
    return report(e, ec) ? lease<T>() : lease<T>(core_, s);
  }
  [[noreturn]] CONNPOOL_NOINLINE static void throw_error(errc e) { throw std::system_error(make_error_code(e)); }
  // A failed get or warm_up: a dial that failed rethrows the factory's own
  // exception; the open breaker (no dial tried) throws circuit_open with the
  // last factory exception nested; anything else is its error code.
  [[noreturn]] CONNPOOL_NOINLINE static void throw_failure(errc e, const std::exception_ptr& failure) {
    if (e == errc::circuit_open && failure) {
      try {
        std::rethrow_exception(failure);
      } catch (...) {
        std::throw_with_nested(std::system_error(make_error_code(e), "connpool: no connection attempt made"));
      }
    }
    if (e == errc::factory_failed && failure) std::rethrow_exception(failure);
    throw_error(e);
  }

  errc check(const lease<T>& l) const noexcept {
    return l.slot_ && l.core_ == core_ ? errc{} : errc::invalid_connection;
  }
  CONNPOOL_ALWAYS_INLINE errc put_errc(lease<T>& l) noexcept {
    const errc e = check(l);
    return e != errc{} ? e : core_->give_back(take(l));
  }
  // Sets `ec` the std::filesystem way (cleared on success); true on error.
  static bool report(errc e, std::error_code& ec) noexcept {
    if (e != errc{})
      ec = make_error_code(e);
    else if (ec)
      ec.clear();
    return e != errc{};
  }
  static detail::slot<T>& take(lease<T>& l) noexcept {
    l.core_ = nullptr;
    return *std::exchange(l.slot_, nullptr);
  }
  void stop_maintenance() noexcept {
    std::lock_guard lk(thread_mu_);
    thread_.request_stop();
  }

  detail::core<T>* core_; // owned: abandoned (not deleted) by ~pool, see core
  std::mutex thread_mu_;  // guards thread_'s start and stop (set_* may start it from any thread)
  std::jthread thread_;   // maintenance; declared last: stopped and joined first
};

/// The non-throwing constructor: a pool, or null with `ec` (and `why`, naming
/// the field) set.
template <class T>
std::unique_ptr<pool<T>> make_pool(config<T> cfg, std::error_code& ec, std::string* why = nullptr) noexcept {
  try {
    ec = validate(cfg, why);
    if (ec) return nullptr;
    return std::make_unique<pool<T>>(std::move(cfg));
  } catch (const std::system_error& e) {
    ec = e.code();
  } catch (...) {
    ec = std::make_error_code(std::errc::not_enough_memory);
  }
  return nullptr;
}

} // namespace connpool
