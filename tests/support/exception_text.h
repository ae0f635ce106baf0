// SPDX-License-Identifier: MIT
// Test helper: the message an exception_ptr carries, for comparisons.
#pragma once

#include <exception>
#include <string>

/// The what() of the exception in `e`, or "(null)".
inline std::string what_of(const std::exception_ptr& e) {
  if (!e) return "(null)";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  }
}
