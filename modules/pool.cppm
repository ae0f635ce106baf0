// connpool:pool — pool<T>, the public face of the pool.
//
// Every operation comes in two forms, like std::filesystem: one throws
// std::system_error (get() rethrows the factory's own exception), one takes a
// std::error_code& and never throws. See core.cppm for the design.
module;
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
export module connpool:pool;
import :errors;
import :context;
import :clock;
import :config;
import :metrics;
import :policy;
import :core;
import :lease;

export namespace connpool {

template <class T> class pool {
public:
  /// Validates `cfg` (std::system_error naming the field when invalid) and
  /// starts the maintenance thread when one is needed and wanted.
  explicit pool(config<T> cfg) {
    std::string why;
    if (auto ec = validate(cfg, &why)) throw std::system_error(ec, why);
    core_ = new detail::core<T>(std::move(cfg));
    const duration every = maintenance_interval();
    if (core_->cfg().background_maintenance && every > duration::zero())
      thread_ = std::jthread([c = core_, every](std::stop_token st) { run_maintenance_loop(*c, every, st); });
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
  /// throwing form rethrows the factory's exception instead).
  [[gnu::always_inline]] lease<T> get(const context& ctx) {
    if (detail::slot<T>* s = core_->try_acquire_fast(ctx)) return lease<T>(core_, s);
    return get_slow(ctx);
  }
  /// get(context::background()): no deadline, no stop token, so the fast
  /// path skips the context checks altogether.
  [[gnu::always_inline]] lease<T> get() {
    if (detail::slot<T>* s = core_->try_acquire_fast()) return lease<T>(core_, s);
    return get_slow(context::background());
  }
  [[gnu::always_inline]] lease<T> get(const context& ctx, std::error_code& ec) noexcept {
    if (detail::slot<T>* s = core_->try_acquire_fast(ctx)) {
      if (ec) ec.clear();
      return lease<T>(core_, s);
    }
    return get_slow(ctx, ec);
  }

  /// Returns a connection: handed to the first waiter, kept idle, or closed
  /// (past max_age, idle full, pool closed: then the error is pool_closed).
  /// An empty, foreign or already returned lease: invalid_connection, and
  /// nothing changes.
  [[gnu::always_inline]] void put(lease<T>& l) {
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
  /// connections past max_idle_time/max_age and, when due, health-checks idle
  /// ones. For owners that schedule it themselves (background_maintenance =
  /// false); safe to call concurrently with everything else.
  maintenance_report maintain(const context& ctx = context::background()) { return core_->maintain(ctx); }
  /// How often maintain() should run; zero when nothing needs it.
  [[nodiscard]] duration maintenance_interval() const noexcept {
    const auto& c = core_->cfg();
    return detail::maintenance_interval(c.cleanup_interval, c.max_idle_time, c.max_age, c.health_check_interval);
  }

  /// Open connections: active + idle + being created/checked (origin: Len).
  [[nodiscard]] std::size_t size() const { return core_->open(); }
  /// Idle connections (origin: IdleLen).
  [[nodiscard]] std::size_t idle_count() const { return core_->idle(); }
  /// Every counter and gauge, read at one instant.
  [[nodiscard]] metrics stats() const { return core_->stats(); }
  [[nodiscard]] bool is_closed() const { return core_->closed(); }
  [[nodiscard]] const config<T>& configuration() const noexcept { return core_->cfg(); }

private:
  [[gnu::noinline]] lease<T> get_slow(const context& ctx) {
    errc e{};
    std::exception_ptr failure;
    detail::slot<T>* s = core_->acquire(ctx, e, failure);
    if (!s) {
      if (failure) std::rethrow_exception(failure);
      throw_error(e);
    }
    return lease<T>(core_, s);
  }
  [[gnu::noinline]] lease<T> get_slow(const context& ctx, std::error_code& ec) noexcept {
    errc e{};
    std::exception_ptr failure;
    detail::slot<T>* s = core_->acquire(ctx, e, failure);
    return report(e, ec) ? lease<T>() : lease<T>(core_, s);
  }
  [[noreturn, gnu::noinline]] static void throw_error(errc e) { throw std::system_error(make_error_code(e)); }
  static void run_maintenance_loop(detail::core<T>& c, duration every, std::stop_token st) {
    std::mutex m;
    std::condition_variable_any tick;
    std::unique_lock lk(m);
    const context ctx = context::background().with_stop_token(st);
    while (!tick.wait_for(lk, st, every, [] { return false; }) && !st.stop_requested()) {
      lk.unlock();
      c.maintain(ctx);
      lk.lock();
    }
  }

  errc check(const lease<T>& l) const noexcept {
    return l.slot_ && l.core_ == core_ ? errc{} : errc::invalid_connection;
  }
  [[gnu::always_inline]] errc put_errc(lease<T>& l) noexcept {
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
  void stop_maintenance() noexcept { thread_.request_stop(); }

  detail::core<T>* core_; // owned: abandoned (not deleted) by ~pool, see core
  std::jthread thread_;   // maintenance; declared last: stopped and joined first
};

/// The non-throwing constructor: a pool, or null with `ec` (and `why`, naming
/// the field) set.
template <class T>
std::unique_ptr<pool<T>> make_pool(config<T> cfg, std::error_code& ec, std::string* why = nullptr) noexcept {
  try {
    if ((ec = validate(cfg, why))) return nullptr;
    return std::make_unique<pool<T>>(std::move(cfg));
  } catch (const std::system_error& e) {
    ec = e.code();
  } catch (...) {
    ec = std::make_error_code(std::errc::not_enough_memory);
  }
  return nullptr;
}

} // namespace connpool
