#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "cityops/common/clock.h"

namespace cityops::gateway {

// What the database said about a key (a token's user, an API key's digest),
// trusted for `ttl` so that a request does not wait for PostgreSQL each time.
// Errors are not kept. Entries idle for ten times `ttl` are dropped.
// Thread-safe.
template <typename Value>
class RecentLookups {
 public:
  RecentLookups(const common::Clock& clock, std::chrono::seconds ttl) : clock_(clock), ttl_(ttl) {}

  absl::StatusOr<Value> Get(const std::string& key, const std::function<absl::StatusOr<Value>()>& load) {
    const common::TimePoint now = clock_.Now();
    {
      std::lock_guard lock(mu_);
      const auto it = entries_.find(key);
      if (it != entries_.end() && now - it->second.second < ttl_) return it->second.first;
    }
    absl::StatusOr<Value> loaded = load();
    if (!loaded.ok()) return loaded;
    std::lock_guard lock(mu_);
    for (auto it = entries_.begin(); it != entries_.end();) {
      it = now - it->second.second > 10 * ttl_ ? entries_.erase(it) : std::next(it);
    }
    entries_.insert_or_assign(key, std::make_pair(*loaded, now));
    return loaded;
  }

  // The next Get of `key` asks the database (after a change made here).
  void Forget(const std::string& key) {
    std::lock_guard lock(mu_);
    entries_.erase(key);
  }

 private:
  const common::Clock& clock_;
  const std::chrono::seconds ttl_;
  std::mutex mu_;
  std::map<std::string, std::pair<Value, common::TimePoint>> entries_;  // guarded by mu_
};

}  // namespace cityops::gateway
