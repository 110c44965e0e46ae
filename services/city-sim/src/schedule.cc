#include "schedule.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace cityops::sim {

ReadingSchedule::ReadingSchedule(const std::vector<int>& interval_seconds, double speed) {
  const double factor = speed > 0 ? 1.0 / speed : 1.0;
  intervals_.reserve(interval_seconds.size());
  std::map<int, size_t> group_sizes;
  for (const int s : interval_seconds) {
    const double us = std::max(1, s) * 1e6 * factor;
    intervals_.push_back(Duration(std::max<int64_t>(1, std::llround(us))));
    ++group_sizes[s];
  }
  // The k-th of n assets with one interval first reports k/n of the way into it.
  std::map<int, size_t> seen;
  std::vector<Entry> entries;
  entries.reserve(intervals_.size());
  for (size_t i = 0; i < intervals_.size(); ++i) {
    const int s = interval_seconds[i];
    const size_t k = seen[s]++;
    const auto offset = intervals_[i].count() * static_cast<int64_t>(k) / static_cast<int64_t>(group_sizes[s]);
    entries.push_back({Duration(offset), i});
  }
  queue_ = decltype(queue_)(std::greater<>(), std::move(entries));
}

void ReadingSchedule::TakeDue(Duration elapsed, std::vector<size_t>& out) {
  while (!queue_.empty() && queue_.top().due <= elapsed) {
    Entry entry = queue_.top();
    queue_.pop();
    out.push_back(entry.index);
    entry.due += intervals_[entry.index];
    if (entry.due <= elapsed) {
      // Late by a whole interval (the process was stopped, or could not keep
      // up): resume from now, keeping the phase.
      const auto late = (elapsed - entry.due).count() / intervals_[entry.index].count() + 1;
      entry.due += intervals_[entry.index] * late;
    }
    queue_.push(entry);
  }
}

ReadingSchedule::Duration ReadingSchedule::NextDue() const {
  return queue_.empty() ? Duration::max() : queue_.top().due;
}

}  // namespace cityops::sim
