// SPDX-License-Identifier: MIT
// Test support, pool model: the fake backend. The factory, close and ping
// the pool under test (and the foreign pool) are given: every connection gets
// an id, the faults the run injects per connection (a ping answering false,
// throwing or slow; a close throwing; the factory throwing for one step) are
// played back, and every close is recorded, so the runner can compare the
// closes of a step with the model's and check at the end that each
// connection was closed exactly once.
//
// Thread safety: the callbacks may run on the helper thread while the
// runner's thread is blocked in the pool, so all state is guarded by mu_;
// the runner reads it through copies taken under the lock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common.h"
#include "totals.h"

namespace pool_model {

class fake_backend {
public:
  /// What a connection is told to do: its ping (two bits), and whether its close throws.
  enum fault_bits : std::uint8_t {
    ping_ok = 0,
    ping_false = 1,
    ping_throw = 2,
    ping_slow = 3,
    ping_mask = 3,
    close_throws = 4
  };
  /// Ids from here on are the foreign pool's (never faulted, never in a step's closes).
  static constexpr int foreign_base = 1'000'000'000;

  /// `t`: where the faults injected are counted (under mu_).
  explicit fake_backend(totals& t) : t_(t) {}
  fake_backend(const fake_backend&) = delete;
  fake_backend& operator=(const fake_backend&) = delete;

  // ---- the callbacks (may run on the helper thread too) ----
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
  conn make_foreign_conn() {
    std::lock_guard lk(mu_);
    foreign_closes_.push_back(0);
    return conn{foreign_base + static_cast<int>(foreign_closes_.size()) - 1};
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

  // ---- what the runner injects ----
  /// The factory throws (for the operation about to run) or not.
  void set_factory_fails(bool fails) {
    std::lock_guard lk(mu_);
    factory_fail_ = fails;
  }
  /// Connection `id`'s fault, as op bits b % 5 pick: ping ok / false / throws
  /// / slow, or toggle close throwing.
  void change_fault(int id, int how) {
    std::lock_guard lk(mu_);
    auto& f = faults_[static_cast<std::size_t>(id)];
    switch (how) {
    case 0: f = static_cast<std::uint8_t>(f & ~ping_mask); break;
    case 1: f = static_cast<std::uint8_t>((f & ~ping_mask) | ping_false); break;
    case 2: f = static_cast<std::uint8_t>((f & ~ping_mask) | ping_throw); break;
    case 3: f = static_cast<std::uint8_t>((f & ~ping_mask) | ping_slow); break;
    default: f = static_cast<std::uint8_t>(f ^ close_throws); break;
    }
  }
  std::uint8_t fault_of(int id) {
    std::lock_guard lk(mu_);
    // 0 for a connection the model predicted but the pool has not made (a
    // disagreement reported at the end of the step)
    return static_cast<std::size_t>(id) < faults_.size() ? faults_[static_cast<std::size_t>(id)] : 0;
  }

  // ---- what the runner reads ----
  /// A new step: no closes seen yet.
  void begin_step() {
    std::lock_guard lk(mu_);
    step_closes_.clear();
  }
  /// The pool's connections closed during this step, in order.
  std::vector<int> step_closes() {
    std::lock_guard lk(mu_);
    return step_closes_;
  }
  void clear_maybe_late() {
    std::lock_guard lk(mu_);
    maybe_late_.clear();
  }
  /// Healthy pings that ran under a near deadline since clear_maybe_late().
  std::vector<int> maybe_late() {
    std::lock_guard lk(mu_);
    return maybe_late_;
  }
  /// The first broken rule seen in a callback (a connection closed twice), or "".
  std::string violation() {
    std::lock_guard lk(mu_);
    return violation_;
  }
  /// At the end of a run: "" when every connection was closed exactly once.
  std::string closed_once_error() {
    std::lock_guard lk(mu_);
    if (!violation_.empty()) return violation_;
    for (std::size_t id = 1; id < closes_.size(); ++id)
      if (closes_[id] != 1)
        return "connection " + std::to_string(id) + " closed " + std::to_string(closes_[id]) + " times by the end";
    for (std::size_t i = 0; i < foreign_closes_.size(); ++i)
      if (foreign_closes_[i] != 1) return "a foreign pool's connection was not closed exactly once";
    return {};
  }

private:
  totals& t_; // faults_injected: guarded by mu_

  std::mutex mu_;
  int made_ = 0;                        // guarded by mu_
  std::vector<int> closes_{0};          // guarded by mu_; id -> times closed (index 0 unused)
  std::vector<std::uint8_t> faults_{0}; // guarded by mu_; id -> fault_bits
  std::vector<int> foreign_closes_;     // guarded by mu_
  std::vector<int> step_closes_;        // guarded by mu_; closes seen during this step
  std::string violation_;               // guarded by mu_
  bool factory_fail_ = false;           // guarded by mu_
  std::vector<int> maybe_late_;         // guarded by mu_; healthy pings that ran under a near deadline
};

} // namespace pool_model
