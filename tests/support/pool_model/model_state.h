// SPDX-License-Identifier: MIT
// Test support, pool model: the model's state. What the reference model
// knows of one pool: its connections (idle and leased, each in a slot with
// its times and retirement flag), its metrics, the settings the runtime
// setters change, the free-slot stack, the calling thread's hint, the
// retirement budget and the breaker; and what a prediction of get() holds.
// Plain data, copied to try a branch and put back (the runner does, when a
// return it planned would not end a wait).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <system_error>
#include <vector>

#include "common.h"

namespace pool_model {

inline constexpr int no_flag = -1; // mconn::flag: not retiring

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
struct model_state {
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
  // idle unusable ones; the runner checks its choice and the model follows it.
  bool choice = false;
  std::vector<int> good, bad;
  int hint_candidate = 0; // an idle hint that is not binding (hint_unsure)
  // None usable under an unsure hint: closed in the order the model
  // assumed; reorder_closes() makes the free slots follow the order observed.
  std::vector<int> assumed_order;
  std::size_t free_base = 0;
  int created_after = 0; // the connection dialed right after them
};
// What one fill (min_idle top-up, warm_up) did: made one, enough idle
// already, no room under max_size (or closed), the factory threw, the
// breaker rejected the dial.
enum class fill { created, enough, no_room, failed, rejected };
// Where a returned connection went: back to idle, closed, to a waiter.
// handed: straight to the waiter; offered (fairness_mode::bounded): idle for
// a moment, the nudged waiter claims it and checks it as any idle one.
enum class returned { idle, closed, handed, offered };

} // namespace pool_model
