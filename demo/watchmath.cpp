// SPDX-License-Identifier: MIT
#include "watchmath.h"

#include <algorithm>
#include <cmath>

namespace watchmath {

double counterIncrease(double previous, double now) { return wasReset(previous, now) ? now : now - previous; }

bool wasReset(double previous, double now) { return now < previous; }

std::vector<Bucket> bucketIncrease(const std::vector<Bucket>& previous, const std::vector<Bucket>& now) {
  if (previous.size() != now.size()) return now;
  std::vector<Bucket> out(now.size());
  for (std::size_t i = 0; i < now.size(); ++i) {
    if (previous[i].le != now[i].le || wasReset(previous[i].count, now[i].count)) return now;
    out[i] = {now[i].le, now[i].count - previous[i].count};
  }
  return out;
}

std::optional<double> histogramQuantile(double q, const std::vector<Bucket>& buckets) {
  if (!(q >= 0 && q <= 1) || buckets.empty() || !std::isinf(buckets.back().le)) return std::nullopt;
  const double total = buckets.back().count;
  if (!(total > 0)) return std::nullopt;
  const double rank = q * total;
  // The first bucket whose cumulative count reaches the rank.
  std::size_t b = 0;
  while (b + 1 < buckets.size() && buckets[b].count < rank)
    ++b;
  if (std::isinf(buckets[b].le)) return buckets.size() >= 2 ? buckets[buckets.size() - 2].le : 0.0;
  double lower = 0, below = 0;
  if (b > 0)
    lower = buckets[b - 1].le, below = buckets[b - 1].count;
  else if (buckets[b].le <= 0)
    return buckets[b].le; // the first bucket's bound is all we know
  const double inBucket = buckets[b].count - below;
  if (inBucket <= 0) return buckets[b].le;
  return lower + (buckets[b].le - lower) * ((rank - below) / inBucket);
}

std::optional<double> histogramMaxBound(const std::vector<Bucket>& buckets) {
  if (buckets.empty() || !(buckets.back().count > 0)) return std::nullopt;
  // The first bucket that already holds every observation.
  for (const Bucket& b : buckets)
    if (b.count >= buckets.back().count) return b.le;
  return buckets.back().le;
}

int retryDelay(int intervalMs, int failures) {
  const int interval = std::max(1, intervalMs);
  if (failures <= 0) return interval;
  const int cap = std::min(30000, std::max(8 * interval, 2000));
  double delay = interval;
  for (int i = 1; i < failures && delay < cap; ++i)
    delay *= 2;
  return static_cast<int>(std::min<double>(delay, cap));
}

} // namespace watchmath
