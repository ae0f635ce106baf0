// SPDX-License-Identifier: MIT
// Test support, pool model: the runner. It drives a real connpool::pool
// and the reference model (model.h) side by side through a sequence of
// operations, one step at a time: tell the model, act on the pool, compare
// the results, then check that the two agree in everything (checks.h). The
// steps themselves are in steps_get.h (get, with a wait ended by the helper
// thread), steps_leases.h (returns, foreign and orphaned leases) and
// steps_pool.h (the clock, maintain, faults, close, the setters, drain,
// warm_up); this file holds the loop, the pool's lifetime and the leases the
// runner holds. See ../pool_model.h for what is modelled and checked.
//
// One runner, one thread (the helper thread aside, see helper_thread.h).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "common.h"
#include "fake_backend.h"
#include "helper_thread.h"
#include "model.h"
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
  std::optional<failure> run(const std::vector<op>& ops);

  const totals& figures() const noexcept { return t_; }
  const settings& current_settings() const noexcept { return s_; }

private:
  // ---- the pool's lifetime (this file) ----
  connpool::config<conn> make_config(const settings& s);
  void start_pool(std::uint32_t seed);
  /// ~pool with leases out: idle ones close now, leases close when returned.
  void destroy_pool();
  /// The model's figures of the pool just destroyed, added to the totals.
  void account_pool();
  /// The end of a run: the pool destroyed, the orphans and the foreign pool let go.
  void finish();
  /// One operation: the step it names.
  void execute(const op& o);
  /// Before an op that may dial: step past the breaker's jitter window.
  void skip_breaker_window();

  // ---- get (steps_get.h) ----
  /// How the helper ends a wait the model predicts (op c % 6).
  enum class wait_end { cancel, put, discard, destroy_lease, close, grow };
  /// What one get step carries from part to part (the helper's actions refer to it).
  struct get_step {
    bool factory_fails = false, throwing = false;
    std::error_code ended; // the context ends the get before it waits
    std::optional<context> ctx;
    std::stop_source own;
    prediction pred;
    wait_end action = wait_end::cancel;
    std::size_t target = 0;  // the lease the helper returns
    std::size_t grow_to = 0; // wait_end::grow: the new max_size
    std::error_code helper_ec, helper_expected;
  };
  void do_get(const op& o);
  void get_context(const op& o, get_step& g);
  /// false: the model's bookkeeping failed (reported).
  bool plan_wait_ending(const op& o, get_step& g);
  void arm_wait_ending(get_step& g);
  void check_wait_ended(const get_step& g);
  void check_get_result(get_step& g, std::error_code ec, connpool::lease<conn> got);
  static std::error_code run_get(connpool::pool<conn>& p, const context& ctx, bool throwing,
                                 connpool::lease<conn>& out);
  static std::error_code thrown_code(const std::system_error& e);

  // ---- leases (steps_leases.h) ----
  void do_return(const op& o); // put, discard
  void do_drop(const op& o);
  void do_reassign(const op& o);
  void do_invalid_return(const op& o);
  void ensure_foreign();
  void do_foreign(const op& o);

  // ---- the pool as a whole (steps_pool.h) ----
  void do_advance(const op& o);
  void do_maintain(const op& o);
  void do_fault(const op& o);
  void do_close(const op& o);
  template <class Set> std::error_code call_set(const op& o, Set set);
  void do_set_max_size(const op& o);
  void do_set_max_idle(const op& o);
  void do_set_min_idle(const op& o);
  void do_set_duration(const op& o);
  void do_drain(const op& o);
  void do_warm_up(const op& o);
  void do_destroy(const op& o);

  // ---- checks (checks.h) ----
  void check_step(bool pool_alive = true);
  void check_closes();
  void check_metrics(const connpool::metrics& a);
  void check_invariants(const connpool::metrics& a);
  void check_all_closed_once();

  // ---- results and the leases held (this file) ----
  void fail(std::string what) {
    if (error_.empty()) error_ = std::move(what);
  }
  void begin_step() {
    backend_.begin_step();
    m_.expected_closes.clear();
  }
  void expect_ec(const char* what, std::error_code expected, std::error_code actual) {
    if (expected != actual) fail(std::string(what) + ": expected " + ec_name(expected) + ", got " + ec_name(actual));
  }
  std::size_t live_lease_count() const {
    return static_cast<std::size_t>(std::count_if(ids_.begin(), ids_.end(), [](int id) { return id != 0; }));
  }
  void store_lease(connpool::lease<conn>&& l, int id);
  // index of the k-th live lease (there is at least one)
  std::size_t live_lease(std::size_t k) const;

  const std::uint32_t first_seed_;
  connpool::manual_clock clock_;
  std::stop_source hang_;
  helper* helper_ = nullptr;

  totals t_;
  std::string error_;
  settings s_;
  fake_backend backend_{t_};
  model m_{clock_, s_, backend_, t_, error_};

  std::unique_ptr<connpool::pool<conn>> pool_;
  std::vector<connpool::lease<conn>> leases_;
  std::vector<int> ids_; // the model's view of leases_: connection id, 0 = empty
  std::vector<connpool::lease<conn>> orphans_;
  std::unique_ptr<connpool::pool<conn>> foreign_;
  std::vector<connpool::lease<conn>> foreign_leases_;
};

inline std::optional<runner::failure> runner::run(const std::vector<op>& ops) {
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

inline connpool::config<conn> runner::make_config(const settings& s) {
  connpool::config<conn> c;
  c.factory = [this](const context& ctx) { return backend_.make_conn(ctx); };
  c.close = [this](conn& x) { backend_.close_conn(x); };
  if (s.ping) c.ping = [this](conn& x, const context& ctx) { return backend_.ping_conn(x, ctx); };
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
  c.fairness = s.strict ? connpool::fairness_mode::strict : connpool::fairness_mode::bounded;
  return c;
}

inline void runner::start_pool(std::uint32_t seed) {
  s_ = settings::from_seed(seed);
  m_.reset();
  pool_ = std::make_unique<connpool::pool<conn>>(make_config(s_));
  ++t_.pools;
}

inline void runner::destroy_pool() {
  for (const auto& c : m_.by_slot(m_.idle))
    m_.close(c, close_reason::pool_closed);
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

inline void runner::do_destroy(const op& o) {
  destroy_pool();
  start_pool(o.d);
}

inline void runner::account_pool() {
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

inline void runner::finish() {
  destroy_pool();
  for (const auto& l : orphans_)
    m_.expected_closes.push_back(l->id); // returned into closed cores
  orphans_.clear();
  foreign_leases_.clear();
  foreign_.reset();
}

inline void runner::execute(const op& o) {
  // A closed pool answers everything with pool_closed: mostly replace it
  // soon (1 op in 16 on a closed pool becomes a destroy) so most steps run
  // on an open one.
  if (m_.closed && o.k != kind::destroy && o.d % 16 == 0) return do_destroy(o);
  if (o.k == kind::get || o.k == kind::maintain || o.k == kind::warm_up) skip_breaker_window();
  backend_.set_factory_fails(((o.k == kind::get || o.k == kind::warm_up) && (o.b & 1)) ||
                             (o.k == kind::maintain && o.b % 8 == 0));
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
  backend_.set_factory_fails(false);
}

inline void runner::skip_breaker_window() {
  const auto& b = m_.breaker;
  if (!b.open || m_.closed) return;
  const time_point t = m_.now();
  if (t >= b.lo && t < b.hi) {
    clock_.advance(b.hi - t);
    ++t_.breaker_skips;
  }
}

inline void runner::store_lease(connpool::lease<conn>&& l, int id) {
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
inline std::size_t runner::live_lease(std::size_t k) const {
  std::vector<std::size_t> live;
  for (std::size_t i = 0; i < ids_.size(); ++i)
    if (ids_[i] != 0) live.push_back(i);
  return live[k % live.size()];
}

} // namespace pool_model

// The steps and checks, defined out of the class in their own files.
#include "checks.h"
#include "steps_get.h"
#include "steps_leases.h"
#include "steps_pool.h"
