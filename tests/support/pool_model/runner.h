// Test support, pool model: the runner. It drives a real pool and the
// reference model side by side through a sequence of operations and checks
// after every step that they agree (see ../pool_model.h for what is
// modelled and what is checked).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "common.h"
#include "helper_thread.h"
#include "operations.h"
#include "settings.h"
#include "totals.h"

namespace pool_model {

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
  static constexpr int no_flag = -1;

  struct mconn {
    int id = 0;
    time_point created, returned;
    std::uint32_t slot = 0;
    std::uint64_t seq = 0; // idle_order::fifo: when it last went idle
    int flag = no_flag;    // the close_reason it retires for when it comes back (drain, shrink)
  };
  // connpool::detail::retirement_budget, same arithmetic.
  struct budget_model {
    double rate = 0, tokens = 0;
    time_point last{};
    bool started = false;
    bool take(time_point now) {
      if (rate <= 0) return true;
      if (!started) {
        started = true;
        tokens = rate;
      } else if (now > last) {
        tokens = std::min(rate, tokens + rate * std::chrono::duration<double>(now - last).count());
      }
      last = std::max(last, now);
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    }
  };
  // The breaker, its jitter as a window: the probe may go at some point in [lo, hi].
  struct breaker_model {
    duration initial{}, max_delay{};
    bool open = false;
    duration delay{};
    time_point lo{}, hi{};
  };
  struct model {
    bool closed = false;
    std::vector<mconn> idle; // no order: slots and seq say what the pool does
    std::vector<mconn> active;
    connpool::metrics m;
    time_point next_health_check;
    // settings that set_* change
    std::size_t max_size = 0, max_idle = 0, min_idle = 0;
    bool track_idle = false; // config.max_idle set: idle is limited (and set_max_idle allowed)
    duration max_idle_time{}, max_age{}, health_check_interval{};
    time_point limits_since{};       // idle time counts from here at the earliest
    std::vector<std::uint32_t> free; // back: the next slot a dial takes
    std::uint32_t high_water = 0;
    std::uint64_t seq = 0;
    int made = 0;            // connections the factory made (ids), all pools
    std::size_t claimed = 0; // claimed by maintain while it dials a replacement: still open
    budget_model budget;
    breaker_model breaker;
    // The slot the calling (main) thread last put a connection back into the
    // idle list from (put, a lease's destructor, lease move-assignment; not a
    // put that closed it; 0 before any): get claims it first.
    std::uint32_t hint = 0;
    // The main thread used another pool (the foreign pool, or an orphan's
    // destroyed one) since it set `hint`. The pool keeps its per-thread hint
    // in a small per-thread cache of pools (counters.cppm, 4 ways) that such
    // a call may evict (the hint restarts at 0), so `hint` is then not binding.
    bool hint_unsure = false;
  };
  // The verdict of get's checks on an idle connection.
  enum verdict : int { usable = 0, stale_idle_time = 1, stale_max_age = 2, ping_failed = 3 };
  struct prediction {
    bool waits = false;
    std::error_code ec;
    int id = 0;
    // The pool chooses: it must hand out an idle, usable one after closing
    // idle unusable ones; do_get checks its choice and then follows it.
    bool choice = false;
    std::vector<int> good, bad;
    int hint_candidate = 0; // an idle hint that is not binding (hint_unsure)
    // None usable under an unsure hint: closed in the order the model
    // assumed; do_get reorders the free slots after the order observed.
    std::vector<int> assumed_order;
    std::size_t free_base = 0;
    int created_after = 0; // the connection dialed right after them
  };
  enum class fill { created, enough, no_room, failed, rejected };

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
    // 0 for a connection the model predicted but the pool has not made (a
    // disagreement reported at the end of the step)
    return static_cast<std::size_t>(id) < faults_.size() ? faults_[static_cast<std::size_t>(id)] : 0;
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
    c.max_size_limit = s.max_size_limit;
    c.min_idle = s.min_idle;
    c.order = s.fifo ? connpool::idle_order::fifo : connpool::idle_order::lifo;
    c.backoff_initial = s.backoff_initial;
    c.backoff_max = s.backoff_max;
    c.max_retirements_per_second = s.max_retirements_per_second;
    return c;
  }

  void start_pool(std::uint32_t seed) {
    s_ = settings::from_seed(seed);
    const int made = m_.made;
    m_ = model{};
    m_.made = made;
    m_.max_size = s_.max_size;
    m_.track_idle = s_.max_idle.has_value();
    m_.max_idle = s_.max_idle.value_or(s_.max_size);
    m_.min_idle = s_.min_idle;
    m_.max_idle_time = s_.max_idle_time;
    m_.max_age = s_.max_age;
    m_.health_check_interval = s_.health_check_interval;
    m_.next_health_check = clock_.now() + s_.health_check_interval;
    for (std::size_t i = s_.capacity(); i-- > 0;)
      m_.free.push_back(static_cast<std::uint32_t>(i));
    m_.budget.rate = s_.max_retirements_per_second;
    m_.breaker.initial = s_.backoff_initial;
    m_.breaker.max_delay = s_.backoff_max > duration::zero() ? s_.backoff_max : s_.backoff_initial * 32;
    pool_ = std::make_unique<connpool::pool<conn>>(make_config(s_));
    ++t_.pools;
  }

  // ---- the model ----
  time_point now() const { return clock_.now(); }
  static std::size_t reason(close_reason r) { return static_cast<std::size_t>(r); }
  void m_close(const mconn& c, close_reason why) {
    ++m_.m.closed;
    ++m_.m.closed_by[reason(why)];
    expected_closes_.push_back(c.id);
    if (fault_of(c.id) & close_throws) ++m_.m.close_errors;
    m_.free.push_back(c.slot);
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
    return m_.max_age > duration::zero() && t - c.created >= m_.max_age;
  }
  // 0 fresh, 1 past max_idle_time, 2 past max_age (age first)
  int m_expiry(const mconn& c, time_point t) const {
    if (m_aged(c, t)) return 2;
    if (m_.max_idle_time > duration::zero() && t - std::max(c.returned, m_.limits_since) >= m_.max_idle_time) return 1;
    return 0;
  }
  bool m_stamps() const { return m_.max_idle_time > duration::zero() || m_.max_age > duration::zero(); }
  // max_retirements_per_second: may a max_age retirement happen now?
  bool m_retire_allowed(time_point t) {
    if (m_.budget.take(t)) return true;
    ++t_.retirements_deferred;
    return false;
  }
  std::size_t m_open() const { return m_.idle.size() + m_.active.size() + m_.claimed; }
  std::vector<mconn> by_slot(std::vector<mconn> v) const {
    std::sort(v.begin(), v.end(), [](const mconn& x, const mconn& y) { return x.slot < y.slot; });
    return v;
  }

  // ---- the breaker ----
  bool m_may_dial() {
    auto& b = m_.breaker;
    if (!b.open) return true;
    const time_point t = now();
    if (t < b.lo) return false;
    if (t < b.hi) fail("model: a dial inside the breaker's jitter window (the runner should have skipped it)");
    return true;
  }
  void m_breaker_failed() {
    auto& b = m_.breaker;
    if (b.initial <= duration::zero()) return;
    const bool was_open = b.open;
    b.delay = was_open ? std::min<duration>(b.delay * 2, b.max_delay) : b.initial;
    b.lo = now() + b.delay / 2;
    b.hi = now() + b.delay;
    b.open = true;
    if (!was_open) ++m_.m.circuit_opens;
  }
  /// Before an op that may dial: step past the breaker's jitter window.
  void skip_breaker_window() {
    const auto& b = m_.breaker;
    if (!b.open || m_.closed) return;
    const time_point t = now();
    if (t >= b.lo && t < b.hi) {
      clock_.advance(b.hi - t);
      ++t_.breaker_skips;
    }
  }

  /// The factory runs (the breaker let it): a new connection in the slot on
  /// top of the free stack, or nothing (the factory threw).
  std::optional<mconn> m_dial(bool factory_fails) {
    const std::uint32_t slot = m_.free.back();
    m_.free.pop_back();
    m_.high_water = std::max(m_.high_water, slot + 1);
    if (factory_fails) {
      ++m_.m.factory_failures;
      m_breaker_failed();
      m_.free.push_back(slot);
      return std::nullopt;
    }
    ++m_.m.created;
    m_.breaker.open = false;
    const time_point t = now();
    return mconn{++m_.made, t, t, slot, 0, no_flag};
  }
  prediction m_end(std::error_code ended) {
    (ended == errc::cancelled ? m_.m.cancellations : m_.m.timeouts)++;
    return {false, ended, 0};
  }
  // get dials in the caller's thread (capacity is free)
  prediction m_create(bool factory_fails, bool throwing) {
    if (!m_may_dial()) {
      ++m_.m.circuit_rejects;
      // no dial: circuit_open (the throwing form nests the last factory error)
      return {false, errc::circuit_open, 0};
    }
    auto c = m_dial(factory_fails);
    if (!c) return {false, errc::factory_failed, 0};
    ++m_.m.misses;
    m_lease_out(*c);
    return {false, {}, c->id};
  }
  /// Capacity was freed while the main thread waits: it is granted (and
  /// dials), or the breaker fails it. false: nothing for the waiter.
  bool m_grant(bool factory_fails, bool throwing, prediction& p) {
    if (m_.closed || m_open() >= m_.max_size) return false;
    const prediction c = m_create(factory_fails, throwing);
    p.ec = c.ec;
    p.id = c.id;
    return true;
  }

  /// What get's checks make of an idle connection (a get's deadline is far
  /// or none once it reaches the idle list: a slow ping is in time). Takes
  /// from the retirement budget like the pool (`b`: the real one or a copy).
  verdict m_verdict(const mconn& c, budget_model& b) {
    if (m_stamps()) {
      const time_point t = now();
      const int x = m_expiry(c, t);
      if (x == 1) return stale_idle_time;
      if (x == 2) {
        if (b.take(t)) return stale_max_age;
        if (&b == &m_.budget) ++t_.retirements_deferred;
      }
    }
    if (s_.ping) {
      const int mode = fault_of(c.id) & ping_mask;
      if (mode != ping_ok && mode != ping_slow) return ping_failed;
    }
    return usable;
  }
  /// A connection get found unusable: counted and closed.
  void m_reject(const mconn& c, verdict v) {
    if (v == ping_failed) {
      ++m_.m.ping_failures;
      return m_close(c, close_reason::ping_failed);
    }
    if (v == stale_max_age) {
      ++m_.m.age_closed;
      return m_close(c, close_reason::max_age);
    }
    ++m_.m.idle_closed;
    m_close(c, close_reason::idle_time);
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
  const mconn* m_idle_at(std::uint32_t slot) const {
    for (const mconn& c : m_.idle)
      if (c.slot == slot) return &c;
    return nullptr;
  }

  /// get() up to the point where it would wait. fifo: the one idle the
  /// longest, exactly. lifo: the hint slot first (binding unless
  /// hint_unsure), then the pool's choice (a prediction with `choice`) unless
  /// none of the rest is usable.
  prediction m_get(std::error_code ended, bool factory_fails, bool throwing) {
    ++m_.m.gets;
    if (m_.closed) return {false, errc::pool_closed, 0};
    prediction p;
    if (!m_.idle.empty()) {
      if (ended) return m_end(ended);
      if (s_.fifo) {
        while (!m_.idle.empty()) {
          auto it = std::min_element(m_.idle.begin(), m_.idle.end(),
                                     [](const mconn& x, const mconn& y) { return x.seq < y.seq; });
          const mconn c = *it;
          m_.idle.erase(it);
          if (const verdict v = m_verdict(c, m_.budget); v == usable) {
            m_lease_out(c);
            ++m_.m.hits;
            return {false, {}, c.id};
          } else {
            m_reject(c, v);
          }
        }
      } else {
        const mconn* h = m_idle_at(m_.hint);
        if (h && (!m_.hint_unsure || m_.hint == 0)) {
          ++t_.hint_firsts;
          const mconn c = m_take_idle(h->id);
          if (const verdict v = m_verdict(c, m_.budget); v == usable) {
            m_lease_out(c);
            ++m_.m.hits;
            return {false, {}, c.id};
          } else {
            m_reject(c, v);
          }
          h = nullptr;
        }
        // The rest in the pool's order (an unsure hint first, then lowest
        // slot first), on a copy of the retirement budget: is any usable?
        std::vector<mconn> order = by_slot(m_.idle);
        if (h) {
          p.hint_candidate = h->id;
          const auto it =
              std::find_if(order.begin(), order.end(), [hid = h->id](const mconn& c) { return c.id == hid; });
          std::rotate(order.begin(), it, it + 1);
        }
        budget_model b = m_.budget;
        for (const mconn& c : order)
          (m_verdict(c, b) == usable ? p.good : p.bad).push_back(c.id);
        if (!p.good.empty()) {
          p.choice = true;
          return p;
        }
        // none usable: the pool meets and closes them all, in that order
        if (h && order.size() >= 2) p.free_base = m_.free.size();
        for (const mconn& c : order) {
          if (h && order.size() >= 2) p.assumed_order.push_back(c.id);
          m_reject(c, m_verdict(m_take_idle(c.id), m_.budget));
        }
      }
    }
    if (m_open() < m_.max_size) {
      if (ended) return m_end(ended);
      prediction c = m_create(factory_fails, throwing);
      c.assumed_order = std::move(p.assumed_order);
      c.free_base = p.free_base;
      c.created_after = c.id;
      return c;
    }
    if (ended) return m_end(ended);
    ++m_.m.waits;
    p.waits = true;
    return p;
  }

  /// After the pool's get: is its choice among the idle connections legal
  /// (the closes of this step so far, in order, are the hint's if it was
  /// rejected, then only idle connections unusable when met; the one handed
  /// out is idle and usable)? Then the model follows it.
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
      if (!m_is_idle(id)) return fail("get: closed connection " + std::to_string(id) + ", not an idle one" + legal);
      const mconn c = m_take_idle(id);
      const verdict v = m_verdict(c, m_.budget);
      if (v == usable) return fail("get: closed connection " + std::to_string(id) + ", an idle usable one" + legal);
      m_reject(c, v);
    }
    if (ec || !got)
      return fail("get: " + ec_name(ec) + (got ? "" : ", no connection") + " with a usable idle connection" + legal);
    const int id = got->id;
    if (!m_is_idle(id)) return fail("get: handed connection " + std::to_string(id) + ", not an idle one" + legal);
    const mconn c = m_take_idle(id);
    if (m_verdict(c, m_.budget) != usable)
      return fail("get: handed connection " + std::to_string(id) + ", not a usable one" + legal);
    if (p.hint_candidate != 0 && id != p.hint_candidate && (closes.empty() || closes.front() != p.hint_candidate))
      ++t_.hints_forgotten;
    ++t_.free_choices;
    m_lease_out(c);
    ++m_.m.hits;
    p.id = id;
    p.ec = {};
  }
  /// None usable under an unsure hint: the pool closed them in the order it
  /// chose (its hint may have been forgotten): the free slots follow that order.
  void m_reorder_closes(const prediction& p) {
    std::vector<int> seen;
    {
      std::lock_guard lk(mu_);
      for (int id : step_closes_)
        if (std::find(p.assumed_order.begin(), p.assumed_order.end(), id) != p.assumed_order.end()) seen.push_back(id);
    }
    if (seen == p.assumed_order || seen.size() != p.assumed_order.size()) return;
    ++t_.hints_forgotten;
    // the slots were pushed in assumed order at free_base; a dial may have popped the last one
    std::vector<std::uint32_t> pushed(m_.free.begin() + static_cast<std::ptrdiff_t>(p.free_base), m_.free.end());
    std::vector<std::uint32_t> order;
    const bool popped = p.created_after != 0;
    std::vector<std::uint32_t> assumed_slots = pushed;
    if (popped) {
      auto it =
          std::find_if(m_.active.begin(), m_.active.end(), [&p](const mconn& c) { return c.id == p.created_after; });
      if (it == m_.active.end()) return;
      assumed_slots.push_back(it->slot);
    }
    if (assumed_slots.size() != seen.size()) return;
    for (int id : seen) {
      const auto k = static_cast<std::size_t>(std::find(p.assumed_order.begin(), p.assumed_order.end(), id) -
                                              p.assumed_order.begin());
      order.push_back(assumed_slots[k]);
    }
    if (popped) {
      auto it =
          std::find_if(m_.active.begin(), m_.active.end(), [&p](const mconn& c) { return c.id == p.created_after; });
      it->slot = order.back();
      order.pop_back();
    }
    m_.free.resize(p.free_base);
    m_.free.insert(m_.free.end(), order.begin(), order.end());
  }

  enum class returned { idle, closed, handed };
  /// put / a lease's destructor / lease move-assignment (`main`: by the main
  /// thread, whose hint it sets when it keeps the connection), with or
  /// without a waiter queued. `ec`: the put's result.
  returned m_return(mconn& c, bool main, bool waiter, std::error_code* ec = nullptr) {
    const time_point t = now();
    if (m_.closed) {
      m_close(c, close_reason::pool_closed);
      if (ec) *ec = errc::pool_closed;
      return returned::closed;
    }
    if (m_.max_idle_time > duration::zero()) c.returned = t;
    if (s_.fifo) c.seq = ++m_.seq;
    if (m_aged(c, t) && m_retire_allowed(t)) {
      ++m_.m.age_closed;
      m_close(c, close_reason::max_age);
      return returned::closed;
    }
    if (c.flag != no_flag) {
      // retiring (drain, shrink): a shrink's only while still over max_size
      if (c.flag != reason(close_reason::resized) || m_open() + 1 > m_.max_size) {
        m_close(c, static_cast<close_reason>(c.flag));
        return returned::closed;
      }
      c.flag = no_flag;
      if (waiter) return returned::handed;
    }
    if (m_.track_idle && m_.idle.size() >= m_.max_idle) {
      if (waiter) return returned::handed;
      m_close(c, close_reason::idle_overflow);
      return returned::closed;
    }
    if (waiter) return returned::handed;
    if (main) {
      m_.hint = c.slot;
      m_.hint_unsure = false;
    }
    m_.idle.push_back(c);
    return returned::idle;
  }

  /// fill_one: one idle connection made when fewer than `target` are idle.
  fill m_fill(std::size_t target, bool factory_fails) {
    if (target == 0) return fill::enough;
    if (m_.closed) return fill::no_room;
    if (m_.idle.size() >= target) return fill::enough;
    if (m_open() >= m_.max_size) return fill::no_room;
    if (!m_may_dial()) return fill::rejected;
    auto c = m_dial(factory_fails);
    if (!c) return fill::failed;
    if (s_.fifo) c->seq = ++m_.seq;
    if (m_.track_idle && m_.idle.size() >= m_.max_idle)
      m_close(*c, close_reason::idle_overflow);
    else
      m_.idle.push_back(*c);
    return fill::created;
  }

  /// Up to `n` connections retire (drain, shrink): idle ones lowest slot
  /// first are taken (the caller closes them), then leased ones lowest slot
  /// first are flagged (skipping those flagged already). Returns how many.
  std::size_t m_mark_excess(std::size_t n, close_reason why, std::vector<mconn>& idle) {
    std::size_t done = 0;
    for (const mconn& c : by_slot(m_.idle)) {
      if (done >= n) break;
      idle.push_back(m_take_idle(c.id));
      ++done;
    }
    // Then the leased ones, lowest slot first.
    std::vector<mconn*> order;
    for (mconn& c : m_.active)
      order.push_back(&c);
    std::sort(order.begin(), order.end(), [](const mconn* x, const mconn* y) { return x->slot < y->slot; });
    for (mconn* e : order) {
      if (done >= n) break;
      mconn& c = *e;
      // a drain retires every connection, one a shrink flagged included
      const bool reflag = why == close_reason::drained && c.flag == reason(close_reason::resized);
      if (c.flag != no_flag && !reflag) continue;
      c.flag = static_cast<int>(reason(why));
      ++done;
      ++t_.resize_flags;
    }
    return done;
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
      return thrown_code(e);
    }
  }
  // A pool error's code; circuit_open must carry the last factory error
  // nested (else: protocol_error, which no prediction expects).
  static std::error_code thrown_code(const std::system_error& e) {
    if (e.code() != errc::circuit_open) return e.code();
    try {
      std::rethrow_if_nested(e);
    } catch (const factory_error&) {
      return e.code();
    } catch (...) {
    }
    return std::make_error_code(std::errc::protocol_error);
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
    prediction pred = m_get(ended, factory_fails, throwing);
    int action = o.c % 6;
    std::error_code helper_ec;
    std::error_code helper_expected;
    std::size_t target = 0;
    if (pred.waits) {
      if (live_lease_count() == 0) return fail("model: a get waits but no lease is out");
      target = live_lease(o.d);
      const int tid = ids_[target];
      // A return ends the wait when the waiter is handed the connection or
      // inherits a freed slot (and dials, or the breaker fails it); it may
      // not (a shrink's retiring connection while still over max_size): then
      // the helper cancels instead.
      if (action >= 1 && action <= 3) {
        const model saved = m_;
        const std::vector<int> saved_closes = expected_closes_;
        auto c = m_take_active(tid);
        if (!c) return;
        bool ends = false;
        if (action == 2) {
          ++m_.m.discards;
          m_close(*c, close_reason::discarded);
          ends = m_grant(factory_fails, throwing, pred);
        } else {
          ++m_.m.puts;
          const returned r = m_return(*c, false, true);
          if (r == returned::handed) {
            m_lease_out(*c);
            ++m_.m.hits;
            pred.id = c->id;
            ends = true;
          } else {
            ends = m_grant(factory_fails, throwing, pred);
          }
        }
        if (ends) {
          ids_[target] = 0;
        } else {
          m_ = saved;
          expected_closes_ = saved_closes;
          action = 0;
        }
      }
      std::size_t grow_to = 0;
      if (action == 5) {
        grow_to = m_open() + 1 + o.d % 3;
        if (grow_to > s_.capacity()) grow_to = s_.capacity();
        if (grow_to <= m_open()) {
          action = 0;
        } else {
          ++t_.grows_serving_waiter;
          m_.max_size = grow_to;
          if (!m_.track_idle) m_.max_idle = grow_to;
          m_grant(factory_fails, throwing, pred);
        }
      }
      auto& p = *pool_;
      auto& l = leases_[target];
      auto waiting = [&p] { return p.stats().waiting >= 1; };
      std::function<void()> act;
      switch (action) {
      case 0:
        act = [&own] { own.request_stop(); };
        ++m_.m.cancellations;
        pred.ec = errc::cancelled;
        break;
      case 1: act = [&] { p.put(l, helper_ec); }; break;
      case 2: act = [&] { p.discard(l, helper_ec); }; break;
      case 3: act = [&] { l = {}; }; break;
      case 4:
        act = [&] { p.close(context::with_deadline(std::chrono::steady_clock::now() - 1s), helper_ec); };
        m_.closed = true; // idle is empty while someone waits
        ++m_.m.close_timeouts;
        helper_expected = errc::close_timeout;
        pred.ec = errc::pool_closed;
        break;
      default: act = [&p, &helper_ec, grow_to] { p.set_max_size(grow_to, helper_ec); }; break;
      }
      helper_->arm(waiting, std::move(act));
    }
    if (!ctx) {
      // Not ended: a far deadline or none, and a stop token that only the
      // helper (cancel) or the hang watchdog triggers.
      const auto token = pred.waits && action == 0 ? own.get_token() : hang_.get_token();
      ctx = (o.a % 8 >= 3 && o.a % 8 <= 5 ? context::with_timeout(1h) : context::background()).with_stop_token(token);
    }
    connpool::lease<conn> got;
    const std::error_code ec = run_get(*pool_, *ctx, throwing, got);
    if (pred.waits) {
      if (!helper_->finish()) fail("get did not wait as the model predicted (or the helper timed out)");
      expect_ec("the helper's operation", helper_expected, helper_ec);
      if (action >= 1 && action <= 3 && leases_[target])
        fail("the helper's return left the lease holding a connection");
    }
    if (helper_->hung()) fail("get hung: the pool waited where the model did not");
    if (!pred.assumed_order.empty()) m_reorder_closes(pred);
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
      expected = {};
      if (discard) {
        ++m_.m.discards;
        m_close(*c, close_reason::discarded);
      } else {
        ++m_.m.puts;
        m_return(*c, true, false, &expected);
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
      m_return(*c, true, false);
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
        m_return(*c, true, false);
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
      const duration limits[] = {m_.max_idle_time, m_.max_age, m_.health_check_interval, 1s};
      d = limits[o.d % 4];
      break;
    }
    }
    clock_.advance(d);
  }
  void do_maintain(const op& o) {
    const bool stopped = o.a % 4 == 3;
    const bool factory_fails = o.b % 8 == 0;
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
      const std::uint32_t n = m_.high_water; // slots the pass visits
      if (m_stamps()) {
        for (const mconn& c : by_slot(m_.idle)) {
          if (c.slot >= n) continue;
          const int x = m_expiry(c, t);
          if (x == 0 || (x == 2 && !m_retire_allowed(t))) continue;
          const mconn gone = m_take_idle(c.id);
          if (m_.min_idle > 0) { // replace it before closing it (it still counts as open)
            m_.claimed = 1;
            want.created += m_fill(m_.min_idle, factory_fails) == fill::created;
            m_.claimed = 0;
          }
          (x == 2 ? want.age_closed : want.idle_closed)++;
          (x == 2 ? m_.m.age_closed : m_.m.idle_closed)++;
          m_close(gone, x == 2 ? close_reason::max_age : close_reason::idle_time);
        }
      }
      if (s_.ping && m_.health_check_interval > duration::zero() && t >= m_.next_health_check) {
        m_.next_health_check = t + m_.health_check_interval;
        for (const mconn& c : by_slot(m_.idle)) {
          if (stopped || c.slot >= n) continue;
          const int mode = fault_of(c.id) & ping_mask;
          // with a health_check_timeout a slow ping is late; without one it is not
          bool ok = mode == ping_ok || (mode == ping_slow && s_.health_check_timeout == duration::zero());
          // a healthy ping under health_check_timeout that the pool found late (preempted)
          if (ok && mode == ping_ok && in(late, c.id) && in(closed_now, c.id)) {
            ok = false;
            ++t_.late_healthy_pings;
          }
          ++want.pinged;
          if (ok) continue; // back to idle as it was
          ++want.ping_failures;
          ++m_.m.ping_failures;
          m_close(m_take_idle(c.id), close_reason::ping_failed);
        }
      }
      while (!stopped && m_fill(m_.min_idle, factory_fails) == fill::created)
        ++want.created;
      t_.min_idle_created += want.created;
    }
    if (r.idle_closed != want.idle_closed || r.age_closed != want.age_closed || r.pinged != want.pinged ||
        r.ping_failures != want.ping_failures || r.created != want.created)
      fail("maintain report: expected idle_closed=" + std::to_string(want.idle_closed) +
           " age_closed=" + std::to_string(want.age_closed) + " pinged=" + std::to_string(want.pinged) +
           " ping_failures=" + std::to_string(want.ping_failures) + " created=" + std::to_string(want.created) +
           ", got " + std::to_string(r.idle_closed) + " " + std::to_string(r.age_closed) + " " +
           std::to_string(r.pinged) + " " + std::to_string(r.ping_failures) + " " + std::to_string(r.created));
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
    for (const auto& c : by_slot(m_.idle))
      m_close(c, close_reason::pool_closed);
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
        m_close(*c, how == 1 ? close_reason::discarded : close_reason::pool_closed);
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

  // A runtime setter, in the form op bit b0 picks: throwing or error_code.
  template <class Set> std::error_code call_set(const op& o, Set set) {
    std::error_code ec;
    if (o.b & 1) {
      try {
        set(nullptr);
      } catch (const std::system_error& e) {
        ec = e.code();
      }
    } else {
      set(&ec);
    }
    return ec;
  }

  void do_set_max_size(const op& o) {
    std::size_t n = 0;
    switch (o.a % 8) {
    case 0:
    case 1:
    case 2: n = m_.max_size + 1 + o.d % 3; break; // grow (maybe past the limit)
    case 3:
    case 4:
    case 5: n = m_.max_size > 1 + o.d % 2 ? m_.max_size - 1 - o.d % 2 : 1; break; // shrink (maybe below min_idle)
    case 6: n = 0; break;
    default: n = o.d % 2 ? s_.capacity() + 1 : m_.max_size; break;
    }
    std::error_code want;
    std::vector<mconn> excess;
    if (n == 0 || n > s_.capacity() || n < m_.min_idle || (m_.track_idle && n < m_.max_idle)) {
      want = errc::invalid_config;
      ++t_.invalid_sets;
    } else {
      ++t_.resizes;
      m_.max_size = n;
      if (!m_.track_idle) m_.max_idle = n;
      if (m_open() > n) m_mark_excess(m_open() - n, close_reason::resized, excess);
    }
    const std::error_code ec = call_set(o, [&](std::error_code* e) {
      if (e)
        pool_->set_max_size(n, *e);
      else
        pool_->set_max_size(n);
    });
    for (const mconn& c : excess)
      m_close(c, close_reason::resized);
    expect_ec("set_max_size", want, ec);
  }

  void do_set_max_idle(const op& o) {
    const std::size_t n = o.a % (m_.max_size + 2);
    std::error_code want;
    if (!m_.track_idle || n > m_.max_size || n < m_.min_idle) {
      want = errc::invalid_config;
      ++t_.invalid_sets;
    } else {
      ++t_.resizes;
      m_.max_idle = n;
      for (const mconn& c : by_slot(m_.idle))
        if (m_.idle.size() > n) m_close(m_take_idle(c.id), close_reason::resized);
    }
    const std::error_code ec = call_set(o, [&](std::error_code* e) {
      if (e)
        pool_->set_max_idle(n, *e);
      else
        pool_->set_max_idle(n);
    });
    expect_ec("set_max_idle", want, ec);
  }

  void do_set_min_idle(const op& o) {
    const std::size_t n = o.a % (m_.max_size + 2);
    std::error_code want;
    if (n > m_.max_size || (m_.track_idle && n > m_.max_idle)) {
      want = errc::invalid_config;
      ++t_.invalid_sets;
    } else {
      m_.min_idle = n;
    }
    const std::error_code ec = call_set(o, [&](std::error_code* e) {
      if (e)
        pool_->set_min_idle(n, *e);
      else
        pool_->set_min_idle(n);
    });
    expect_ec("set_min_idle", want, ec);
  }

  void do_set_duration(const op& o) {
    static constexpr int secs[] = {0, -1, 1, 5, 10, 20, 30, 60};
    const duration d = std::chrono::seconds(secs[o.c % 8]);
    const int which = o.a % 3; // max_idle_time, max_age, health_check_interval
    std::error_code want;
    if (d < duration::zero() || (which == 2 && d > duration::zero() && !s_.ping)) {
      want = errc::invalid_config;
      ++t_.invalid_sets;
    } else if (which == 0) {
      if (m_.max_idle_time == duration::zero()) m_.limits_since = now();
      m_.max_idle_time = d;
    } else if (which == 1) {
      m_.max_age = d;
    } else {
      m_.health_check_interval = d;
      m_.next_health_check = now() + d;
    }
    const std::error_code ec = call_set(o, [&](std::error_code* e) {
      if (e) {
        if (which == 0) pool_->set_max_idle_time(d, *e);
        if (which == 1) pool_->set_max_age(d, *e);
        if (which == 2) pool_->set_health_check_interval(d, *e);
      } else {
        if (which == 0) pool_->set_max_idle_time(d);
        if (which == 1) pool_->set_max_age(d);
        if (which == 2) pool_->set_health_check_interval(d);
      }
    });
    expect_ec("set_duration", want, ec);
  }

  void do_drain(const op&) {
    std::vector<mconn> idle;
    const std::size_t want = m_mark_excess(SIZE_MAX, close_reason::drained, idle);
    ++t_.drains;
    const std::size_t got = pool_->drain();
    for (const mconn& c : idle)
      m_close(c, close_reason::drained);
    if (got != want) fail("drain: returned " + std::to_string(got) + ", the model expected " + std::to_string(want));
  }

  void do_warm_up(const op& o) {
    const bool factory_fails = o.b & 1;
    const bool throwing = o.b & 2;
    std::size_t n = o.c % (m_.max_size + 3);
    // warm_up(n > max_idle) never returns (see the banner): not asked
    // (tst_pool_model's knownBug test shows it).
    if (m_.track_idle && n > m_.max_idle) n = m_.max_idle;
    std::stop_source own;
    context ctx = context::background().with_stop_token(hang_.get_token());
    std::error_code want;
    switch (o.a % 4) {
    case 2:
      ctx = context::with_deadline(std::chrono::steady_clock::now() - 1s);
      want = errc::get_timeout;
      break;
    case 3:
      own.request_stop();
      ctx = context::background().with_stop_token(own.get_token());
      want = errc::cancelled;
      break;
    default: break;
    }
    ++t_.warm_ups;
    if (m_.closed) {
      want = errc::pool_closed;
    } else if (!want) {
      for (bool more = true; more;) {
        switch (m_fill(n, factory_fails)) {
        case fill::created: break;
        case fill::enough:
        case fill::no_room: more = false; break;
        case fill::failed:
          want = errc::factory_failed;
          more = false;
          break;
        case fill::rejected: // no dial: circuit_open (the throwing form nests the last factory error)
          want = errc::circuit_open;
          more = false;
          break;
        }
      }
    }
    std::error_code ec;
    if (throwing) {
      try {
        pool_->warm_up(n, ctx);
      } catch (const factory_error&) {
        ec = errc::factory_failed;
      } catch (const std::system_error& e) {
        ec = thrown_code(e);
      }
    } else {
      pool_->warm_up(n, ctx, ec);
    }
    if (helper_->hung()) fail("warm_up hung");
    expect_ec("warm_up", want, ec);
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
    for (std::size_t i = 0; i < connpool::close_reason_count; ++i)
      t_.closed_by[i] += m.closed_by[i];
    t_.circuit_opens += m.circuit_opens;
    t_.circuit_rejects += m.circuit_rejects;
  }

  // ~pool with leases out: idle ones close now, leases close when returned.
  void destroy_pool() {
    for (const auto& c : by_slot(m_.idle))
      m_close(c, close_reason::pool_closed);
    m_.idle.clear();
    m_.closed = true;
    pool_.reset();
    for (std::size_t i = 0; i < leases_.size(); ++i)
      if (ids_[i] != 0) orphans_.push_back(std::move(leases_[i]));
    leases_.clear();
    ids_.clear();
    // the orphans' closes happen later, outside this model's metrics
    m_.m.closed += m_.active.size();
    m_.m.closed_by[reason(close_reason::pool_closed)] += m_.active.size();
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
    if (o.k == kind::get || o.k == kind::maintain || o.k == kind::warm_up) skip_breaker_window();
    {
      std::lock_guard lk(mu_);
      factory_fail_ =
          ((o.k == kind::get || o.k == kind::warm_up) && (o.b & 1)) || (o.k == kind::maintain && o.b % 8 == 0);
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
    case kind::set_max_size: do_set_max_size(o); break;
    case kind::set_max_idle: do_set_max_idle(o); break;
    case kind::set_min_idle: do_set_min_idle(o); break;
    case kind::set_duration: do_set_duration(o); break;
    case kind::drain: do_drain(o); break;
    case kind::warm_up: do_warm_up(o); break;
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
                            {"closed_by[idle_time]", e.closed_by[0], a.closed_by[0]},
                            {"closed_by[max_age]", e.closed_by[1], a.closed_by[1]},
                            {"closed_by[ping_failed]", e.closed_by[2], a.closed_by[2]},
                            {"closed_by[discarded]", e.closed_by[3], a.closed_by[3]},
                            {"closed_by[idle_overflow]", e.closed_by[4], a.closed_by[4]},
                            {"closed_by[pool_closed]", e.closed_by[5], a.closed_by[5]},
                            {"closed_by[drained]", e.closed_by[6], a.closed_by[6]},
                            {"closed_by[resized]", e.closed_by[7], a.closed_by[7]},
                            {"circuit_opens", e.circuit_opens, a.circuit_opens},
                            {"circuit_rejects", e.circuit_rejects, a.circuit_rejects},
                            {"circuit_open", m_.breaker.open, a.circuit_open},
                            {"leaks_suspected", 0, a.leaks_suspected},
                            {"observer_errors", 0, a.observer_errors},
                            {"open", e.open, a.open},
                            {"idle", e.idle, a.idle},
                            {"active", e.active, a.active},
                            {"waiting", 0, a.waiting},
                            {"creating", 0, a.creating},
                            {"max_size", m_.max_size, a.max_size},
                            {"max_idle", m_.max_idle, a.max_idle}};
    std::string diff;
    for (const auto& f : fields)
      if (f.want != f.got)
        diff +=
            std::string(" ") + f.name + ": expected " + std::to_string(f.want) + ", got " + std::to_string(f.got) + ";";
    if (!diff.empty()) return fail("metrics differ:" + diff);
    std::uint64_t by_reason = 0;
    for (auto n : a.closed_by)
      by_reason += n;
    if (by_reason != a.closed)
      return fail("closed_by sums to " + std::to_string(by_reason) + ", closed is " + std::to_string(a.closed));
    if (a.created - a.closed != a.open)
      return fail("created - closed = " + std::to_string(a.created - a.closed) + " but open is " +
                  std::to_string(a.open) + " (no dial in flight)");
    if (a.open > s_.capacity()) return fail("open " + std::to_string(a.open) + " > max_size_limit");
    if (m_.track_idle && a.idle > m_.max_idle) return fail("idle " + std::to_string(a.idle) + " > max_idle");
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

} // namespace pool_model
