// Test support: a reference model of connpool::pool<T> and a runner that
// drives a real pool and the model side by side through a sequence of
// operations, checking after every step that they agree exactly (result
// codes, the connection handed out, every metric, which connections were
// closed) and that the invariants hold (open <= max_size, idle <= max_idle,
// no connection leased twice, none closed twice, all closed exactly once by
// the end). Used by tests/tst_pool_model.cpp (seeded random sequences) and
// tests/fuzz/fuzz_pool.cpp (sequences decoded from fuzzer input).
//
// Idle order: the pool does not promise one global order. The model holds
// it to this rule: a get first claims the idle connection the calling thread
// put back into the idle list most recently (its hint; a put that closed the
// connection does not count), if it is still idle: handed out when fresh and
// answering its ping, else closed and counted. Otherwise any idle connection
// may come next: the model accepts the pool's choice when the one handed out
// is idle and usable and every connection the get closed on the way was idle
// and stale or failed its ping (in the order observed: the hint's close
// first), then follows that choice. When no other idle connection is usable
// there is no choice (all are closed, then the get dials or waits). The hint
// is not binding after the thread used another pool since setting it (the
// pool remembers hints in a small per-thread cache of pools).
//
// Real time enters in one place: health_check_timeout (50 us). A healthy ping
// under it may be preempted past it; the pool then rightly counts a late
// ping as failed, and the model accepts that for such a ping only.
//
// Single-threaded and deterministic: the pool's clock is a manual_clock,
// maintenance is driven by maintain(), and a get that must wait is only issued
// when a helper thread will end the wait in a known way (cancel, put, discard,
// close) once the pool reports the waiter. Pure connpool: no Qt. Include after
// `import connpool;`.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace pool_model {

using namespace std::chrono_literals;
using connpool::context;
using connpool::duration;
using connpool::errc;
using connpool::time_point;

struct conn {
  int id = 0;
};
struct factory_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---- operations -------------------------------------------------------------

enum class kind : std::uint8_t {
  get,            // a: context, b: bit0 factory throws, bit1 throwing form; c: how a wait ends; d: lease
  put,            // a: lease; b: bit0 throwing form
  discard,        // a: lease; b: bit0 throwing form
  drop,           // a: lease (its destructor returns it)
  reassign,       // a = std::move(b) between two leases (gives a's connection back)
  invalid_return, // b: empty/foreign/orphan lease put or discarded; c: bit0 throwing form
  foreign,        // a: get from / return to the other pool, or drop an orphan of a destroyed pool
  advance,        // a: scale, d: amount (the pool's manual clock)
  maintain,       // a: context (stopped: no pings)
  fault,          // a: which live connection, b: ping ok/false/throws/slow, or toggle close throws
  close,          // a: expired / stopped / drain (a helper returns every lease); b: bit0 throwing form
  destroy,        // ~pool with leases out; then a new pool with config seed d
  kinds
};

struct op {
  kind k = kind::get;
  std::uint8_t a = 0, b = 0, c = 0;
  std::uint16_t d = 0;
};

inline const char* kind_name(kind k) {
  static const char* names[] = {"get",     "put",     "discard",  "drop",  "reassign", "invalid_return",
                                "foreign", "advance", "maintain", "fault", "close",    "destroy"};
  return k < kind::kinds ? names[static_cast<int>(k)] : "?";
}

inline std::string describe(const op& o) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "{%s, a=%u, b=%u, c=%u, d=%u}", kind_name(o.k), unsigned(o.a), unsigned(o.b),
                unsigned(o.c), unsigned(o.d));
  return buf;
}

/// Random operations, weighted towards get and put; `seed` makes them.
inline std::vector<op> generate(std::uint32_t seed, std::size_t n) {
  std::mt19937 r(seed);
  struct weight {
    kind k;
    int w;
  };
  static constexpr weight weights[] = {{kind::get, 300},    {kind::put, 170},     {kind::discard, 45},
                                       {kind::drop, 45},    {kind::reassign, 20}, {kind::invalid_return, 25},
                                       {kind::foreign, 30}, {kind::advance, 90},  {kind::maintain, 70},
                                       {kind::fault, 80},   {kind::close, 8},     {kind::destroy, 4}};
  int total = 0;
  for (auto& w : weights)
    total += w.w;
  std::vector<op> ops;
  ops.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    int x = static_cast<int>(r() % static_cast<unsigned>(total));
    op o;
    for (auto& w : weights) {
      if (x < w.w) {
        o.k = w.k;
        break;
      }
      x -= w.w;
    }
    o.a = static_cast<std::uint8_t>(r());
    o.b = static_cast<std::uint8_t>(r());
    o.c = static_cast<std::uint8_t>(r());
    o.d = static_cast<std::uint16_t>(r());
    if (o.k == kind::get) o.b = static_cast<std::uint8_t>((r() % 10 == 0 ? 1 : 0) | (r() % 5 == 0 ? 2 : 0));
    ops.push_back(o);
  }
  return ops;
}

/// Operations decoded from raw bytes (the fuzzer's input): 6 bytes each.
inline std::vector<op> decode(const std::uint8_t* data, std::size_t size) {
  std::vector<op> ops;
  for (std::size_t i = 0; i + 6 <= size; i += 6) {
    op o;
    o.k = static_cast<kind>(data[i] % static_cast<unsigned>(kind::kinds));
    o.a = data[i + 1];
    o.b = data[i + 2];
    o.c = data[i + 3];
    o.d = static_cast<std::uint16_t>(data[i + 4] | (data[i + 5] << 8));
    ops.push_back(o);
  }
  return ops;
}

// ---- pool configurations ----------------------------------------------------------

struct settings {
  std::size_t max_size = 2;
  std::optional<std::size_t> max_idle;
  duration max_idle_time{};
  duration max_age{};
  bool ping = false;
  duration health_check_interval{};
  duration health_check_timeout{};

  static settings from_seed(std::uint32_t seed) {
    std::mt19937 r(seed);
    settings s;
    s.max_size = 1 + r() % (r() % 4 == 0 ? 8 : 4);
    if (r() % 2) s.max_idle = r() % (s.max_size + 1);
    static constexpr int idle_times[] = {0, 0, 5, 10, 30};
    s.max_idle_time = std::chrono::seconds(idle_times[r() % 5]);
    static constexpr int ages[] = {0, 0, 20, 60};
    s.max_age = std::chrono::seconds(ages[r() % 4]);
    s.ping = r() % 10 < 7;
    if (s.ping && r() % 2) {
      s.health_check_interval = std::chrono::seconds(r() % 2 ? 5 : 15);
      if (r() % 2) s.health_check_timeout = 50us; // real time: a slow ping outlasts it
    }
    return s;
  }
  std::string describe() const {
    char buf[200];
    auto ms = [](duration d) {
      return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
    };
    std::snprintf(
        buf, sizeof buf,
        "max_size=%zu max_idle=%s max_idle_time=%lldms max_age=%lldms ping=%d "
        "health_check_interval=%lldms health_check_timeout=%lldus",
        max_size, max_idle ? std::to_string(*max_idle).c_str() : "unset", ms(max_idle_time), ms(max_age), int(ping),
        ms(health_check_interval),
        static_cast<long long>(std::chrono::duration_cast<std::chrono::microseconds>(health_check_timeout).count()));
    return buf;
  }
};

// ---- figures across runs ----------------------------------------------------------

struct totals {
  std::uint64_t runs = 0, steps = 0, pools = 0;
  std::uint64_t gets = 0, hits = 0, misses = 0, waits = 0, timeouts = 0, cancellations = 0;
  std::uint64_t puts = 0, discards = 0, invalid_returns = 0, close_timeouts = 0;
  std::uint64_t idle_closed = 0, age_closed = 0, ping_failures = 0, factory_failures = 0, close_errors = 0;
  std::uint64_t created = 0, closed = 0;
  std::uint64_t faults_injected = 0;    // factory throws, pings false/throwing/slow, closes throwing
  std::uint64_t hint_firsts = 0;        // gets bound to claim the calling thread's last returned connection first
  std::uint64_t free_choices = 0;       // gets where the pool chose among usable idle connections
  std::uint64_t hints_forgotten = 0;    // ... and skipped a hint made non-binding by a call into another pool
  std::uint64_t late_healthy_pings = 0; // healthy health-check pings preempted past health_check_timeout

  totals& operator+=(const totals& o) {
    std::uint64_t* a = &runs;
    const std::uint64_t* b = &o.runs;
    for (std::size_t i = 0; i < sizeof(totals) / sizeof(std::uint64_t); ++i)
      a[i] += b[i];
    return *this;
  }
};

// ---- the helper thread -------------------------------------------------------------

/// Runs one action at a time on its own thread once a condition holds (the
/// pool reports a waiter, or is closed), while the main thread is blocked in
/// the pool. Also a hang watchdog: when a step makes no progress for 10 s it
/// requests stop on `hang`, so an unexpected wait ends as a reported
/// mismatch, not a hung test.
class helper {
public:
  helper() {
    thread_ = std::jthread([this](std::stop_token st) { loop(st); });
  }
  helper(const helper&) = delete;
  helper& operator=(const helper&) = delete;
  ~helper() {
    thread_.request_stop();
    thread_.join();
  }
  /// One per process, shared by every run (threads are costly to start under
  /// the sanitizers, and the fuzzer runs thousands of inputs a second).
  static helper& shared() {
    static helper h;
    return h;
  }
  /// The stop source of the run being watched for hangs.
  void watch(std::stop_source hang) {
    std::lock_guard lk(mu_);
    hang_ = std::move(hang);
    hung_ = false;
    beat();
  }

  void arm(std::function<bool()> when, std::function<void()> action) {
    std::lock_guard lk(mu_);
    when_ = std::move(when);
    action_ = std::move(action);
    abort_ = false;
    done_ = false;
    ran_ = false;
    ready_ = true;
    cv_.notify_all();
  }
  /// Stops waiting for the condition, waits for the job to end; true when the action ran.
  bool finish() {
    abort_ = true;
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, 30s, [this] { return done_; });
    return done_ && ran_;
  }
  void beat() noexcept { beats_.fetch_add(1, std::memory_order_relaxed); }
  bool hung() const noexcept { return hung_.load(); }

private:
  void loop(std::stop_token st) {
    std::unique_lock lk(mu_);
    std::uint64_t last = beats_.load();
    auto last_change = std::chrono::steady_clock::now();
    while (!st.stop_requested()) {
      cv_.wait_for(lk, st, 100ms, [this] { return ready_; });
      if (ready_) {
        ready_ = false;
        auto when = std::move(when_);
        auto action = std::move(action_);
        lk.unlock();
        bool ran = false;
        const auto limit = std::chrono::steady_clock::now() + 10s;
        for (;;) {
          if (when()) {
            action();
            ran = true;
            break;
          }
          if (abort_ || std::chrono::steady_clock::now() > limit) break;
          std::this_thread::yield();
        }
        lk.lock();
        ran_ = ran;
        done_ = true;
        cv_.notify_all();
      }
      const auto now = std::chrono::steady_clock::now();
      if (const auto b = beats_.load(); b != last) {
        last = b;
        last_change = now;
      } else if (now - last_change > 10s && !hung_) {
        hung_ = true;
        hang_.request_stop(); // guarded by mu_, held here
      }
    }
  }

  std::mutex mu_;
  std::stop_source hang_; // guarded by mu_
  std::condition_variable_any cv_;
  std::function<bool()> when_;                      // guarded by mu_
  std::function<void()> action_;                    // guarded by mu_
  bool ready_ = false, done_ = false, ran_ = false; // guarded by mu_
  std::atomic<bool> abort_{false};
  std::atomic<bool> hung_{false};
  std::atomic<std::uint64_t> beats_{0};
  std::jthread thread_;
};

// ---- the runner: a real pool and the model, step by step -------------------------

class runner {
public:
  struct failure {
    std::size_t step = 0;
    std::string what;
  };

  explicit runner(std::uint32_t config_seed) : first_seed_(config_seed) {}
  runner(const runner&) = delete;
  runner& operator=(const runner&) = delete;

  /// Runs `ops` on a fresh pool; the first disagreement or broken invariant.
  std::optional<failure> run(const std::vector<op>& ops) {
    helper_ = &helper::shared();
    helper_->watch(hang_);
    start_pool(first_seed_);
    std::size_t step = 0;
    for (; step < ops.size(); ++step) {
      helper_->beat();
      begin_step();
      execute(ops[step]);
      if (!error_.empty()) break;
      check_step();
      if (!error_.empty()) break;
      ++t_.steps;
    }
    if (error_.empty()) {
      step = ops.size();
      begin_step();
      finish();
      if (error_.empty()) check_step(/*pool_alive=*/false);
      if (error_.empty()) check_all_closed_once();
    }
    ++t_.runs;
    if (error_.empty()) return std::nullopt;
    return failure{step, error_};
  }

  const totals& figures() const noexcept { return t_; }
  const settings& current_settings() const noexcept { return s_; }

private:
  enum fault_bits : std::uint8_t {
    ping_ok = 0,
    ping_false = 1,
    ping_throw = 2,
    ping_slow = 3,
    ping_mask = 3,
    close_throws = 4
  };
  static constexpr int foreign_base = 1'000'000'000;

  struct mconn {
    int id = 0;
    time_point created, returned;
  };
  struct model {
    bool closed = false;
    std::vector<mconn> idle; // no order: the pool's idle order is only constrained by `hint`
    std::vector<mconn> active;
    connpool::metrics m;
    time_point next_health_check;
    std::size_t max_idle = 0;
    // The connection the calling (main) thread put back into the idle list
    // last (put, a lease's destructor, lease move-assignment; not a put that
    // closed it): while it is idle, get must claim it first. 0 = none.
    int hint = 0;
    // The main thread used another pool (the foreign pool, or an orphan's
    // destroyed one) since it set `hint`. The pool keeps its per-thread hint
    // in a small per-thread cache of pools (counters.cppm, 4 ways) that such
    // a call may evict, so `hint` is then not binding.
    bool hint_unsure = false;
  };
  // The verdict of get's checks on an idle connection.
  enum verdict : int { usable = 0, stale_idle_time = 1, stale_max_age = 2, ping_failed = 3 };
  struct prediction {
    bool waits = false;
    std::error_code ec;
    int id = 0;
    // The pool chooses: it must hand out one of `good` (idle, fresh, ping ok)
    // after closing any subset of `bad` (idle, stale or failing their ping);
    // do_get checks its choice and then follows it.
    bool choice = false;
    std::vector<int> good, bad;
    int hint_candidate = 0; // an idle `hint` that is not binding (hint_unsure)
  };

  // ---- callbacks (may run on the helper thread too) ----
  conn make_conn(const context&) {
    std::lock_guard lk(mu_);
    if (factory_fail_) {
      ++t_.faults_injected;
      throw factory_error("factory told to fail");
    }
    const int id = ++made_;
    closes_.push_back(0);
    faults_.push_back(0);
    return conn{id};
  }
  void close_conn(conn& c) {
    std::unique_lock lk(mu_);
    int& n = c.id >= foreign_base ? foreign_closes_.at(static_cast<std::size_t>(c.id - foreign_base))
                                  : closes_.at(static_cast<std::size_t>(c.id));
    if (++n > 1 && violation_.empty()) violation_ = "connection " + std::to_string(c.id) + " closed twice";
    if (c.id < foreign_base) step_closes_.push_back(c.id);
    if (c.id < foreign_base && (faults_[static_cast<std::size_t>(c.id)] & close_throws)) {
      ++t_.faults_injected;
      lk.unlock();
      throw std::runtime_error("close told to fail");
    }
  }
  bool ping_conn(conn& c, const context& ctx) {
    std::unique_lock lk(mu_);
    const int mode = faults_.at(static_cast<std::size_t>(c.id)) & ping_mask;
    if (mode != ping_ok) ++t_.faults_injected;
    lk.unlock();
    switch (mode) {
    case ping_false: return false;
    case ping_throw: throw std::runtime_error("ping told to throw");
    case ping_slow:
      // Slow: answers only once a near deadline has passed (a far one, or none, is met).
      if (ctx.deadline() && *ctx.deadline() - std::chrono::steady_clock::now() < 1s)
        while (std::chrono::steady_clock::now() < *ctx.deadline())
          std::this_thread::yield();
      return true;
    default:
      // A healthy ping under a near real-time deadline (health_check_timeout)
      // may still answer late when this thread is preempted: the pool then
      // rightly counts a failure. Note whether it is surely in time.
      if (ctx.deadline() && *ctx.deadline() - std::chrono::steady_clock::now() < 1s) {
        std::lock_guard g(mu_);
        maybe_late_.push_back(c.id);
      }
      return true;
    }
  }
  std::uint8_t fault_of(int id) {
    std::lock_guard lk(mu_);
    return faults_.at(static_cast<std::size_t>(id));
  }

  connpool::config<conn> make_config(const settings& s) {
    connpool::config<conn> c;
    c.factory = [this](const context& ctx) { return make_conn(ctx); };
    c.close = [this](conn& x) { close_conn(x); };
    if (s.ping) c.ping = [this](conn& x, const context& ctx) { return ping_conn(x, ctx); };
    c.max_size = s.max_size;
    c.max_idle = s.max_idle;
    c.max_idle_time = s.max_idle_time;
    c.max_age = s.max_age;
    c.health_check_interval = s.health_check_interval;
    c.health_check_timeout = s.health_check_timeout;
    c.clock = clock_.function();
    c.background_maintenance = false;
    return c;
  }

  void start_pool(std::uint32_t seed) {
    s_ = settings::from_seed(seed);
    m_ = model{};
    m_.max_idle = s_.max_idle.value_or(s_.max_size);
    m_.next_health_check = clock_.now() + s_.health_check_interval;
    pool_ = std::make_unique<connpool::pool<conn>>(make_config(s_));
    ++t_.pools;
  }

  // ---- the model ----
  time_point now() const { return clock_.now(); }
  void m_close(int id) {
    ++m_.m.closed;
    expected_closes_.push_back(id);
    if (fault_of(id) & close_throws) ++m_.m.close_errors;
  }
  void m_lease_out(const mconn& c) {
    m_.active.push_back(c);
    if (m_.active.size() > m_.m.max_active) m_.m.max_active = m_.active.size();
  }
  std::optional<mconn> m_take_active(int id) {
    auto it = std::find_if(m_.active.begin(), m_.active.end(), [id](const mconn& c) { return c.id == id; });
    if (it == m_.active.end()) {
      fail("model: lease " + std::to_string(id) + " is not active");
      return std::nullopt;
    }
    mconn c = *it;
    m_.active.erase(it);
    return c;
  }
  bool m_aged(const mconn& c, time_point t) const {
    return s_.max_age > duration::zero() && t - c.created >= s_.max_age;
  }
  // 0 fresh, 1 past max_idle_time, 2 past max_age (age first)
  int m_expiry(const mconn& c, time_point t) const {
    if (m_aged(c, t)) return 2;
    if (s_.max_idle_time > duration::zero() && t - c.returned >= s_.max_idle_time) return 1;
    return 0;
  }
  void m_count_expiry(int x) { (x == 2 ? m_.m.age_closed : m_.m.idle_closed)++; }
  std::size_t m_open() const { return m_.idle.size() + m_.active.size(); }

  /// put / a lease's destructor (`by_put`, the main thread's: it sets the
  /// hint when it keeps the connection) / the end of a health check: close,
  /// keep idle.
  std::error_code m_place(mconn c, bool by_put) {
    const time_point t = now();
    if (m_.closed) {
      m_close(c.id);
      return errc::pool_closed;
    }
    if (m_aged(c, t)) {
      ++m_.m.age_closed;
      m_close(c.id);
      return {};
    }
    if (m_.idle.size() < m_.max_idle) {
      if (by_put) {
        c.returned = t;
        m_.hint = c.id;
        m_.hint_unsure = false;
      }
      m_.idle.push_back(c);
      return {};
    }
    m_close(c.id);
    return {};
  }
  prediction m_end(std::error_code ended) {
    (ended == errc::cancelled ? m_.m.cancellations : m_.m.timeouts)++;
    return {false, ended, 0};
  }
  prediction m_create(bool factory_fails) {
    if (factory_fails) {
      ++m_.m.factory_failures;
      return {false, errc::factory_failed, 0};
    }
    const time_point t = now();
    int id = 0;
    {
      std::lock_guard lk(mu_);
      id = made_ + 1;
    }
    ++m_.m.created;
    ++m_.m.misses;
    m_lease_out({id, t, t});
    return {false, {}, id};
  }
  /// What get's checks make of an idle connection (a get's deadline is far
  /// or none once it reaches the idle list: a slow ping is in time).
  verdict m_verdict(const mconn& c) {
    if (const int x = m_expiry(c, now()); x != 0) return x == 2 ? stale_max_age : stale_idle_time;
    if (s_.ping) {
      const int mode = fault_of(c.id) & ping_mask;
      if (mode != ping_ok && mode != ping_slow) return ping_failed;
    }
    return usable;
  }
  /// A connection get found unusable: counted and closed.
  void m_reject(int id, verdict v) {
    if (v == ping_failed)
      ++m_.m.ping_failures;
    else
      m_count_expiry(v == stale_max_age ? 2 : 1);
    m_close(id);
  }
  mconn m_take_idle(int id) {
    auto it = std::find_if(m_.idle.begin(), m_.idle.end(), [id](const mconn& c) { return c.id == id; });
    const mconn c = *it;
    m_.idle.erase(it);
    return c;
  }
  bool m_is_idle(int id) const {
    return id != 0 && std::any_of(m_.idle.begin(), m_.idle.end(), [id](const mconn& c) { return c.id == id; });
  }
  /// get() up to the point where it would wait. With idle connections: the
  /// hint first (binding unless hint_unsure), then the pool's choice (a
  /// prediction with `choice`) unless none of the rest is usable.
  prediction m_get(std::error_code ended, bool factory_fails) {
    ++m_.m.gets;
    if (m_.closed) return {false, errc::pool_closed, 0};
    if (!m_.idle.empty()) {
      if (ended) return m_end(ended);
      if (m_is_idle(m_.hint) && !m_.hint_unsure) {
        ++t_.hint_firsts;
        const mconn c = m_take_idle(m_.hint);
        if (const verdict v = m_verdict(c); v == usable) {
          m_lease_out(c);
          ++m_.m.hits;
          return {false, {}, c.id};
        } else {
          m_reject(c.id, v);
        }
      }
      prediction p;
      for (const mconn& c : m_.idle)
        (m_verdict(c) == usable ? p.good : p.bad).push_back(c.id);
      if (!p.good.empty()) {
        p.choice = true;
        if (m_.hint_unsure && m_is_idle(m_.hint)) p.hint_candidate = m_.hint;
        return p;
      }
      for (int id : p.bad) // none usable: the pool meets and closes them all
        m_reject(id, m_verdict(m_take_idle(id)));
    }
    if (m_open() < s_.max_size) {
      if (ended) return m_end(ended);
      return m_create(factory_fails);
    }
    if (ended) return m_end(ended);
    ++m_.m.waits;
    return {true, {}, 0};
  }

  /// After the pool's get: is its choice among the idle connections legal
  /// (the closes of this step so far, in order, are the hint's if it was
  /// rejected, then only connections in `bad`; the one handed out is in
  /// `good`)? Then the model follows it.
  void m_follow_choice(prediction& p, std::error_code ec, const connpool::lease<conn>& got) {
    std::vector<int> closes;
    {
      std::lock_guard lk(mu_);
      closes = step_closes_;
    }
    auto list = [](const std::vector<int>& v) {
      std::string s = "[";
      for (int x : v)
        s += std::to_string(x) + " ";
      return s + "]";
    };
    const std::string legal = " (idle and usable: " + list(p.good) + ", idle and unusable: " + list(p.bad) +
                              ", the hint rejected first: " + list(expected_closes_) + ")";
    if (closes.size() < expected_closes_.size() ||
        !std::equal(expected_closes_.begin(), expected_closes_.end(), closes.begin()))
      return fail("get: closed " + list(closes) + " but must first claim and close its hint" + legal);
    for (std::size_t i = expected_closes_.size(); i < closes.size(); ++i) {
      const int id = closes[i];
      if (std::find(p.bad.begin(), p.bad.end(), id) == p.bad.end() || !m_is_idle(id))
        return fail("get: closed connection " + std::to_string(id) + ", not an unusable idle one" + legal);
      m_reject(id, m_verdict(m_take_idle(id)));
    }
    if (ec || !got)
      return fail("get: " + ec_name(ec) + (got ? "" : ", no connection") + " with a usable idle connection" + legal);
    const int id = got->id;
    if (std::find(p.good.begin(), p.good.end(), id) == p.good.end())
      return fail("get: handed connection " + std::to_string(id) + ", not a usable idle one" + legal);
    if (p.hint_candidate != 0 && id != p.hint_candidate && (closes.empty() || closes.front() != p.hint_candidate))
      ++t_.hints_forgotten;
    ++t_.free_choices;
    m_lease_out(m_take_idle(id));
    ++m_.m.hits;
    p.id = id;
    p.ec = {};
  }

  // ---- steps ----
  void fail(std::string what) {
    if (error_.empty()) error_ = std::move(what);
  }
  void begin_step() {
    std::lock_guard lk(mu_);
    step_closes_.clear();
    expected_closes_.clear();
  }
  static std::string ec_name(std::error_code ec) {
    if (!ec) return "success";
    return ec.message() + " (" + std::to_string(ec.value()) + ")";
  }
  void expect_ec(const char* what, std::error_code expected, std::error_code actual) {
    if (expected != actual) fail(std::string(what) + ": expected " + ec_name(expected) + ", got " + ec_name(actual));
  }

  std::size_t live_lease_count() const {
    return static_cast<std::size_t>(std::count_if(ids_.begin(), ids_.end(), [](int id) { return id != 0; }));
  }
  void store_lease(connpool::lease<conn>&& l, int id) {
    const std::size_t empties = leases_.size() - live_lease_count();
    if (empties > 4) {
      for (std::size_t i = 0; i < leases_.size(); ++i)
        if (ids_[i] == 0) {
          leases_[i] = std::move(l);
          ids_[i] = id;
          return;
        }
    }
    leases_.push_back(std::move(l));
    ids_.push_back(id);
  }
  // index of the k-th live lease (there is at least one)
  std::size_t live_lease(std::size_t k) const {
    std::vector<std::size_t> live;
    for (std::size_t i = 0; i < ids_.size(); ++i)
      if (ids_[i] != 0) live.push_back(i);
    return live[k % live.size()];
  }

  static std::error_code run_get(connpool::pool<conn>& p, const context& ctx, bool throwing,
                                 connpool::lease<conn>& out) {
    if (!throwing) {
      std::error_code ec;
      out = p.get(ctx, ec);
      return ec;
    }
    try {
      out = p.get(ctx);
      return {};
    } catch (const factory_error&) {
      return errc::factory_failed;
    } catch (const std::system_error& e) {
      return e.code();
    }
  }

  void do_get(const op& o) {
    const bool factory_fails = o.b & 1;
    const bool throwing = o.b & 2;
    std::error_code ended;
    std::optional<context> ctx;
    std::stop_source own;
    switch (o.a % 8) {
    case 6:
      ctx = context::with_deadline(std::chrono::steady_clock::now() - 1s);
      ended = errc::get_timeout;
      break;
    case 7:
      own.request_stop();
      ctx = (o.d & 1 ? context::with_deadline(std::chrono::steady_clock::now() - 1s) : context::background())
                .with_stop_token(own.get_token());
      ended = errc::cancelled; // checked before the deadline
      break;
    default: break;
    }
    prediction pred = m_get(ended, factory_fails);
    const int action = o.c % 5;
    if (!ctx) {
      // Not ended: a far deadline or none, and a stop token that only the
      // helper (cancel) or the hang watchdog triggers.
      const auto token = pred.waits && action == 0 ? own.get_token() : hang_.get_token();
      ctx = (o.a % 8 >= 3 && o.a % 8 <= 5 ? context::with_timeout(1h) : context::background()).with_stop_token(token);
    }
    std::error_code helper_ec;
    std::error_code helper_expected;
    std::size_t target = 0;
    if (pred.waits) {
      if (live_lease_count() == 0) return fail("model: a get waits but no lease is out");
      target = live_lease(o.d);
      const int tid = ids_[target];
      auto& p = *pool_;
      auto& l = leases_[target];
      auto waiting = [&p] { return p.stats().waiting >= 1; };
      // The waiter inherits a freed slot and dials, or is handed the connection.
      auto granted = [&] {
        const prediction c = m_create(factory_fails);
        pred.ec = c.ec;
        pred.id = c.id;
      };
      std::function<void()> act;
      switch (action) {
      case 0:
        act = [&own] { own.request_stop(); };
        ++m_.m.cancellations;
        pred.ec = errc::cancelled;
        break;
      case 1:
      case 3: {
        if (action == 1)
          act = [&] { p.put(l, helper_ec); };
        else
          act = [&] { l = {}; };
        auto c = m_take_active(tid);
        if (!c) return;
        ++m_.m.puts;
        if (m_aged(*c, now())) {
          ++m_.m.age_closed;
          m_close(c->id);
          granted();
        } else {
          m_lease_out(*c);
          ++m_.m.hits;
          pred.id = c->id;
        }
        ids_[target] = 0;
        break;
      }
      case 2: {
        act = [&] { p.discard(l, helper_ec); };
        auto c = m_take_active(tid);
        if (!c) return;
        ++m_.m.discards;
        m_close(c->id);
        granted();
        ids_[target] = 0;
        break;
      }
      default: {
        act = [&] { p.close(context::with_deadline(std::chrono::steady_clock::now() - 1s), helper_ec); };
        m_.closed = true; // idle is empty while someone waits
        ++m_.m.close_timeouts;
        helper_expected = errc::close_timeout;
        pred.ec = errc::pool_closed;
        break;
      }
      }
      helper_->arm(waiting, std::move(act));
    }
    connpool::lease<conn> got;
    const std::error_code ec = run_get(*pool_, *ctx, throwing, got);
    if (pred.waits) {
      if (!helper_->finish()) fail("get did not wait as the model predicted (or the helper timed out)");
      expect_ec("the helper's operation", helper_expected, helper_ec);
    }
    if (helper_->hung()) fail("get hung: the pool waited where the model did not");
    if (pred.choice) {
      m_follow_choice(pred, ec, got);
      if (!error_.empty()) return;
    }
    expect_ec("get", pred.ec, ec);
    if (static_cast<bool>(got) != (pred.id != 0))
      return fail("get: lease " + std::string(got ? "non-empty" : "empty") + " but expected connection " +
                  std::to_string(pred.id));
    if (got && got->id != pred.id)
      return fail("get: handed connection " + std::to_string(got->id) + ", expected " + std::to_string(pred.id));
    if (got) {
      for (std::size_t i = 0; i < ids_.size(); ++i)
        if (ids_[i] == got->id && leases_[i])
          return fail("get: connection " + std::to_string(got->id) + " leased twice");
      store_lease(std::move(got), pred.id);
    }
  }

  void do_return(const op& o) { // put, discard
    const bool discard = o.k == kind::discard;
    const bool throwing = o.b & 1;
    if (leases_.empty()) return do_invalid_return(op{kind::invalid_return, 0, std::uint8_t(discard ? 1 : 0), o.b, 0});
    const std::size_t k = o.a % leases_.size();
    std::error_code expected = errc::invalid_connection;
    if (ids_[k] != 0) {
      auto c = m_take_active(ids_[k]);
      if (!c) return;
      if (discard) {
        ++m_.m.discards;
        m_close(c->id);
        expected = {};
      } else {
        ++m_.m.puts;
        expected = m_place(*c, true);
      }
    } else {
      ++t_.invalid_returns;
    }
    std::error_code ec;
    if (!throwing) {
      discard ? pool_->discard(leases_[k], ec) : pool_->put(leases_[k], ec);
    } else {
      try {
        discard ? pool_->discard(leases_[k]) : pool_->put(leases_[k]);
      } catch (const std::system_error& e) {
        ec = e.code();
      }
    }
    expect_ec(discard ? "discard" : "put", expected, ec);
    if (leases_[k]) fail("the lease still holds a connection after put/discard");
    ids_[k] = 0;
  }

  void do_drop(const op& o) {
    if (leases_.empty()) return;
    const std::size_t k = o.a % leases_.size();
    if (ids_[k] != 0) {
      auto c = m_take_active(ids_[k]);
      if (!c) return;
      ++m_.m.puts;
      m_place(*c, true);
    }
    leases_[k] = {};
    ids_[k] = 0;
  }

  void do_reassign(const op& o) {
    if (leases_.empty()) return;
    const std::size_t i = o.a % leases_.size(), j = o.b % leases_.size();
    auto& to = leases_[i];
    auto& from = leases_[j];
    if (i != j) {
      if (ids_[i] != 0) {
        auto c = m_take_active(ids_[i]);
        if (!c) return;
        ++m_.m.puts;
        m_place(*c, true);
      }
      ids_[i] = ids_[j];
      ids_[j] = 0;
    }
    to = std::move(from); // self-move when i == j: nothing changes
  }

  void do_invalid_return(const op& o) {
    connpool::lease<conn> empty;
    connpool::lease<conn>* l = &empty;
    const int which = o.b % 4;
    if (which >= 2) { // foreign: a lease of the other pool, or an orphan of a destroyed one
      if (!orphans_.empty() && (o.a & 1))
        l = &orphans_[o.a % orphans_.size()];
      else if (!foreign_leases_.empty())
        l = &foreign_leases_[o.a % foreign_leases_.size()];
    } else {
      for (std::size_t i = 0; i < leases_.size(); ++i)
        if (ids_[(i + o.a) % leases_.size()] == 0) {
          l = &leases_[(i + o.a) % leases_.size()]; // a returned (moved-from) lease: a double put
          break;
        }
    }
    const bool was_held = static_cast<bool>(*l);
    const int held_id = was_held ? (*l)->id : 0;
    const bool discard = which % 2;
    std::error_code ec;
    if (o.c & 1) {
      try {
        discard ? pool_->discard(*l) : pool_->put(*l);
      } catch (const std::system_error& e) {
        ec = e.code();
      }
    } else {
      discard ? pool_->discard(*l, ec) : pool_->put(*l, ec);
    }
    ++t_.invalid_returns;
    expect_ec(discard ? "discard of an invalid lease" : "put of an invalid lease", errc::invalid_connection, ec);
    if (was_held && (!*l || (*l)->id != held_id)) fail("a foreign lease was taken by the wrong pool");
  }

  void ensure_foreign() {
    if (foreign_) return;
    connpool::config<conn> c;
    c.factory = [this](const context&) {
      std::lock_guard lk(mu_);
      foreign_closes_.push_back(0);
      return conn{foreign_base + static_cast<int>(foreign_closes_.size()) - 1};
    };
    c.close = [this](conn& x) { close_conn(x); };
    c.max_size = 2;
    c.background_maintenance = false;
    foreign_ = std::make_unique<connpool::pool<conn>>(c);
  }

  void do_foreign(const op& o) {
    switch (o.a % 3) {
    case 0:
      ensure_foreign();
      if (foreign_leases_.size() < 2) {
        foreign_leases_.push_back(foreign_->get());
        m_.hint_unsure = true;
      }
      break;
    case 1:
      if (!foreign_leases_.empty()) {
        foreign_leases_.erase(foreign_leases_.begin() + o.b % foreign_leases_.size());
        m_.hint_unsure = true;
      }
      break;
    default:
      if (!orphans_.empty()) {
        m_.hint_unsure = true;
        const std::size_t k = o.b % orphans_.size();
        expected_closes_.push_back(orphans_[k]->id); // its pool is gone: returning it closes it
        orphans_.erase(orphans_.begin() + static_cast<std::ptrdiff_t>(k));
      }
      break;
    }
  }

  void do_advance(const op& o) {
    duration d{};
    switch (o.a % 4) {
    case 0: d = std::chrono::milliseconds(o.d % 1000); break;
    case 1: d = std::chrono::seconds(o.d % 30); break;
    case 2: d = std::chrono::minutes(o.d % 3); break;
    default: { // exactly a limit: the ">=" edges
      const duration limits[] = {s_.max_idle_time, s_.max_age, s_.health_check_interval, 1s};
      d = limits[o.d % 4];
      break;
    }
    }
    clock_.advance(d);
  }

  void do_maintain(const op& o) {
    const bool stopped = o.a % 4 == 3;
    std::stop_source st;
    if (stopped) st.request_stop();
    connpool::maintenance_report want;
    {
      std::lock_guard lk(mu_);
      maybe_late_.clear();
    }
    const auto r =
        pool_->maintain(stopped ? context::background().with_stop_token(st.get_token()) : context::background());
    std::vector<int> late, closed_now;
    {
      std::lock_guard lk(mu_);
      late = maybe_late_;
      closed_now = step_closes_;
    }
    auto in = [](const std::vector<int>& v, int id) { return std::find(v.begin(), v.end(), id) != v.end(); };
    if (!m_.closed) {
      const time_point t = now();
      std::vector<mconn> keep;
      for (const mconn& c : m_.idle) {
        const int x = m_expiry(c, t);
        if (x == 0) {
          keep.push_back(c);
          continue;
        }
        (x == 2 ? want.age_closed : want.idle_closed)++;
        m_count_expiry(x);
        m_close(c.id);
      }
      m_.idle = std::move(keep);
      if (s_.ping && s_.health_check_interval > duration::zero() && t >= m_.next_health_check) {
        m_.next_health_check = t + s_.health_check_interval;
        std::vector<mconn> check = std::move(m_.idle);
        m_.idle.clear();
        for (const mconn& c : check) {
          bool ok = true;
          if (!stopped) {
            const int mode = fault_of(c.id) & ping_mask;
            // with a health_check_timeout a slow ping is late; without one it is not
            ok = mode == ping_ok || (mode == ping_slow && s_.health_check_timeout == duration::zero());
            // a healthy ping under health_check_timeout that the pool found late (preempted)
            if (ok && mode == ping_ok && in(late, c.id) && in(closed_now, c.id)) {
              ok = false;
              ++t_.late_healthy_pings;
            }
            ++want.pinged;
          }
          if (ok) {
            m_place(c, false);
            continue;
          }
          ++want.ping_failures;
          ++m_.m.ping_failures;
          m_close(c.id);
        }
      }
    }
    if (r.idle_closed != want.idle_closed || r.age_closed != want.age_closed || r.pinged != want.pinged ||
        r.ping_failures != want.ping_failures)
      fail("maintain report: expected idle_closed=" + std::to_string(want.idle_closed) +
           " age_closed=" + std::to_string(want.age_closed) + " pinged=" + std::to_string(want.pinged) +
           " ping_failures=" + std::to_string(want.ping_failures) + ", got " + std::to_string(r.idle_closed) + " " +
           std::to_string(r.age_closed) + " " + std::to_string(r.pinged) + " " + std::to_string(r.ping_failures));
  }

  void do_fault(const op& o) {
    std::vector<int> live;
    for (const auto& c : m_.idle)
      live.push_back(c.id);
    for (const auto& c : m_.active)
      live.push_back(c.id);
    if (live.empty()) return;
    const int id = live[o.a % live.size()];
    std::lock_guard lk(mu_);
    auto& f = faults_[static_cast<std::size_t>(id)];
    switch (o.b % 5) {
    case 0: f = static_cast<std::uint8_t>(f & ~ping_mask); break;
    case 1: f = static_cast<std::uint8_t>((f & ~ping_mask) | ping_false); break;
    case 2: f = static_cast<std::uint8_t>((f & ~ping_mask) | ping_throw); break;
    case 3: f = static_cast<std::uint8_t>((f & ~ping_mask) | ping_slow); break;
    default: f = static_cast<std::uint8_t>(f ^ close_throws); break;
    }
  }

  void do_close(const op& o) {
    const int mode = o.a % 3; // 0 expired deadline, 1 stopped, 2 drain: a helper returns every lease
    const bool throwing = o.b & 1;
    m_.closed = true;
    for (const auto& c : m_.idle)
      m_close(c.id);
    m_.idle.clear();
    std::error_code expected;
    std::stop_source st;
    context ctx = context::background();
    if (mode == 0) ctx = context::with_deadline(std::chrono::steady_clock::now() - 1s);
    if (mode == 1) {
      st.request_stop();
      ctx = context::background().with_stop_token(st.get_token());
    }
    std::vector<std::error_code> helper_ecs(leases_.size()), helper_expected(leases_.size());
    const bool drain = mode == 2 && !m_.active.empty();
    if (drain) {
      // each lease comes back by put, discard or its destructor, chosen by d's bits
      for (std::size_t i = 0; i < leases_.size(); ++i) {
        if (ids_[i] == 0) continue;
        auto c = m_take_active(ids_[i]);
        if (!c) return;
        const int how = (o.d >> (2 * (i % 8))) % 3;
        (how == 1 ? m_.m.discards : m_.m.puts)++;
        m_close(c->id);
        if (how == 0) helper_expected[i] = errc::pool_closed;
      }
      auto& p = *pool_;
      helper_->arm([&p] { return p.is_closed(); },
                   [&, d = o.d] {
                     for (std::size_t i = 0; i < leases_.size(); ++i) {
                       if (ids_[i] == 0) continue;
                       const int how = (d >> (2 * (i % 8))) % 3;
                       if (how == 0)
                         p.put(leases_[i], helper_ecs[i]);
                       else if (how == 1)
                         p.discard(leases_[i], helper_ecs[i]);
                       else
                         leases_[i] = {};
                     }
                   });
    } else if (!m_.active.empty()) {
      if (mode == 2) ctx = context::with_deadline(std::chrono::steady_clock::now() - 1s);
      ++m_.m.close_timeouts;
      expected = errc::close_timeout;
    }
    std::error_code ec;
    if (throwing) {
      try {
        pool_->close(ctx);
      } catch (const std::system_error& e) {
        ec = e.code();
      }
    } else {
      pool_->close(ctx, ec);
    }
    if (drain) {
      if (!helper_->finish()) fail("close: the helper did not see the pool closed");
      for (std::size_t i = 0; i < leases_.size(); ++i) {
        expect_ec("put/discard while draining", helper_expected[i], helper_ecs[i]);
        if (leases_[i]) fail("a drained lease still holds a connection");
        ids_[i] = 0;
      }
    }
    expect_ec("close", expected, ec);
  }

  void account_pool() {
    const auto& m = m_.m;
    t_.gets += m.gets;
    t_.hits += m.hits;
    t_.misses += m.misses;
    t_.waits += m.waits;
    t_.timeouts += m.timeouts;
    t_.cancellations += m.cancellations;
    t_.puts += m.puts;
    t_.discards += m.discards;
    t_.close_timeouts += m.close_timeouts;
    t_.idle_closed += m.idle_closed;
    t_.age_closed += m.age_closed;
    t_.ping_failures += m.ping_failures;
    t_.factory_failures += m.factory_failures;
    t_.close_errors += m.close_errors;
    t_.created += m.created;
    t_.closed += m.closed;
  }

  // ~pool with leases out: idle ones close now, leases close when returned.
  void destroy_pool() {
    for (const auto& c : m_.idle)
      m_close(c.id);
    m_.idle.clear();
    m_.closed = true;
    pool_.reset();
    for (std::size_t i = 0; i < leases_.size(); ++i)
      if (ids_[i] != 0) orphans_.push_back(std::move(leases_[i]));
    leases_.clear();
    ids_.clear();
    // the orphans' closes happen later, outside this model's metrics
    m_.m.closed += m_.active.size();
    account_pool();
  }

  void do_destroy(const op& o) {
    destroy_pool();
    start_pool(o.d);
  }

  void execute(const op& o) {
    // A closed pool answers everything with pool_closed: mostly replace it
    // soon (1 op in 16 on a closed pool becomes a destroy) so most steps run
    // on an open one.
    if (m_.closed && o.k != kind::destroy && o.d % 16 == 0) return do_destroy(o);
    {
      std::lock_guard lk(mu_);
      factory_fail_ = o.k == kind::get && (o.b & 1);
    }
    switch (o.k) {
    case kind::get: do_get(o); break;
    case kind::put:
    case kind::discard: do_return(o); break;
    case kind::drop: do_drop(o); break;
    case kind::reassign: do_reassign(o); break;
    case kind::invalid_return: do_invalid_return(o); break;
    case kind::foreign: do_foreign(o); break;
    case kind::advance: do_advance(o); break;
    case kind::maintain: do_maintain(o); break;
    case kind::fault: do_fault(o); break;
    case kind::close: do_close(o); break;
    case kind::destroy: do_destroy(o); break;
    default: break;
    }
    std::lock_guard lk(mu_);
    factory_fail_ = false;
  }

  void finish() {
    destroy_pool();
    for (const auto& l : orphans_)
      expected_closes_.push_back(l->id); // returned into closed cores
    orphans_.clear();
    foreign_leases_.clear();
    foreign_.reset();
  }

  void check_step(bool pool_alive = true) {
    std::vector<int> got, want = expected_closes_;
    {
      std::lock_guard lk(mu_);
      got = step_closes_;
      if (!violation_.empty()) return fail(violation_);
    }
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    if (got != want) {
      auto list = [](const std::vector<int>& v) {
        std::string s = "[";
        for (int x : v)
          s += std::to_string(x) + " ";
        return s + "]";
      };
      return fail("closed connections " + list(got) + ", the model expected " + list(want));
    }
    if (!pool_alive) return;
    const connpool::metrics a = pool_->stats();
    connpool::metrics e = m_.m;
    e.open = m_open();
    e.idle = m_.idle.size();
    e.active = m_.active.size();
    e.waiting = 0;
    struct field {
      const char* name;
      std::uint64_t want, got;
    };
    const field fields[] = {{"gets", e.gets, a.gets},
                            {"puts", e.puts, a.puts},
                            {"discards", e.discards, a.discards},
                            {"hits", e.hits, a.hits},
                            {"misses", e.misses, a.misses},
                            {"waits", e.waits, a.waits},
                            {"timeouts", e.timeouts, a.timeouts},
                            {"ping_failures", e.ping_failures, a.ping_failures},
                            {"idle_closed", e.idle_closed, a.idle_closed},
                            {"age_closed", e.age_closed, a.age_closed},
                            {"factory_failures", e.factory_failures, a.factory_failures},
                            {"close_timeouts", e.close_timeouts, a.close_timeouts},
                            {"max_active", e.max_active, a.max_active},
                            {"cancellations", e.cancellations, a.cancellations},
                            {"close_errors", e.close_errors, a.close_errors},
                            {"created", e.created, a.created},
                            {"closed", e.closed, a.closed},
                            {"open", e.open, a.open},
                            {"idle", e.idle, a.idle},
                            {"active", e.active, a.active},
                            {"waiting", e.waiting, a.waiting}};
    std::string diff;
    for (const auto& f : fields)
      if (f.want != f.got)
        diff +=
            std::string(" ") + f.name + ": expected " + std::to_string(f.want) + ", got " + std::to_string(f.got) + ";";
    if (!diff.empty()) return fail("metrics differ:" + diff);
    if (a.open > s_.max_size) return fail("open " + std::to_string(a.open) + " > max_size");
    if (a.idle > m_.max_idle) return fail("idle " + std::to_string(a.idle) + " > max_idle");
    if (pool_->size() != a.open || pool_->idle_count() != a.idle) fail("size()/idle_count() disagree with stats()");
    std::vector<int> held;
    for (std::size_t i = 0; i < leases_.size(); ++i) {
      if (static_cast<bool>(leases_[i]) != (ids_[i] != 0) || (leases_[i] && leases_[i]->id != ids_[i]))
        return fail("lease " + std::to_string(i) + " holds " +
                    (leases_[i] ? std::to_string(leases_[i]->id) : "nothing") + ", the model says " +
                    std::to_string(ids_[i]));
      if (ids_[i]) held.push_back(ids_[i]);
    }
    for (const auto& l : orphans_)
      held.push_back(l->id);
    for (const auto& c : m_.idle)
      held.push_back(c.id);
    std::sort(held.begin(), held.end());
    if (std::adjacent_find(held.begin(), held.end()) != held.end())
      return fail("a connection is leased (or idle) twice at once");
  }

  void check_all_closed_once() {
    std::lock_guard lk(mu_);
    if (!violation_.empty()) return fail(violation_);
    for (std::size_t id = 1; id < closes_.size(); ++id)
      if (closes_[id] != 1)
        return fail("connection " + std::to_string(id) + " closed " + std::to_string(closes_[id]) +
                    " times by the end");
    for (std::size_t i = 0; i < foreign_closes_.size(); ++i)
      if (foreign_closes_[i] != 1) return fail("a foreign pool's connection was not closed exactly once");
  }

  const std::uint32_t first_seed_;
  connpool::manual_clock clock_;
  std::stop_source hang_;
  helper* helper_ = nullptr;

  std::mutex mu_;
  int made_ = 0;                        // guarded by mu_
  std::vector<int> closes_{0};          // guarded by mu_; id -> times closed (index 0 unused)
  std::vector<std::uint8_t> faults_{0}; // guarded by mu_; id -> fault_bits
  std::vector<int> foreign_closes_;     // guarded by mu_
  std::vector<int> step_closes_;        // guarded by mu_; closes seen during this step
  std::string violation_;               // guarded by mu_
  bool factory_fail_ = false;           // guarded by mu_
  std::vector<int> maybe_late_;         // guarded by mu_; healthy pings that ran under a near deadline

  settings s_;
  model m_;
  std::vector<int> expected_closes_;
  std::unique_ptr<connpool::pool<conn>> pool_;
  std::vector<connpool::lease<conn>> leases_;
  std::vector<int> ids_; // the model's view of leases_: connection id, 0 = empty
  std::vector<connpool::lease<conn>> orphans_;
  std::unique_ptr<connpool::pool<conn>> foreign_;
  std::vector<connpool::lease<conn>> foreign_leases_;

  std::string error_;
  totals t_;
};

// ---- shrinking ---------------------------------------------------------------------

/// Delta debugging (chunk removal): the shortest sub-sequence of `ops` it can
/// find for which `fails` still holds, within `budget`.
template <class Fails>
std::vector<op> shrink(std::vector<op> ops, Fails fails, std::chrono::steady_clock::duration budget = 60s) {
  const auto end = std::chrono::steady_clock::now() + budget;
  std::size_t parts = 2;
  while (ops.size() >= 2 && std::chrono::steady_clock::now() < end) {
    const std::size_t chunk = (ops.size() + parts - 1) / parts;
    bool reduced = false;
    for (std::size_t start = 0; start < ops.size() && std::chrono::steady_clock::now() < end; start += chunk) {
      std::vector<op> candidate(ops.begin(), ops.begin() + static_cast<std::ptrdiff_t>(start));
      candidate.insert(candidate.end(), ops.begin() + static_cast<std::ptrdiff_t>(std::min(start + chunk, ops.size())),
                       ops.end());
      if (fails(candidate)) {
        ops = std::move(candidate);
        parts = std::max<std::size_t>(parts - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (chunk == 1) break;
      parts = std::min(parts * 2, ops.size());
    }
  }
  return ops;
}

} // namespace pool_model
