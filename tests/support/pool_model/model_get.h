// SPDX-License-Identifier: MIT
// Test support, pool model: the reference model's get(). Up to the point
// where it would wait: fifo takes the connection idle the longest, exactly;
// lifo claims the calling thread's hint slot first, then lets the pool
// choose among the usable idle connections. When the pool chose, the runner
// hands its choice to follow_choice() (legal? then the model follows it), and
// when none was usable under an unsure hint, reorder_closes() makes the free
// slots follow the order the pool closed them in. Part of model.h, which
// includes it at its end.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

#include "model.h"

namespace pool_model {

inline prediction model::get(std::error_code ended, bool factory_fails, bool throwing) {
  ++m.gets;
  if (closed) return {false, errc::pool_closed, 0};
  prediction p;
  if (!idle.empty()) {
    if (ended) return end_wait(ended);
    if (s_.fifo) {
      while (!idle.empty()) {
        auto it =
            std::min_element(idle.begin(), idle.end(), [](const mconn& x, const mconn& y) { return x.seq < y.seq; });
        const mconn c = *it;
        idle.erase(it);
        if (const verdict v = verdict_of(c, budget); v == usable) {
          lease_out(c);
          ++m.hits;
          return {false, {}, c.id};
        } else {
          reject(c, v);
        }
      }
    } else {
      const mconn* h = idle_at(hint);
      if (h && (!hint_unsure || hint == 0)) {
        ++t_.hint_firsts;
        const mconn c = take_idle(h->id);
        if (const verdict v = verdict_of(c, budget); v == usable) {
          lease_out(c);
          ++m.hits;
          return {false, {}, c.id};
        } else {
          reject(c, v);
        }
        h = nullptr;
      }
      // The rest in the pool's order (an unsure hint first, then lowest
      // slot first), on a copy of the retirement budget: is any usable?
      std::vector<mconn> order = by_slot(idle);
      if (h) {
        p.hint_candidate = h->id;
        const auto it = std::find_if(order.begin(), order.end(), [hid = h->id](const mconn& c) { return c.id == hid; });
        std::rotate(order.begin(), it, it + 1);
      }
      budget_model b = budget;
      for (const mconn& c : order)
        (verdict_of(c, b) == usable ? p.good : p.bad).push_back(c.id);
      if (!p.good.empty()) {
        p.choice = true;
        return p;
      }
      // none usable: the pool meets and closes them all, in that order
      if (h && order.size() >= 2) p.free_base = free.size();
      for (const mconn& c : order) {
        if (h && order.size() >= 2) p.assumed_order.push_back(c.id);
        reject(c, verdict_of(take_idle(c.id), budget));
      }
    }
  }
  if (open_count() < max_size) {
    if (ended) return end_wait(ended);
    prediction c = create(factory_fails, throwing);
    c.assumed_order = std::move(p.assumed_order);
    c.free_base = p.free_base;
    c.created_after = c.id;
    return c;
  }
  if (ended) return end_wait(ended);
  ++m.waits;
  p.waits = true;
  return p;
}

inline void model::follow_choice(prediction& p, std::error_code ec, const connpool::lease<conn>& got) {
  const std::vector<int> closes = backend_.step_closes();
  auto list = [](const std::vector<int>& v) {
    std::string s = "[";
    for (int x : v)
      s += std::to_string(x) + " ";
    return s + "]";
  };
  const std::string legal = " (idle and usable: " + list(p.good) + ", idle and unusable: " + list(p.bad) +
                            ", the hint rejected first: " + list(expected_closes) + ")";
  if (closes.size() < expected_closes.size() ||
      !std::equal(expected_closes.begin(), expected_closes.end(), closes.begin()))
    return fail("get: closed " + list(closes) + " but must first claim and close its hint" + legal);
  for (std::size_t i = expected_closes.size(); i < closes.size(); ++i) {
    const int id = closes[i];
    if (!is_idle(id)) return fail("get: closed connection " + std::to_string(id) + ", not an idle one" + legal);
    const mconn c = take_idle(id);
    const verdict v = verdict_of(c, budget);
    if (v == usable) return fail("get: closed connection " + std::to_string(id) + ", an idle usable one" + legal);
    reject(c, v);
  }
  if (ec || !got)
    return fail("get: " + ec_name(ec) + (got ? "" : ", no connection") + " with a usable idle connection" + legal);
  const int id = got->id;
  if (!is_idle(id)) return fail("get: handed connection " + std::to_string(id) + ", not an idle one" + legal);
  const mconn c = take_idle(id);
  if (verdict_of(c, budget) != usable)
    return fail("get: handed connection " + std::to_string(id) + ", not a usable one" + legal);
  if (p.hint_candidate != 0 && id != p.hint_candidate && (closes.empty() || closes.front() != p.hint_candidate))
    ++t_.hints_forgotten;
  ++t_.free_choices;
  lease_out(c);
  ++m.hits;
  p.id = id;
  p.ec = {};
}

inline void model::reorder_closes(const prediction& p) {
  std::vector<int> seen;
  for (int id : backend_.step_closes())
    if (std::find(p.assumed_order.begin(), p.assumed_order.end(), id) != p.assumed_order.end()) seen.push_back(id);
  if (seen == p.assumed_order || seen.size() != p.assumed_order.size()) return;
  ++t_.hints_forgotten;
  // the slots were pushed in assumed order at free_base; a dial may have popped the last one
  std::vector<std::uint32_t> pushed(free.begin() + static_cast<std::ptrdiff_t>(p.free_base), free.end());
  std::vector<std::uint32_t> order;
  const bool popped = p.created_after != 0;
  std::vector<std::uint32_t> assumed_slots = pushed;
  if (popped) {
    auto it = std::find_if(active.begin(), active.end(), [&p](const mconn& c) { return c.id == p.created_after; });
    if (it == active.end()) return;
    assumed_slots.push_back(it->slot);
  }
  if (assumed_slots.size() != seen.size()) return;
  for (int id : seen) {
    const auto k = static_cast<std::size_t>(std::find(p.assumed_order.begin(), p.assumed_order.end(), id) -
                                            p.assumed_order.begin());
    order.push_back(assumed_slots[k]);
  }
  if (popped) {
    auto it = std::find_if(active.begin(), active.end(), [&p](const mconn& c) { return c.id == p.created_after; });
    it->slot = order.back();
    order.pop_back();
  }
  free.resize(p.free_base);
  free.insert(free.end(), order.begin(), order.end());
}

} // namespace pool_model
