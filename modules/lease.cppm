// connpool:lease — lease<T>, a connection on loan from a pool.
//
// Move-only RAII: destroying a non-empty lease returns its connection to the
// pool (as put() does). It keeps the pool's core alive, so a lease may outlive
// its pool: returning it then closes the connection.
module;
#include <cassert>
#include <memory>
#include <optional>
#include <utility>
export module connpool:lease;
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

private:
  friend class pool<T>;
  lease(detail::core<T>* core, detail::slot<T>* slot) noexcept : core_(core), slot_(slot) {}

  [[gnu::always_inline]] void give_back() noexcept {
    if (!slot_) return;
    core_->give_back(*std::exchange(slot_, nullptr)); // may delete an orphaned core
    core_ = nullptr;
  }

  detail::core<T>* core_ = nullptr; // kept alive by this lease (see core's lifetime notes)
  detail::slot<T>* slot_ = nullptr;
};

} // namespace connpool
