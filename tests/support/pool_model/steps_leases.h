// SPDX-License-Identifier: MIT
// Test support, pool model: the runner's steps on leases. put and discard
// (of a live lease, or of one already returned), a lease's destructor, lease
// move-assignment, returns the pool must refuse (an empty lease, a double
// put, another pool's lease, an orphan of a destroyed pool), and the foreign
// pool those come from. Each step tells the model first, then acts on the
// pool and compares the result. Part of runner.h, which includes it at its
// end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <system_error>

#include "runner.h"

namespace pool_model {

// put, discard
inline void runner::do_return(const op& o) {
  const bool discard = o.k == kind::discard;
  const bool throwing = o.b & 1;
  if (leases_.empty()) return do_invalid_return(op{kind::invalid_return, 0, std::uint8_t(discard ? 1 : 0), o.b, 0});
  const std::size_t k = o.a % leases_.size();
  std::error_code expected = errc::invalid_connection;
  if (ids_[k] != 0) {
    auto c = m_.take_active(ids_[k]);
    if (!c) return;
    expected = {};
    if (discard) {
      ++m_.m.discards;
      m_.close(*c, close_reason::discarded);
    } else {
      ++m_.m.puts;
      m_.give_back(*c, true, false, &expected);
    }
  } else {
    ++t_.invalid_returns;
  }
  std::error_code ec;
  if (!throwing) {
    discard ? pool_->discard(leases_[k], ec) : pool_->put(leases_[k], ec);
  } else {
    try {
      discard ? pool_->discard(leases_[k]) : pool_->put(leases_[k]);
    } catch (const std::system_error& e) {
      ec = e.code();
    }
  }
  expect_ec(discard ? "discard" : "put", expected, ec);
  if (leases_[k]) fail("the lease still holds a connection after put/discard");
  ids_[k] = 0;
}

inline void runner::do_drop(const op& o) {
  if (leases_.empty()) return;
  const std::size_t k = o.a % leases_.size();
  if (ids_[k] != 0) {
    auto c = m_.take_active(ids_[k]);
    if (!c) return;
    ++m_.m.puts;
    m_.give_back(*c, true, false);
  }
  leases_[k] = {};
  ids_[k] = 0;
}

inline void runner::do_reassign(const op& o) {
  if (leases_.empty()) return;
  const std::size_t i = o.a % leases_.size(), j = o.b % leases_.size();
  auto& to = leases_[i];
  auto& from = leases_[j];
  if (i != j) {
    if (ids_[i] != 0) {
      auto c = m_.take_active(ids_[i]);
      if (!c) return;
      ++m_.m.puts;
      m_.give_back(*c, true, false);
    }
    ids_[i] = ids_[j];
    ids_[j] = 0;
  }
  to = std::move(from); // self-move when i == j: nothing changes
}

inline void runner::do_invalid_return(const op& o) {
  connpool::lease<conn> empty;
  connpool::lease<conn>* l = &empty;
  const int which = o.b % 4;
  if (which >= 2) { // foreign: a lease of the other pool, or an orphan of a destroyed one
    if (!orphans_.empty() && (o.a & 1))
      l = &orphans_[o.a % orphans_.size()];
    else if (!foreign_leases_.empty())
      l = &foreign_leases_[o.a % foreign_leases_.size()];
  } else {
    for (std::size_t i = 0; i < leases_.size(); ++i)
      if (ids_[(i + o.a) % leases_.size()] == 0) {
        l = &leases_[(i + o.a) % leases_.size()]; // a returned (moved-from) lease: a double put
        break;
      }
  }
  const bool was_held = static_cast<bool>(*l);
  const int held_id = was_held ? (*l)->id : 0;
  const bool discard = which % 2;
  std::error_code ec;
  if (o.c & 1) {
    try {
      discard ? pool_->discard(*l) : pool_->put(*l);
    } catch (const std::system_error& e) {
      ec = e.code();
    }
  } else {
    discard ? pool_->discard(*l, ec) : pool_->put(*l, ec);
  }
  ++t_.invalid_returns;
  expect_ec(discard ? "discard of an invalid lease" : "put of an invalid lease", errc::invalid_connection, ec);
  if (was_held && (!*l || (*l)->id != held_id)) fail("a foreign lease was taken by the wrong pool");
}

inline void runner::ensure_foreign() {
  if (foreign_) return;
  connpool::config<conn> c;
  c.factory = [this](const context&) { return backend_.make_foreign_conn(); };
  c.close = [this](conn& x) { backend_.close_conn(x); };
  c.max_size = 2;
  c.background_maintenance = false;
  foreign_ = std::make_unique<connpool::pool<conn>>(c);
}

inline void runner::do_foreign(const op& o) {
  switch (o.a % 3) {
  case 0:
    ensure_foreign();
    if (foreign_leases_.size() < 2) {
      foreign_leases_.push_back(foreign_->get());
      m_.hint_unsure = true;
    }
    break;
  case 1:
    if (!foreign_leases_.empty()) {
      foreign_leases_.erase(foreign_leases_.begin() + o.b % foreign_leases_.size());
      m_.hint_unsure = true;
    }
    break;
  default:
    if (!orphans_.empty()) {
      m_.hint_unsure = true;
      const std::size_t k = o.b % orphans_.size();
      m_.expected_closes.push_back(orphans_[k]->id); // its pool is gone: returning it closes it
      orphans_.erase(orphans_.begin() + static_cast<std::ptrdiff_t>(k));
    }
    break;
  }
}

} // namespace pool_model
