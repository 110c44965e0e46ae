#pragma once

// When each asset reports: every asset at its own interval (divided by the
// speed-up), the assets of one interval spread evenly over it so that the
// load is flat rather than in bursts.

#include <chrono>
#include <cstddef>
#include <queue>
#include <vector>

namespace cityops::sim {

class ReadingSchedule {
 public:
  using Duration = std::chrono::microseconds;

  // intervals[i]: how often asset i reports (positive), as simulated time;
  // speed (>= 1 usually): how many times faster than real time.
  ReadingSchedule(const std::vector<int>& interval_seconds, double speed);

  // Appends to `out` the assets due at or before `elapsed` (time since the
  // start), each once, and schedules their next report. An asset more than a
  // whole interval late skips what it missed rather than bursting.
  void TakeDue(Duration elapsed, std::vector<size_t>& out);

  // When the next asset is due (elapsed time); Duration::max() when empty.
  Duration NextDue() const;

  size_t size() const { return intervals_.size(); }
  Duration interval(size_t index) const { return intervals_[index]; }

 private:
  struct Entry {
    Duration due;
    size_t index;
    bool operator>(const Entry& other) const { return due != other.due ? due > other.due : index > other.index; }
  };
  std::vector<Duration> intervals_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue_;
};

}  // namespace cityops::sim
