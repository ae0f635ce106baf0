// SPDX-License-Identifier: MIT
#include "connectionerrorlog_p.h"

#include <utility>

namespace connpool::qt {

void ConnectionErrorLog::note(std::uint64_t id, QString error) {
  if (id == 0 || error.isEmpty()) return;
  std::lock_guard lk(mutex_);
  lastErrors_[id] = std::move(error);
}

void ConnectionErrorLog::forget(std::uint64_t id) {
  std::lock_guard lk(mutex_);
  lastErrors_.erase(id);
}

QString ConnectionErrorLog::lastError(std::uint64_t id) const {
  std::lock_guard lk(mutex_);
  const auto it = lastErrors_.find(id);
  return it == lastErrors_.end() ? QString() : it->second;
}

} // namespace connpool::qt
