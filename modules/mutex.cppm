// SPDX-License-Identifier: MIT
// connpool:mutex — the pool's one mutex, annotated for Clang's thread-safety
// analysis.
//
//   pool_mutex   std::mutex as a capability: fields say GUARDED_BY(mu_),
//                functions REQUIRES(mu_), and clang checks both
//   pool_lock    the scoped lock (lock_guard and unique_lock in one); its
//                native() unique_lock is what condition variables wait on
//   wait_for_context  a condition-variable wait bounded by a context
//
// The parts of the core that keep state guarded by the core's mutex take it
// as a parameter of their locked functions (`REQUIRES(held)`): the part does
// not own the mutex, but cannot be called without it.
module;
#include "thread_safety.h"

#include <condition_variable>
#include <mutex>
export module connpool:mutex;
import :context;

namespace connpool::detail {

class CONNPOOL_CAPABILITY("mutex") pool_mutex {
public:
  void lock() CONNPOOL_ACQUIRE() { m_.lock(); }
  void unlock() CONNPOOL_RELEASE() { m_.unlock(); }

private:
  friend class pool_lock;
  std::mutex m_;
};

class CONNPOOL_SCOPED_CAPABILITY pool_lock {
public:
  explicit pool_lock(pool_mutex& m) CONNPOOL_ACQUIRE(m) : lk_(m.m_) {}
  // NOLINTNEXTLINE(modernize-use-equals-default): the analysis needs the release on a destructor of its own
  ~pool_lock() CONNPOOL_RELEASE() {}
  pool_lock(const pool_lock&) = delete;
  pool_lock& operator=(const pool_lock&) = delete;
  void lock() CONNPOOL_ACQUIRE() { lk_.lock(); }
  void unlock() CONNPOOL_RELEASE() { lk_.unlock(); }
  /// For condition variables only: they unlock and relock it while waiting,
  /// which the analysis need not see (the lock is held again when they return).
  std::unique_lock<std::mutex>& native() noexcept { return lk_; }

private:
  std::unique_lock<std::mutex> lk_;
};

/// Waits until `pred()` holds or `ctx` ends; returns pred().
template <class Pred>
bool wait_for_context(std::condition_variable_any& cv, pool_lock& lk, const context& ctx, Pred pred) {
  if (ctx.deadline()) return cv.wait_until(lk.native(), ctx.stop_token(), *ctx.deadline(), pred);
  return cv.wait(lk.native(), ctx.stop_token(), pred);
}

} // namespace connpool::detail
