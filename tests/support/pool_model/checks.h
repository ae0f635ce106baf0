// SPDX-License-Identifier: MIT
// Test support, pool model: the runner's checks after every step, each
// its own function:
//  - check_closes:     the connections the pool closed in this step are the
//                      ones the model expected (and none was closed twice)
//  - check_metrics:    every field of stats() equals the model's
//  - check_invariants: closed_by sums to closed, created - closed == open,
//                      open <= max_size_limit, idle <= max_idle, size() and
//                      idle_count() agree with stats(), each lease holds what
//                      the model says, no connection is held twice
//  - check_all_closed_once: at the end of a run, every connection was
//                      closed exactly once
// Part of runner.h, which includes it at its end.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "runner.h"

namespace pool_model {

inline void runner::check_step(bool pool_alive) {
  check_closes();
  if (!error_.empty() || !pool_alive) return;
  const connpool::metrics a = pool_->stats();
  check_metrics(a);
  if (!error_.empty()) return;
  check_invariants(a);
}

inline void runner::check_closes() {
  std::vector<int> want = m_.expected_closes;
  if (const std::string v = backend_.violation(); !v.empty()) return fail(v);
  std::vector<int> got = backend_.step_closes();
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
}

inline void runner::check_metrics(const connpool::metrics& a) {
  connpool::metrics e = m_.m;
  e.open = m_.open_count();
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
}

inline void runner::check_invariants(const connpool::metrics& a) {
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
      return fail("lease " + std::to_string(i) + " holds " + (leases_[i] ? std::to_string(leases_[i]->id) : "nothing") +
                  ", the model says " + std::to_string(ids_[i]));
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
inline void runner::check_all_closed_once() {
  if (const std::string e = backend_.closed_once_error(); !e.empty()) fail(e);
}

} // namespace pool_model
