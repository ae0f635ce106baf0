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
  lease(lease&& other) noexcept : core_(std::move(other.core_)), entry_(std::move(other.entry_)) {
    other.entry_.reset();
  }
  lease& operator=(lease&& other) noexcept {
    if (this != &other) {
      give_back();
      core_ = std::move(other.core_);
      entry_ = std::move(other.entry_);
      other.entry_.reset();
    }
    return *this;
  }
  lease(const lease&) = delete;
  lease& operator=(const lease&) = delete;
  ~lease() { give_back(); }

  /// True while it holds a connection (false once returned, discarded or moved from).
  explicit operator bool() const noexcept { return entry_.has_value(); }
  /// The connection. Precondition: *this is true.
  T& operator*() noexcept {
    assert(entry_);
    return entry_->conn;
  }
  const T& operator*() const noexcept {
    assert(entry_);
    return entry_->conn;
  }
  T* operator->() noexcept { return &**this; }
  const T* operator->() const noexcept { return &**this; }
  /// When the factory made this connection (pool clock).
  [[nodiscard]] time_point created_at() const noexcept {
    assert(entry_);
    return entry_->created;
  }

private:
  friend class pool<T>;
  lease(std::shared_ptr<detail::core<T>> core, detail::entry<T>&& e) noexcept
      : core_(std::move(core)), entry_(std::move(e)) {}

  void give_back() noexcept {
    if (!entry_) return;
    auto e = std::move(*entry_);
    entry_.reset();
    try {
      core_->give_back(std::move(e));
    } catch (...) { // bad_alloc growing the idle deque: nothing a destructor can do
    }
  }

  std::shared_ptr<detail::core<T>> core_;
  std::optional<detail::entry<T>> entry_;
};

} // namespace connpool
