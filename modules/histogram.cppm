// SPDX-License-Identifier: MIT
// connpool:histogram — latency histograms with no lock and no shared write.
//
// Log-linear buckets over nanoseconds: values below 8 ns get a bucket each;
// above, every power of two is split into 8 equal sub-buckets, so a bucket's
// width is at most 1/8 of its lower bound (percentiles are exact to within
// 12.5%). 8 + 8 * 40 buckets cover 0 ns to ~2.4 hours; longer values land in
// the last bucket. Power-of-two bounds are bucket bounds, so coarser export
// buckets (Prometheus `le`) are exact sums of fine ones.
//
// Recording is single-writer per histogram: each thread records into the
// histogram of its own counter shard (counters.cppm) with relaxed loads and
// stores, no locked instruction. A snapshot sums the shards.
module;
#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
export module connpool:histogram;
import :clock;

export namespace connpool {

inline constexpr std::size_t histogram_sub_bits = 3;
inline constexpr std::size_t histogram_octaves = 40;
inline constexpr std::size_t histogram_buckets = (1u << histogram_sub_bits) * (histogram_octaves + 1);

/// The bucket of a value in nanoseconds.
constexpr std::size_t histogram_bucket(std::uint64_t ns) noexcept {
  constexpr std::uint64_t sub = 1u << histogram_sub_bits;
  if (ns < sub) return static_cast<std::size_t>(ns);
  const unsigned octave = static_cast<unsigned>(std::bit_width(ns)) - 1 - histogram_sub_bits; // >= 0
  const std::size_t idx = sub * (octave + 1) + static_cast<std::size_t>((ns >> octave) - sub);
  return std::min(idx, histogram_buckets - 1);
}
/// The smallest value (ns) of bucket `i`.
constexpr std::uint64_t histogram_bucket_lower(std::size_t i) noexcept {
  constexpr std::uint64_t sub = 1u << histogram_sub_bits;
  if (i < sub) return i;
  const std::uint64_t octave = i / sub - 1;
  return (sub + i % sub) << octave;
}
/// One past the largest value (ns) of bucket `i`.
constexpr std::uint64_t histogram_bucket_upper(std::size_t i) noexcept {
  return i + 1 < histogram_buckets ? histogram_bucket_lower(i + 1) : UINT64_MAX;
}

/// A summed, immutable copy of a histogram (what stats() returns).
struct histogram_snapshot {
  std::array<std::uint64_t, histogram_buckets> buckets{}; ///< counts per bucket
  std::uint64_t count = 0;                                ///< values recorded
  std::uint64_t sum_ns = 0;                               ///< their sum
  std::uint64_t max_ns = 0;                               ///< the largest

  /// The value below which a fraction `q` (0..1) of the recorded values lie:
  /// the upper bound of the bucket holding that rank, capped at max.
  /// Zero when nothing was recorded.
  [[nodiscard]] duration percentile(double q) const noexcept {
    if (count == 0) return duration::zero();
    q = std::clamp(q, 0.0, 1.0);
    const auto rank =
        std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(q * static_cast<double>(count))));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < histogram_buckets; ++i) {
      seen += buckets[i];
      if (seen >= rank) return std::chrono::nanoseconds(std::min(histogram_bucket_upper(i) - 1, max_ns));
    }
    return std::chrono::nanoseconds(max_ns);
  }
  [[nodiscard]] duration p50() const noexcept { return percentile(0.50); }
  [[nodiscard]] duration p90() const noexcept { return percentile(0.90); }
  [[nodiscard]] duration p99() const noexcept { return percentile(0.99); }
  [[nodiscard]] duration max() const noexcept { return std::chrono::nanoseconds(max_ns); }
  [[nodiscard]] duration mean() const noexcept {
    return count ? std::chrono::nanoseconds(sum_ns / count) : duration::zero();
  }
  /// Values recorded that were <= `ns` (exact when `ns` + 1 is a bucket bound,
  /// e.g. a power of two minus one).
  [[nodiscard]] std::uint64_t count_at_most(std::uint64_t ns) const noexcept {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < histogram_buckets && histogram_bucket_lower(i) <= ns; ++i)
      n += buckets[i];
    return n;
  }
  histogram_snapshot& operator+=(const histogram_snapshot& o) noexcept {
    for (std::size_t i = 0; i < histogram_buckets; ++i)
      buckets[i] += o.buckets[i];
    count += o.count;
    sum_ns += o.sum_ns;
    max_ns = std::max(max_ns, o.max_ns);
    return *this;
  }
};

} // namespace connpool

namespace connpool::detail {

/// One thread's histogram (single writer; any thread may read).
struct histogram_shard {
  std::array<std::atomic<std::uint64_t>, histogram_buckets> buckets{};
  std::atomic<std::uint64_t> sum_ns{0}, max_ns{0};
  std::atomic<std::uint32_t> lo{histogram_buckets},
      hi{0}; // buckets [lo, hi) may be non-zero: snapshots read only those

  void record(duration d) noexcept {
    const auto ns = static_cast<std::uint64_t>(std::max<std::int64_t>(0, std::chrono::nanoseconds(d).count()));
    auto add = [](std::atomic<std::uint64_t>& c, std::uint64_t n) {
      c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    };
    const auto b = static_cast<std::uint32_t>(histogram_bucket(ns));
    add(buckets[b], 1);
    if (b < lo.load(std::memory_order_relaxed)) lo.store(b, std::memory_order_relaxed);
    if (b >= hi.load(std::memory_order_relaxed)) hi.store(b + 1, std::memory_order_relaxed);
    add(sum_ns, ns);
    if (ns > max_ns.load(std::memory_order_relaxed)) max_ns.store(ns, std::memory_order_relaxed);
  }
  void add_to(histogram_snapshot& h) const noexcept {
    // A bucket written before lo/hi were widened is read at the next snapshot
    // (counts are read a few operations apart anyway, see counters).
    const std::uint32_t end = hi.load(std::memory_order_relaxed);
    std::uint64_t n = 0; // count = the buckets read, so a snapshot always adds up
    for (std::uint32_t i = lo.load(std::memory_order_relaxed); i < end; ++i) {
      const std::uint64_t c = buckets[i].load(std::memory_order_relaxed);
      h.buckets[i] += c;
      n += c;
    }
    h.count += n;
    h.sum_ns += sum_ns.load(std::memory_order_relaxed);
    h.max_ns = std::max(h.max_ns, max_ns.load(std::memory_order_relaxed));
  }
};

} // namespace connpool::detail
