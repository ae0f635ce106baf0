// SPDX-License-Identifier: MIT
// Test support: a one-shot gate that threads wait on with a deadline, so a
// test can hold a callback (factory, ping, close) at a known point without
// sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace testing_support {

class gate {
public:
  void open() {
    {
      std::lock_guard lk(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  /// True when opened within `limit` (a failed test, never a hang, otherwise).
  bool wait(std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, limit, [this] { return open_; });
  }
  bool is_open() const {
    std::lock_guard lk(mu_);
    return open_;
  }

private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false; // guarded by mu_
};

/// A callback (a ping, say) that, once armed, stops once at a gate: the test
/// waits on `entered`, checks what it wants while the callback is held, then
/// opens `release`. Unarmed, it passes straight through and returns true.
class holding_ping {
public:
  void arm() { armed_ = true; }
  bool operator()() {
    if (armed_.exchange(false)) {
      entered.open();
      release.wait();
    }
    return true;
  }
  gate entered, release;

private:
  std::atomic<bool> armed_{false};
};

} // namespace testing_support
