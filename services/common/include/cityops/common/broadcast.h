#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

// Hands committed events to the watch streams of this process (gRPC server
// streams). A subscriber that falls too far behind is dropped: its stream
// ends and the client watches again; the Kafka topic remains the full log.
namespace cityops::common {

template <typename Event>
class Broadcast {
 public:
  class Subscription {
   public:
    // The next event, or nothing after the timeout or once dropped.
    std::optional<Event> Next(std::chrono::milliseconds timeout) {
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, timeout, [&] { return !queue_.empty() || dropped_; });
      if (queue_.empty() || dropped_) return std::nullopt;
      Event event = std::move(queue_.front());
      queue_.pop_front();
      return event;
    }
    bool dropped() const {
      std::lock_guard lock(mutex_);
      return dropped_;
    }

   private:
    friend class Broadcast;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Event> queue_;
    bool dropped_ = false;
  };

  explicit Broadcast(size_t max_queued = 10000) : max_queued_(max_queued) {}

  std::shared_ptr<Subscription> Subscribe() {
    auto subscription = std::make_shared<Subscription>();
    std::lock_guard lock(mutex_);
    subscriptions_.insert(subscription);
    return subscription;
  }

  void Unsubscribe(const std::shared_ptr<Subscription>& subscription) {
    std::lock_guard lock(mutex_);
    subscriptions_.erase(subscription);
  }

  void Publish(const std::vector<Event>& events) {
    if (events.empty()) return;
    std::lock_guard lock(mutex_);
    for (auto it = subscriptions_.begin(); it != subscriptions_.end();) {
      Subscription& s = **it;
      bool drop = false;
      {
        std::lock_guard inner(s.mutex_);
        if (s.queue_.size() + events.size() > max_queued_) {
          s.dropped_ = true;
          s.queue_.clear();
          drop = true;
        } else {
          s.queue_.insert(s.queue_.end(), events.begin(), events.end());
        }
      }
      s.cv_.notify_all();
      it = drop ? subscriptions_.erase(it) : std::next(it);
    }
  }

  size_t subscribers() const {
    std::lock_guard lock(mutex_);
    return subscriptions_.size();
  }

 private:
  const size_t max_queued_;
  mutable std::mutex mutex_;
  std::set<std::shared_ptr<Subscription>> subscriptions_;
};

}  // namespace cityops::common
