#include "security/rate_limiter.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace cityops::gateway {
namespace {

constexpr std::chrono::minutes kIdleBeforeForgotten(10);
constexpr std::chrono::minutes kSweepInterval(1);
constexpr double kMaxRetryAfterSeconds = 24 * 3600;

double SecondsBetween(common::TimePoint from, common::TimePoint to) {
  // A clock that went back counts as no time passed.
  return std::max(0.0, std::chrono::duration<double>(to - from).count());
}

}  // namespace

RateLimiter::RateLimiter(double per_second, double burst, const common::Clock& clock)
    : per_second_(per_second), burst_(burst), clock_(clock), last_sweep_(clock.Now()) {
  assert(per_second > 0 && burst >= 1);
}

std::optional<std::chrono::seconds> RateLimiter::Take(std::string_view key) {
  const common::TimePoint now = clock_.Now();
  const std::lock_guard<std::mutex> lock(mutex_);
  if (now - last_sweep_ >= kSweepInterval) SweepLocked(now);

  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    it = buckets_.emplace(std::string(key), Bucket{.tokens = burst_, .last_seen = now}).first;
  } else {
    Bucket& bucket = it->second;
    bucket.tokens = std::min(burst_, bucket.tokens + SecondsBetween(bucket.last_seen, now) * per_second_);
    bucket.last_seen = std::max(bucket.last_seen, now);
  }
  Bucket& bucket = it->second;
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return std::nullopt;
  }
  const double wait = std::clamp(std::ceil((1.0 - bucket.tokens) / per_second_), 1.0, kMaxRetryAfterSeconds);
  return std::chrono::seconds(static_cast<std::chrono::seconds::rep>(wait));
}

size_t RateLimiter::tracked_keys() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return buckets_.size();
}

void RateLimiter::SweepLocked(common::TimePoint now) {
  last_sweep_ = now;
  std::erase_if(buckets_, [&](const auto& entry) {
    const Bucket& bucket = entry.second;
    const bool idle = now - bucket.last_seen >= kIdleBeforeForgotten;
    // A bucket that would not be full again must stay, or forgetting it would
    // hand out a full burst early.
    return idle && bucket.tokens + SecondsBetween(bucket.last_seen, now) * per_second_ >= burst_;
  });
}

}  // namespace cityops::gateway
