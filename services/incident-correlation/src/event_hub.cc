#include "event_hub.h"

namespace cityops::incidents {

std::optional<v1::IncidentEvent> EventHub::Subscription::Next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, timeout, [&] { return !queue_.empty() || dropped_; });
  if (queue_.empty() || dropped_) return std::nullopt;
  v1::IncidentEvent event = std::move(queue_.front());
  queue_.pop_front();
  return event;
}

bool EventHub::Subscription::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

std::shared_ptr<EventHub::Subscription> EventHub::Subscribe() {
  auto subscription = std::make_shared<Subscription>();
  std::lock_guard lock(mutex_);
  subscriptions_.insert(subscription);
  return subscription;
}

void EventHub::Unsubscribe(const std::shared_ptr<Subscription>& subscription) {
  std::lock_guard lock(mutex_);
  subscriptions_.erase(subscription);
}

void EventHub::Publish(const std::vector<v1::IncidentEvent>& events) {
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

size_t EventHub::subscribers() const {
  std::lock_guard lock(mutex_);
  return subscriptions_.size();
}

}  // namespace cityops::incidents
