// SPDX-License-Identifier: MIT
// Test support: a fake connection whose factory and close are recorded, so a
// test can prove that every connection made was closed exactly once.
// Include after `import connpool;`.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>

namespace testing_support {

struct fake_conn {
  int id = 0;
};

struct factory_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Records every connection made and every close; thread-safe.
class tracker {
public:
  /// A config whose factory/close are recorded; set ping and limits on it.
  connpool::config<fake_conn> config(std::size_t max_size) {
    connpool::config<fake_conn> c;
    c.factory = [this](const connpool::context&) {
      if (fail_next.exchange(false)) throw factory_error("factory told to fail");
      std::lock_guard lk(mu_);
      const int id = ++made_;
      closes_[id] = 0;
      return fake_conn{id};
    };
    c.close = [this](fake_conn& f) {
      std::lock_guard lk(mu_);
      ++closes_[f.id];
    };
    c.max_size = max_size;
    return c;
  }

  /// config(max_size) on `clock`, with maintenance left to the test (maintain()).
  connpool::config<fake_conn> manual_config(std::size_t max_size, const connpool::manual_clock& clock) {
    auto c = config(max_size);
    c.clock = clock.function();
    c.background_maintenance = false;
    return c;
  }

  int made() const {
    std::lock_guard lk(mu_);
    return made_;
  }
  int closed() const {
    std::lock_guard lk(mu_);
    int n = 0;
    for (auto& [id, c] : closes_)
      n += c > 0;
    return n;
  }
  int times_closed(int id) const {
    std::lock_guard lk(mu_);
    auto it = closes_.find(id);
    return it == closes_.end() ? -1 : it->second;
  }
  /// True when every connection made was closed exactly once.
  bool all_closed_exactly_once() const {
    std::lock_guard lk(mu_);
    for (auto& [id, c] : closes_)
      if (c != 1) return false;
    return true;
  }
  /// No connection closed twice (some may still be open).
  bool none_closed_twice() const {
    std::lock_guard lk(mu_);
    for (auto& [id, c] : closes_)
      if (c > 1) return false;
    return true;
  }

  std::atomic<bool> fail_next{false};

private:
  mutable std::mutex mu_;
  int made_ = 0;              // guarded by mu_
  std::map<int, int> closes_; // guarded by mu_; id -> times closed
};

} // namespace testing_support
