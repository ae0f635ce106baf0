// SPDX-License-Identifier: MIT
// Test support: failures seen in threads other than the test's, collected
// under a lock and reported by the test's own thread (QVERIFY only works
// there). Keeps the first 20.
#pragma once

#include <QtCore/qstringlist.h>

#include <mutex>

class ThreadFailures {
public:
  void add(const QString& what) {
    std::lock_guard lk(mutex_);
    if (list_.size() < 20) list_ << what;
  }
  QStringList list() const {
    std::lock_guard lk(mutex_);
    return list_;
  }

private:
  mutable std::mutex mutex_;
  QStringList list_; // guarded by mutex_
};
