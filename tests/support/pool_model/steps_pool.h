// SPDX-License-Identifier: MIT
// Test support, pool model: the runner's steps on the pool as a whole. The
// clock, maintain(), fault injection, close (with leases out, or drained by
// the helper thread), the runtime setters with valid and invalid values,
// drain() and warm_up(). Each step asks the model what must happen, acts on
// the pool and compares. Part of runner.h, which includes it at its end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stop_token>
#include <string>
#include <system_error>
#include <vector>

#include "runner.h"

namespace pool_model {

inline void runner::do_advance(const op& o) {
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

inline void runner::do_maintain(const op& o) {
  const bool stopped = o.a % 4 == 3;
  const bool factory_fails = o.b % 8 == 0;
  std::stop_source st;
  if (stopped) st.request_stop();
  backend_.clear_maybe_late();
  const auto r =
      pool_->maintain(stopped ? context::background().with_stop_token(st.get_token()) : context::background());
  const std::vector<int> late = backend_.maybe_late();
  const std::vector<int> closed_now = backend_.step_closes();
  const connpool::maintenance_report want = m_.maintain(stopped, factory_fails, late, closed_now);
  if (r.idle_closed != want.idle_closed || r.age_closed != want.age_closed || r.pinged != want.pinged ||
      r.ping_failures != want.ping_failures || r.created != want.created)
    fail("maintain report: expected idle_closed=" + std::to_string(want.idle_closed) +
         " age_closed=" + std::to_string(want.age_closed) + " pinged=" + std::to_string(want.pinged) +
         " ping_failures=" + std::to_string(want.ping_failures) + " created=" + std::to_string(want.created) +
         ", got " + std::to_string(r.idle_closed) + " " + std::to_string(r.age_closed) + " " +
         std::to_string(r.pinged) + " " + std::to_string(r.ping_failures) + " " + std::to_string(r.created));
}

inline void runner::do_fault(const op& o) {
  std::vector<int> live;
  for (const auto& c : m_.idle)
    live.push_back(c.id);
  for (const auto& c : m_.active)
    live.push_back(c.id);
  if (live.empty()) return;
  const int id = live[o.a % live.size()];
  backend_.change_fault(id, o.b % 5);
}

inline void runner::do_close(const op& o) {
  const int mode = o.a % 3; // 0 expired deadline, 1 stopped, 2 drain: a helper returns every lease
  const bool throwing = o.b & 1;
  m_.closed = true;
  for (const auto& c : m_.by_slot(m_.idle))
    m_.close(c, close_reason::pool_closed);
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
      auto c = m_.take_active(ids_[i]);
      if (!c) return;
      const int how = (o.d >> (2 * (i % 8))) % 3;
      (how == 1 ? m_.m.discards : m_.m.puts)++;
      m_.close(*c, how == 1 ? close_reason::discarded : close_reason::pool_closed);
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
template <class Set> std::error_code runner::call_set(const op& o, Set set) {
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

inline void runner::do_set_max_size(const op& o) {
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
    if (m_.open_count() > n) m_.mark_excess(m_.open_count() - n, close_reason::resized, excess);
  }
  const std::error_code ec = call_set(o, [&](std::error_code* e) {
    if (e)
      pool_->set_max_size(n, *e);
    else
      pool_->set_max_size(n);
  });
  for (const mconn& c : excess)
    m_.close(c, close_reason::resized);
  expect_ec("set_max_size", want, ec);
}

inline void runner::do_set_max_idle(const op& o) {
  const std::size_t n = o.a % (m_.max_size + 2);
  std::error_code want;
  if (!m_.track_idle || n > m_.max_size || n < m_.min_idle) {
    want = errc::invalid_config;
    ++t_.invalid_sets;
  } else {
    ++t_.resizes;
    m_.max_idle = n;
    for (const mconn& c : m_.by_slot(m_.idle))
      if (m_.idle.size() > n) m_.close(m_.take_idle(c.id), close_reason::resized);
  }
  const std::error_code ec = call_set(o, [&](std::error_code* e) {
    if (e)
      pool_->set_max_idle(n, *e);
    else
      pool_->set_max_idle(n);
  });
  expect_ec("set_max_idle", want, ec);
}

inline void runner::do_set_min_idle(const op& o) {
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

inline void runner::do_set_duration(const op& o) {
  static constexpr int secs[] = {0, -1, 1, 5, 10, 20, 30, 60};
  const duration d = std::chrono::seconds(secs[o.c % 8]);
  const int which = o.a % 3; // max_idle_time, max_age, health_check_interval
  std::error_code want;
  if (d < duration::zero() || (which == 2 && d > duration::zero() && !s_.ping)) {
    want = errc::invalid_config;
    ++t_.invalid_sets;
  } else if (which == 0) {
    if (m_.max_idle_time == duration::zero()) m_.limits_since = m_.now();
    m_.max_idle_time = d;
  } else if (which == 1) {
    m_.max_age = d;
  } else {
    m_.health_check_interval = d;
    m_.next_health_check = m_.now() + d;
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

inline void runner::do_drain(const op&) {
  std::vector<mconn> idle;
  const std::size_t want = m_.mark_excess(SIZE_MAX, close_reason::drained, idle);
  ++t_.drains;
  const std::size_t got = pool_->drain();
  for (const mconn& c : idle)
    m_.close(c, close_reason::drained);
  if (got != want) fail("drain: returned " + std::to_string(got) + ", the model expected " + std::to_string(want));
}

inline void runner::do_warm_up(const op& o) {
  const bool factory_fails = o.b & 1;
  const bool throwing = o.b & 2;
  std::size_t n = o.c % (m_.max_size + 3);
  // warm_up(n > max_idle) is not asked: it never returned once (see
  // ../pool_model.h); tst_pool_model's warmUpPastMaxIdleStopsAtMaxIdle
  // covers it now.
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
      switch (m_.fill_one(n, factory_fails)) {
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

} // namespace pool_model
