// SPDX-License-Identifier: MIT
// The in-run baseline: what users hand-roll today — one mutex, one
// condition_variable, one deque of idle connections.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>

namespace bench {

class naive_pool {
public:
  explicit naive_pool(std::size_t idle) {
    for (std::size_t i = 0; i < idle; ++i)
      idle_.push_back(static_cast<int>(i));
  }
  int get() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [this] { return !idle_.empty(); });
    const int c = idle_.back();
    idle_.pop_back();
    return c;
  }
  void put(int c) {
    {
      std::lock_guard lk(mu_);
      idle_.push_back(c);
    }
    cv_.notify_one();
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int> idle_; // guarded by mu_
};

} // namespace bench
