#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "cityops/incidents/v1/incidents.pb.h"

namespace cityops::incidents {

// Hands committed incident events to the watch streams in this process. A
// watcher that falls too far behind is dropped (its stream ends and the
// client reconnects); the Kafka topic remains the complete log.
class EventHub {
 public:
  class Subscription {
   public:
    // The next event, or nothing after the timeout or once dropped.
    std::optional<v1::IncidentEvent> Next(std::chrono::milliseconds timeout);
    bool dropped() const;

   private:
    friend class EventHub;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<v1::IncidentEvent> queue_;
    bool dropped_ = false;
  };

  explicit EventHub(size_t max_queued = 10000) : max_queued_(max_queued) {}

  std::shared_ptr<Subscription> Subscribe();
  void Unsubscribe(const std::shared_ptr<Subscription>& subscription);
  void Publish(const std::vector<v1::IncidentEvent>& events);
  size_t subscribers() const;

 private:
  const size_t max_queued_;
  mutable std::mutex mutex_;
  std::set<std::shared_ptr<Subscription>> subscriptions_;
};

}  // namespace cityops::incidents
