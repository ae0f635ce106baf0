// SPDX-License-Identifier: MIT
// LoadSettings: how the load behaves. Set from the GUI thread (the load
// generator's properties), read by every load thread: the worker threads and
// the GUI thread's chain of asynchronous acquires.
#pragma once

#include <atomic>

struct LoadSettings {
  /// How long a leased socket is held after its round trip (ms).
  std::atomic<int> holdTime{40};
  /// Pause between returning a socket and the next acquire (ms).
  std::atomic<int> thinkTime{40};
  /// Deadline of one acquire (ms).
  std::atomic<int> acquireTimeout{1000};

  /// Bound on one echo round trip (ms).
  static constexpr int echoTimeout = 3000;
};
