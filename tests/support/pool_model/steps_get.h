// SPDX-License-Identifier: MIT
// Test support, pool model: the runner's get step, in its named parts:
//  1. get_context:          the context the op asks for (an expired deadline,
//                           a stop already requested, a far deadline, none)
//  2. the model's get():    the prediction (a result, a wait, or a choice the
//                           pool makes among usable idle connections)
//  3. plan_wait_ending:     for a predicted wait, how the helper ends it
//                           (cancel, put, discard, a lease's destructor,
//                           close, growing set_max_size), told to the model
//  4. arm_wait_ending:      the helper armed to do so once the pool reports
//                           the waiter
//  5. the pool's get, in the op's form (error_code or throwing)
//  6. check_wait_ended:     the helper ran and its own call did as predicted
//  7. check_get_result:     the pool's choice followed (when it had one), the
//                           result code and the connection handed out
// Part of runner.h, which includes it at its end.
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "runner.h"

namespace pool_model {

inline void runner::do_get(const op& o) {
  get_step g;
  g.factory_fails = o.b & 1;
  g.throwing = o.b & 2;
  get_context(o, g);
  g.pred = m_.get(g.ended, g.factory_fails, g.throwing);
  g.action = static_cast<wait_end>(o.c % 6);
  if (g.pred.waits) {
    if (live_lease_count() == 0) return fail("model: a get waits but no lease is out");
    g.target = live_lease(o.d);
    if (!plan_wait_ending(o, g)) return;
    arm_wait_ending(g);
  }
  if (!g.ctx) {
    // Not ended: a far deadline or none, and a stop token that only the
    // helper (cancel) or the hang watchdog triggers.
    const auto token = g.pred.waits && g.action == wait_end::cancel ? g.own.get_token() : hang_.get_token();
    g.ctx = (o.a % 8 >= 3 && o.a % 8 <= 5 ? context::with_timeout(1h) : context::background()).with_stop_token(token);
  }
  connpool::lease<conn> got;
  const std::error_code ec = run_get(*pool_, *g.ctx, g.throwing, got);
  if (g.pred.waits) check_wait_ended(g);
  if (helper_->hung()) fail("get hung: the pool waited where the model did not");
  check_get_result(g, ec, std::move(got));
}

inline void runner::get_context(const op& o, get_step& g) {
  switch (o.a % 8) {
  case 6:
    g.ctx = context::with_deadline(std::chrono::steady_clock::now() - 1s);
    g.ended = errc::get_timeout;
    break;
  case 7:
    g.own.request_stop();
    g.ctx = (o.d & 1 ? context::with_deadline(std::chrono::steady_clock::now() - 1s) : context::background())
                .with_stop_token(g.own.get_token());
    g.ended = errc::cancelled; // checked before the deadline
    break;
  default: break;
  }
}

inline bool runner::plan_wait_ending(const op& o, get_step& g) {
  const int tid = ids_[g.target];
  // A return ends the wait when the waiter is handed the connection or
  // inherits a freed slot (and dials, or the breaker fails it); it may
  // not (a shrink's retiring connection while still over max_size): then
  // the helper cancels instead.
  if (g.action == wait_end::put || g.action == wait_end::discard || g.action == wait_end::destroy_lease) {
    const model_state saved = m_.saved();
    const std::vector<int> saved_closes = m_.expected_closes;
    auto c = m_.take_active(tid);
    if (!c) return false;
    bool ends = false;
    if (g.action == wait_end::discard) {
      ++m_.m.discards;
      m_.close(*c, close_reason::discarded);
      ends = m_.grant(g.factory_fails, g.throwing, g.pred);
    } else {
      ++m_.m.puts;
      const returned r = m_.give_back(*c, false, true);
      verdict v = r == returned::offered ? m_.verdict_of(*c, m_.budget) : usable;
      if (r == returned::offered && v != usable) m_.reject(*c, v); // the waiter found it stale or broken
      if ((r == returned::handed || r == returned::offered) && v == usable) {
        m_.lease_out(*c);
        ++m_.m.hits;
        g.pred.id = c->id;
        ends = true;
      } else {
        ends = m_.grant(g.factory_fails, g.throwing, g.pred);
      }
    }
    if (ends) {
      ids_[g.target] = 0;
    } else {
      m_.restore(saved);
      m_.expected_closes = saved_closes;
      g.action = wait_end::cancel;
    }
  }
  if (g.action == wait_end::grow) {
    g.grow_to = m_.open_count() + 1 + o.d % 3;
    if (g.grow_to > s_.capacity()) g.grow_to = s_.capacity();
    if (g.grow_to <= m_.open_count()) {
      g.action = wait_end::cancel;
    } else {
      ++t_.grows_serving_waiter;
      m_.max_size = g.grow_to;
      if (!m_.track_idle) m_.max_idle = g.grow_to;
      m_.grant(g.factory_fails, g.throwing, g.pred);
    }
  }
  return true;
}

inline void runner::arm_wait_ending(get_step& g) {
  auto& p = *pool_;
  auto& l = leases_[g.target];
  auto waiting = [&p] { return p.stats().waiting >= 1; };
  std::function<void()> act;
  switch (g.action) {
  case wait_end::cancel:
    act = [&own = g.own] { own.request_stop(); };
    ++m_.m.cancellations;
    g.pred.ec = errc::cancelled;
    break;
  case wait_end::put: act = [&p, &l, &g] { p.put(l, g.helper_ec); }; break;
  case wait_end::discard: act = [&p, &l, &g] { p.discard(l, g.helper_ec); }; break;
  case wait_end::destroy_lease: act = [&l] { l = {}; }; break;
  case wait_end::close:
    act = [&p, &g] { p.close(context::with_deadline(std::chrono::steady_clock::now() - 1s), g.helper_ec); };
    m_.closed = true; // idle is empty while someone waits
    ++m_.m.close_timeouts;
    g.helper_expected = errc::close_timeout;
    g.pred.ec = errc::pool_closed;
    break;
  case wait_end::grow: act = [&p, &g, grow_to = g.grow_to] { p.set_max_size(grow_to, g.helper_ec); }; break;
  }
  helper_->arm(waiting, std::move(act));
}

inline void runner::check_wait_ended(const get_step& g) {
  if (!helper_->finish()) fail("get did not wait as the model predicted (or the helper timed out)");
  expect_ec("the helper's operation", g.helper_expected, g.helper_ec);
  const bool returned_lease =
      g.action == wait_end::put || g.action == wait_end::discard || g.action == wait_end::destroy_lease;
  if (returned_lease && leases_[g.target]) fail("the helper's return left the lease holding a connection");
}

inline void runner::check_get_result(get_step& g, std::error_code ec, connpool::lease<conn> got) {
  if (!g.pred.assumed_order.empty()) m_.reorder_closes(g.pred);
  if (g.pred.choice) {
    m_.follow_choice(g.pred, ec, got);
    if (!error_.empty()) return;
  }
  const prediction& pred = g.pred;
  expect_ec("get", pred.ec, ec);
  if (static_cast<bool>(got) != (pred.id != 0))
    return fail("get: lease " + std::string(got ? "non-empty" : "empty") + " but expected connection " +
                std::to_string(pred.id));
  if (got && got->id != pred.id)
    return fail("get: handed connection " + std::to_string(got->id) + ", expected " + std::to_string(pred.id));
  if (got) {
    for (std::size_t i = 0; i < ids_.size(); ++i)
      if (ids_[i] == got->id && leases_[i]) return fail("get: connection " + std::to_string(got->id) + " leased twice");
    store_lease(std::move(got), pred.id);
  }
}

inline std::error_code runner::run_get(connpool::pool<conn>& p, const context& ctx, bool throwing,
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
inline std::error_code runner::thrown_code(const std::system_error& e) {
  if (e.code() != errc::circuit_open) return e.code();
  try {
    std::rethrow_if_nested(e);
  } catch (const factory_error&) {
    return e.code();
  } catch (...) {
  }
  return std::make_error_code(std::errc::protocol_error);
}

} // namespace pool_model
