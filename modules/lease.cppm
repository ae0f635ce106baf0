// SPDX-License-Identifier: MIT
// connpool:lease — lease<T>, a connection on loan from a pool.
//
// Move-only RAII: destroying a non-empty lease returns its connection to the
// pool (as put() does); discard() closes it instead (as pool::discard()
// does). It keeps the pool's core alive, so a lease may outlive its pool:
// returning it then closes the connection.
module;
#include "inline.h"

#include <atomic>
#include <cassert>
#include <cstdint>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>
export module connpool:lease;
import :errors;
import :clock;
import :core;

export namespace connpool {

template <class T> class pool;

template <class T> class lease {
public:
  lease() noexcept = default;
  lease(lease&& other) noexcept
      : core_(std::exchange(other.core_, nullptr)), slot_(std::exchange(other.slot_, nullptr)) {}
  lease& operator=(lease&& other) noexcept {
    if (this != &other) {
      give_back();
      core_ = std::exchange(other.core_, nullptr);
      slot_ = std::exchange(other.slot_, nullptr);
    }
    return *this;
  }
  lease(const lease&) = delete;
  lease& operator=(const lease&) = delete;
  ~lease() { give_back(); }

  /// True while it holds a connection (false once returned, discarded or moved from).
  explicit operator bool() const noexcept { return slot_ != nullptr; }
  /// The connection. Precondition: *this is true.
  T& operator*() noexcept {
    assert(slot_);
    return *slot_->conn;
  }
  const T& operator*() const noexcept {
    assert(slot_);
    return *slot_->conn;
  }
  T* operator->() noexcept { return &**this; }
  const T* operator->() const noexcept { return &**this; }
  /// When the factory made this connection (pool clock).
  [[nodiscard]] time_point created_at() const noexcept {
    assert(slot_);
    return slot_->created_at();
  }

  /// The pool's id of this connection: the one connection_info::id and the
  /// observer's callbacks use (from 1, unique within the pool); 0 for an
  /// empty lease. One relaxed load, valid as soon as get() returns.
  [[nodiscard]] std::uint64_t id() const noexcept { return slot_ ? slot_->id.load(std::memory_order_relaxed) : 0; }

  /// Closes the connection (known to be broken, or mid-exchange) instead of
  /// returning it: frees its slot for the first waiter, counts a discard,
  /// close reason `discarded`; the lease is empty afterwards. The same as
  /// pool::discard(*this), and it works after the pool is gone.
  /// An empty lease: std::system_error(invalid_connection), nothing changes.
  void discard() {
    if (!slot_) throw std::system_error(make_error_code(errc::invalid_connection));
    discard_now();
  }
  /// The non-throwing form: invalid_connection for an empty lease.
  std::error_code discard(std::error_code& ec) noexcept {
    if (!slot_) {
      ec = make_error_code(errc::invalid_connection);
      return ec;
    }
    if (ec) ec.clear();
    discard_now();
    return ec;
  }

private:
  friend class pool<T>;
  lease(detail::core<T>* core, detail::slot<T>* slot) noexcept : core_(core), slot_(slot) {}

  CONNPOOL_ALWAYS_INLINE void give_back() noexcept {
    if (!slot_) return;
    core_->give_back(*std::exchange(slot_, nullptr)); // may delete an orphaned core
    core_ = nullptr;
  }

  void discard_now() {
    detail::core<T>* c = std::exchange(core_, nullptr);
    c->discard(*std::exchange(slot_, nullptr)); // may delete an orphaned core
  }

  detail::core<T>* core_ = nullptr; // kept alive by this lease (see core's lifetime notes)
  detail::slot<T>* slot_ = nullptr;
};

} // namespace connpool
