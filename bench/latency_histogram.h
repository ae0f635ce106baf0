// SPDX-License-Identifier: MIT
// A log-linear latency histogram (16 sub-buckets per power of two, ~6%
// resolution) that never allocates while recording: one per thread, merged
// after the run.
#pragma once

#include <array>
#include <bit>
#include <cstdint>

namespace bench {

class latency_histogram {
public:
  void record(std::uint64_t ns) noexcept {
    ++counts_[index(ns)];
    ++total_;
    if (ns > max_) max_ = ns;
  }
  void merge(const latency_histogram& o) noexcept {
    for (std::size_t i = 0; i < counts_.size(); ++i)
      counts_[i] += o.counts_[i];
    total_ += o.total_;
    if (o.max_ > max_) max_ = o.max_;
  }
  /// The upper edge of the bucket holding quantile q (0..1).
  std::uint64_t percentile(double q) const noexcept {
    if (total_ == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_ - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i)
      if ((seen += counts_[i]) >= rank) return upper(i);
    return max_;
  }
  std::uint64_t max() const noexcept { return max_; }
  std::uint64_t count() const noexcept { return total_; }

private:
  static constexpr unsigned sub_bits = 4;
  static std::size_t index(std::uint64_t ns) noexcept {
    if (ns < (1u << sub_bits)) return static_cast<std::size_t>(ns);
    const unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(ns));
    const unsigned shift = msb - sub_bits;
    return ((shift + 1) << sub_bits) + static_cast<std::size_t>((ns >> shift) & ((1u << sub_bits) - 1));
  }
  static std::uint64_t upper(std::size_t i) noexcept {
    if (i < (1u << sub_bits)) return i;
    const std::size_t shift = (i >> sub_bits) - 1;
    const std::uint64_t mant = (i & ((1u << sub_bits) - 1)) | (1u << sub_bits);
    return ((mant + 1) << shift) - 1;
  }
  std::array<std::uint64_t, 64 * 16> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t max_ = 0;
};

} // namespace bench
