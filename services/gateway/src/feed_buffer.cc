#include "feed_buffer.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cityops::gateway {

FeedBuffer::FeedBuffer(std::string epoch, std::chrono::milliseconds window, size_t max_events,
                       const common::Clock& clock, size_t max_bytes)
    : epoch_(std::move(epoch)),
      window_(window),
      max_events_(std::max<size_t>(1, max_events)),
      max_bytes_(max_bytes),
      clock_(clock) {}

uint64_t FeedBuffer::Add(std::string type, std::string data) {
  std::lock_guard lock(mu_);
  FeedEvent event;
  event.seq = ++last_seq_;
  event.at = clock_.Now();
  event.type = std::move(type);
  event.data = std::move(data);
  bytes_ += event.type.size() + event.data.size();
  events_.push_back(std::move(event));
  Trim();
  return last_seq_;
}

void FeedBuffer::Trim() {
  const common::TimePoint oldest = clock_.Now() - window_;
  // The newest event stays, whatever its size.
  while (events_.size() > 1 && (events_.size() > max_events_ || bytes_ > max_bytes_ || events_.front().at < oldest)) {
    bytes_ -= events_.front().type.size() + events_.front().data.size();
    events_.pop_front();
  }
}

FeedBuffer::Resume FeedBuffer::ResumeFrom(std::string_view last_event_id) const {
  std::lock_guard lock(mu_);
  if (last_event_id.empty()) return {last_seq_, false};
  const size_t dash = last_event_id.rfind('-');
  uint64_t seq = 0;
  if (dash == std::string_view::npos || last_event_id.substr(0, dash) != epoch_ ||
      !absl::SimpleAtoi(std::string(last_event_id.substr(dash + 1)), &seq) || seq > last_seq_) {
    return {last_seq_, true};
  }
  // The first event after `seq` must still be here (or nothing came since).
  const uint64_t first_held = events_.empty() ? last_seq_ + 1 : events_.front().seq;
  if (seq + 1 < first_held) return {last_seq_, true};
  return {seq, false};
}

std::vector<FeedEvent> FeedBuffer::After(uint64_t after, size_t max) const {
  std::lock_guard lock(mu_);
  std::vector<FeedEvent> out;
  auto it = std::upper_bound(events_.begin(), events_.end(), after,
                             [](uint64_t value, const FeedEvent& event) { return value < event.seq; });
  for (; it != events_.end() && out.size() < max; ++it) out.push_back(*it);
  return out;
}

std::string FeedBuffer::IdOf(uint64_t seq) const { return absl::StrCat(epoch_, "-", seq); }

uint64_t FeedBuffer::last_seq() const {
  std::lock_guard lock(mu_);
  return last_seq_;
}

size_t FeedBuffer::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

size_t FeedBuffer::size() const {
  std::lock_guard lock(mu_);
  return events_.size();
}

}  // namespace cityops::gateway
