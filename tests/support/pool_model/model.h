// SPDX-License-Identifier: MIT
// Test support, pool model: the reference model. What connpool::pool<T>
// does, written again the plain way: one object per pool, its state public
// (model_state, which the runner reads, and copies to try a branch), and the
// transitions an operation causes: closing a connection (counted per
// reason), dialing (through the breaker), get up to the point where it would
// wait, the checks on an idle connection, returning a connection, one
// min_idle/warm_up fill, marking the excess of a shrink or drain, and a
// maintenance pass. The exact rules (slots, hints, the breaker's window) are
// in ../pool_model.h.
//
// Where the pool may choose (lifo's idle order under an unsure hint, which
// usable idle connection get hands out), the model says what is legal and,
// once the runner has seen the pool's choice, follows it.
//
// Single-threaded: only the runner's thread calls it. Failures of the model's
// own bookkeeping go to the runner's error (`error`, first one wins).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "common.h"
#include "fake_backend.h"
#include "model_state.h"
#include "settings.h"
#include "totals.h"

namespace pool_model {

class model : public model_state {
public:
  /// The closes the model expects in this step (the runner clears it per step).
  std::vector<int> expected_closes;

  model(const connpool::manual_clock& clock, const settings& s, fake_backend& backend, totals& t, std::string& error)
      : clock_(clock), s_(s), backend_(backend), t_(t), error_(error) {}
  model(const model&) = delete;
  model& operator=(const model&) = delete;

  /// A new pool with the settings `s_` holds now (the ids made so far carry over).
  void reset() {
    const int made_so_far = made;
    static_cast<model_state&>(*this) = model_state{};
    made = made_so_far;
    max_size = s_.max_size;
    track_idle = s_.max_idle.has_value();
    max_idle = s_.max_idle.value_or(s_.max_size);
    min_idle = s_.min_idle;
    max_idle_time = s_.max_idle_time;
    max_age = s_.max_age;
    health_check_interval = s_.health_check_interval;
    next_health_check = clock_.now() + s_.health_check_interval;
    for (std::size_t i = s_.capacity(); i-- > 0;)
      free.push_back(static_cast<std::uint32_t>(i));
    budget.rate = s_.max_retirements_per_second;
    breaker.initial = s_.backoff_initial;
    breaker.max_delay = s_.backoff_max > duration::zero() ? s_.backoff_max : s_.backoff_initial * 32;
  }
  /// The state alone, to put back with restore() (a branch tried and dropped).
  model_state saved() const { return *this; }
  void restore(const model_state& s) { static_cast<model_state&>(*this) = s; }

  /// The pool's clock (the runner's manual clock).
  time_point now() const { return clock_.now(); }
  /// `c` closed for `why`: counted, expected among this step's closes, its
  /// slot back on the free stack.
  void close(const mconn& c, close_reason why) {
    ++m.closed;
    ++m.closed_by[reason(why)];
    expected_closes.push_back(c.id);
    if (backend_.fault_of(c.id) & fake_backend::close_throws) ++m.close_errors;
    free.push_back(c.slot);
  }
  /// `c` handed to a borrower.
  void lease_out(const mconn& c) {
    active.push_back(c);
    if (active.size() > m.max_active) m.max_active = active.size();
  }
  /// The leased connection `id`, off the active list (a failure if it is not there).
  std::optional<mconn> take_active(int id) {
    auto it = std::find_if(active.begin(), active.end(), [id](const mconn& c) { return c.id == id; });
    if (it == active.end()) {
      fail("model: lease " + std::to_string(id) + " is not active");
      return std::nullopt;
    }
    mconn c = *it;
    active.erase(it);
    return c;
  }
  bool aged(const mconn& c, time_point t) const { return max_age > duration::zero() && t - c.created >= max_age; }
  // 0 fresh, 1 past max_idle_time, 2 past max_age (age first)
  int expiry(const mconn& c, time_point t) const {
    if (aged(c, t)) return 2;
    if (max_idle_time > duration::zero() && t - std::max(c.returned, limits_since) >= max_idle_time) return 1;
    return 0;
  }
  bool stamps() const { return max_idle_time > duration::zero() || max_age > duration::zero(); }
  // max_retirements_per_second: may a max_age retirement happen now?
  bool retire_allowed(time_point t) {
    if (budget.take(t)) return true;
    ++t_.retirements_deferred;
    return false;
  }
  /// Open connections: idle, leased, and one maintain() holds while it dials a replacement.
  std::size_t open_count() const { return idle.size() + active.size() + claimed; }
  std::vector<mconn> by_slot(std::vector<mconn> v) const {
    std::sort(v.begin(), v.end(), [](const mconn& x, const mconn& y) { return x.slot < y.slot; });
    return v;
  }

  // ---- the breaker ----
  bool may_dial() {
    auto& b = breaker;
    if (!b.open) return true;
    const time_point t = now();
    if (t < b.lo) return false;
    if (t < b.hi) fail("model: a dial inside the breaker's jitter window (the runner should have skipped it)");
    return true;
  }
  void breaker_failed() {
    auto& b = breaker;
    if (b.initial <= duration::zero()) return;
    const bool was_open = b.open;
    b.delay = was_open ? std::min<duration>(b.delay * 2, b.max_delay) : b.initial;
    b.lo = now() + b.delay / 2;
    b.hi = now() + b.delay;
    b.open = true;
    if (!was_open) ++m.circuit_opens;
  }
  /// The factory runs (the breaker let it): a new connection in the slot on
  /// top of the free stack, or nothing (the factory threw).
  std::optional<mconn> dial(bool factory_fails) {
    const std::uint32_t slot = free.back();
    free.pop_back();
    high_water = std::max(high_water, slot + 1);
    if (factory_fails) {
      ++m.factory_failures;
      breaker_failed();
      free.push_back(slot);
      return std::nullopt;
    }
    ++m.created;
    breaker.open = false;
    const time_point t = now();
    return mconn{++made, t, t, slot, 0, no_flag};
  }
  prediction end_wait(std::error_code ended) {
    (ended == errc::cancelled ? m.cancellations : m.timeouts)++;
    return {false, ended, 0};
  }
  // get dials in the caller's thread (capacity is free)
  prediction create(bool factory_fails, bool throwing) {
    if (!may_dial()) {
      ++m.circuit_rejects;
      // no dial: circuit_open (the throwing form nests the last factory error)
      return {false, errc::circuit_open, 0};
    }
    auto c = dial(factory_fails);
    if (!c) return {false, errc::factory_failed, 0};
    ++m.misses;
    lease_out(*c);
    return {false, {}, c->id};
  }
  /// Capacity was freed while the main thread waits: it is granted (and
  /// dials), or the breaker fails it. false: nothing for the waiter.
  bool grant(bool factory_fails, bool throwing, prediction& p) {
    if (closed || open_count() >= max_size) return false;
    const prediction c = create(factory_fails, throwing);
    p.ec = c.ec;
    p.id = c.id;
    return true;
  }

  /// What get's checks make of an idle connection (a get's deadline is far
  /// or none once it reaches the idle list: a slow ping is in time). Takes
  /// from the retirement budget like the pool (`b`: the real one or a copy).
  verdict verdict_of(const mconn& c, budget_model& b) {
    if (stamps()) {
      const time_point t = now();
      const int x = expiry(c, t);
      if (x == 1) return stale_idle_time;
      if (x == 2) {
        if (b.take(t)) return stale_max_age;
        if (&b == &budget) ++t_.retirements_deferred;
      }
    }
    if (s_.ping) {
      const int mode = backend_.fault_of(c.id) & fake_backend::ping_mask;
      if (mode != fake_backend::ping_ok && mode != fake_backend::ping_slow) return ping_failed;
    }
    return usable;
  }
  /// A connection get found unusable: counted and closed.
  void reject(const mconn& c, verdict v) {
    if (v == ping_failed) {
      ++m.ping_failures;
      return close(c, close_reason::ping_failed);
    }
    if (v == stale_max_age) {
      ++m.age_closed;
      return close(c, close_reason::max_age);
    }
    ++m.idle_closed;
    close(c, close_reason::idle_time);
  }
  mconn take_idle(int id) {
    auto it = std::find_if(idle.begin(), idle.end(), [id](const mconn& c) { return c.id == id; });
    const mconn c = *it;
    idle.erase(it);
    return c;
  }
  bool is_idle(int id) const {
    return id != 0 && std::any_of(idle.begin(), idle.end(), [id](const mconn& c) { return c.id == id; });
  }
  const mconn* idle_at(std::uint32_t slot) const {
    for (const mconn& c : idle)
      if (c.slot == slot) return &c;
    return nullptr;
  }

  // ---- get (model_get.h) ----
  /// get() up to the point where it would wait. fifo: the one idle the
  /// longest, exactly. lifo: the hint slot first (binding unless
  /// hint_unsure), then the pool's choice (a prediction with `choice`) unless
  /// none of the rest is usable.
  prediction get(std::error_code ended, bool factory_fails, bool throwing);
  /// After the pool's get: is its choice among the idle connections legal
  /// (the closes of this step so far, in order, are the hint's if it was
  /// rejected, then only idle connections unusable when met; the one handed
  /// out is idle and usable)? Then the model follows it.
  void follow_choice(prediction& p, std::error_code ec, const connpool::lease<conn>& got);
  /// None usable under an unsure hint: the pool closed them in the order it
  /// chose (its hint may have been forgotten): the free slots follow that order.
  void reorder_closes(const prediction& p);

  /// put / a lease's destructor / lease move-assignment (`main`: by the main
  /// thread, whose hint it sets when it keeps the connection), with or
  /// without a waiter queued. `ec`: the put's result.
  returned give_back(mconn& c, bool main, bool waiter, std::error_code* ec = nullptr) {
    const time_point t = now();
    if (closed) {
      close(c, close_reason::pool_closed);
      if (ec) *ec = errc::pool_closed;
      return returned::closed;
    }
    if (max_idle_time > duration::zero()) c.returned = t;
    if (s_.fifo) c.seq = ++seq;
    if (aged(c, t) && retire_allowed(t)) {
      ++m.age_closed;
      close(c, close_reason::max_age);
      return returned::closed;
    }
    if (c.flag != no_flag) {
      // retiring (drain, shrink): a shrink's only while still over max_size
      if (c.flag != reason(close_reason::resized) || open_count() + 1 > max_size) {
        close(c, static_cast<close_reason>(c.flag));
        return returned::closed;
      }
      c.flag = no_flag;
    }
    if (track_idle && idle.size() >= max_idle) {
      if (waiter) return returned::handed; // idle is full: the waiter gets it in either fairness mode
      close(c, close_reason::idle_overflow);
      return returned::closed;
    }
    if (waiter) return s_.strict ? returned::handed : returned::offered;
    if (main) {
      hint = c.slot;
      hint_unsure = false;
    }
    idle.push_back(c);
    return returned::idle;
  }

  /// fill_one: one idle connection made when fewer than `target` are idle.
  fill fill_one(std::size_t target, bool factory_fails) {
    if (target == 0) return fill::enough;
    if (closed) return fill::no_room;
    if (idle.size() >= target) return fill::enough;
    if (open_count() >= max_size) return fill::no_room;
    if (!may_dial()) return fill::rejected;
    auto c = dial(factory_fails);
    if (!c) return fill::failed;
    if (s_.fifo) c->seq = ++seq;
    if (track_idle && idle.size() >= max_idle)
      close(*c, close_reason::idle_overflow);
    else
      idle.push_back(*c);
    return fill::created;
  }

  /// Up to `n` connections retire (drain, shrink): idle ones lowest slot
  /// first are taken (the caller closes them), then leased ones lowest slot
  /// first are flagged (skipping those flagged already). Returns how many.
  std::size_t mark_excess(std::size_t n, close_reason why, std::vector<mconn>& taken) {
    std::size_t done = 0;
    for (const mconn& c : by_slot(idle)) {
      if (done >= n) break;
      taken.push_back(take_idle(c.id));
      ++done;
    }
    // Then the leased ones, lowest slot first.
    std::vector<mconn*> order;
    for (mconn& c : active)
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

  /// maintain() after the pool ran it: the report it must have given. The
  /// expiry pass (a replacement dialed first when min_idle asks), the health
  /// check, the min_idle top-up; `stopped`: no pings, no top-up. `late`:
  /// healthy pings that ran under a near deadline, `closed_now`: the pool's
  /// closes so far (a late healthy ping it closed counts as failed).
  connpool::maintenance_report maintain(bool stopped, bool factory_fails, const std::vector<int>& late,
                                        const std::vector<int>& closed_now) {
    connpool::maintenance_report want;
    auto in = [](const std::vector<int>& v, int id) { return std::find(v.begin(), v.end(), id) != v.end(); };
    if (!closed) {
      const time_point t = now();
      const std::uint32_t n = high_water; // slots the pass visits
      if (stamps()) {
        for (const mconn& c : by_slot(idle)) {
          if (c.slot >= n) continue;
          const int x = expiry(c, t);
          if (x == 0 || (x == 2 && !retire_allowed(t))) continue;
          const mconn gone = take_idle(c.id);
          if (min_idle > 0) { // replace it before closing it (it still counts as open)
            claimed = 1;
            want.created += fill_one(min_idle, factory_fails) == fill::created;
            claimed = 0;
          }
          (x == 2 ? want.age_closed : want.idle_closed)++;
          (x == 2 ? m.age_closed : m.idle_closed)++;
          close(gone, x == 2 ? close_reason::max_age : close_reason::idle_time);
        }
      }
      if (s_.ping && health_check_interval > duration::zero() && t >= next_health_check) {
        next_health_check = t + health_check_interval;
        for (const mconn& c : by_slot(idle)) {
          if (stopped || c.slot >= n) continue;
          const int mode = backend_.fault_of(c.id) & fake_backend::ping_mask;
          // with a health_check_timeout a slow ping is late; without one it is not
          bool ok = mode == fake_backend::ping_ok ||
                    (mode == fake_backend::ping_slow && s_.health_check_timeout == duration::zero());
          // a healthy ping under health_check_timeout that the pool found late (preempted)
          if (ok && mode == fake_backend::ping_ok && in(late, c.id) && in(closed_now, c.id)) {
            ok = false;
            ++t_.late_healthy_pings;
          }
          ++want.pinged;
          if (ok) continue; // back to idle as it was
          ++want.ping_failures;
          ++m.ping_failures;
          close(take_idle(c.id), close_reason::ping_failed);
        }
      }
      while (!stopped && fill_one(min_idle, factory_fails) == fill::created)
        ++want.created;
      t_.min_idle_created += want.created;
    }
    return want;
  }

private:
  void fail(std::string what) {
    if (error_.empty()) error_ = std::move(what);
  }

  const connpool::manual_clock& clock_;
  const settings& s_;
  fake_backend& backend_;
  totals& t_;
  std::string& error_;
};

} // namespace pool_model

#include "model_get.h" // the definitions of model::get, follow_choice, reorder_closes
