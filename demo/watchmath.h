// SPDX-License-Identifier: MIT
// The arithmetic of watching a program through its /metrics: pure functions
// of two scrapes, tested without threads or sockets (tests/demo/tst_watchmath).
#pragma once

#include <optional>
#include <vector>

namespace watchmath {

/// How much a counter grew between two scrapes. A counter that went down was
/// reset (the program restarted): it counted `now` since, as Prometheus'
/// rate() assumes; never a negative increase.
double counterIncrease(double previous, double now);

/// True when the counter went down between the scrapes.
bool wasReset(double previous, double now);

/// One cumulative histogram bucket: observations <= le (le may be +Inf).
struct Bucket {
  double le = 0;
  double count = 0;
  bool operator==(const Bucket&) const = default;
};

/// The observations of the interval between two scrapes of one histogram:
/// now's cumulative counts minus previous', bucket by bucket. When the
/// bounds differ or a count went down (a reset), `now` itself.
std::vector<Bucket> bucketIncrease(const std::vector<Bucket>& previous, const std::vector<Bucket>& now);

/// The q-quantile (0 <= q <= 1) of cumulative `buckets` sorted by le, as
/// Prometheus' histogram_quantile computes it: find the bucket holding rank
/// q * total and interpolate linearly inside it (the first bucket starts at
/// 0); in the +Inf bucket, the largest finite bound. Nothing when there is
/// no observation, no +Inf bucket, or q is out of range.
std::optional<double> histogramQuantile(double q, const std::vector<Bucket>& buckets);

/// The upper bound of the highest bucket that holds an observation (the
/// largest value is at most this); +Inf stays +Inf. Nothing when empty.
std::optional<double> histogramMaxBound(const std::vector<Bucket>& buckets);

/// The delay before the next scrape after `failures` failures in a row:
/// `interval` while it works, doubling per failure up to the larger of
/// 8 x interval and 2 s, and never above 30 s (milliseconds).
int retryDelay(int intervalMs, int failures);

} // namespace watchmath
