#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "cityops/common/clock.h"

// Requests per user (or API key), as a token bucket per key. Thread-safe.
namespace cityops::gateway {

class RateLimiter {
 public:
  // `per_second` tokens refill per second (> 0), at most `burst` held (>= 1);
  // a new key starts full. Keys idle for 10 minutes (whose bucket would be
  // full again) are forgotten: Take sweeps them at most once a minute, so
  // memory stays bounded by the keys seen in the last minutes. `clock` must
  // outlive the limiter.
  RateLimiter(double per_second, double burst, const common::Clock& clock);

  // std::nullopt when the request may go ahead (one token taken); otherwise
  // how long until a token is there (for Retry-After: rounded up to whole
  // seconds, at least 1 s, at most a day).
  std::optional<std::chrono::seconds> Take(std::string_view key);

  // How many keys have a bucket now.
  size_t tracked_keys() const;

 private:
  struct Bucket {
    double tokens;
    common::TimePoint last_seen;
  };

  // Forgets the buckets idle long enough; mutex_ held.
  void SweepLocked(common::TimePoint now);

  const double per_second_;
  const double burst_;
  const common::Clock& clock_;
  mutable std::mutex mutex_;
  std::map<std::string, Bucket, std::less<>> buckets_;
  common::TimePoint last_sweep_;
};

}  // namespace cityops::gateway
