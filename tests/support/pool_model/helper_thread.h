// SPDX-License-Identifier: MIT
// Test support, pool model: the helper thread. While the runner's thread
// is blocked in the pool (a get that waits, a close that drains), it runs the
// one action that ends the wait once the pool shows it is waiting; it is
// also the watchdog that turns a hang into a reported failure.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>
#include <utility>

#include "common.h"

namespace pool_model {

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

} // namespace pool_model
