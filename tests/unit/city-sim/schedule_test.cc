#include "schedule.h"

#include <catch2/catch.hpp>

#include <map>
#include <vector>

namespace cityops::sim {
namespace {

using std::chrono::microseconds;
using std::chrono::seconds;

std::vector<size_t> Due(ReadingSchedule& schedule, std::chrono::microseconds elapsed) {
  std::vector<size_t> out;
  schedule.TakeDue(elapsed, out);
  return out;
}

}  // namespace

TEST_CASE("ReadingSchedule: each asset once per interval / spread evenly", "[schedule]") {
  // Four assets at 60 s: first reports at 0, 15, 30, 45 s.
  ReadingSchedule schedule({60, 60, 60, 60}, 1.0);
  CHECK(Due(schedule, seconds(0)) == std::vector<size_t>{0});
  CHECK(schedule.NextDue() == seconds(15));
  CHECK(Due(schedule, seconds(14)).empty());
  CHECK(Due(schedule, seconds(15)) == std::vector<size_t>{1});
  CHECK(Due(schedule, seconds(59)) == std::vector<size_t>{2, 3});
  CHECK(Due(schedule, seconds(60)) == std::vector<size_t>{0});
}

TEST_CASE("ReadingSchedule: over a long run / every asset reports at its own rate", "[schedule]") {
  std::vector<int> intervals;
  for (int i = 0; i < 300; ++i) intervals.push_back(300);
  for (int i = 0; i < 30; ++i) intervals.push_back(30);
  ReadingSchedule schedule(intervals, 1.0);
  std::map<size_t, int> counts;
  std::vector<size_t> due;
  // 600 s in 100 ms steps: light points twice, vehicles twenty times.
  for (int64_t ms = 0; ms < 600000; ms += 100) {
    due.clear();
    schedule.TakeDue(std::chrono::milliseconds(ms), due);
    for (const size_t i : due) ++counts[i];
  }
  for (size_t i = 0; i < intervals.size(); ++i) {
    INFO(i);
    CHECK(counts[i] == 600 / intervals[i]);
  }
}

TEST_CASE("ReadingSchedule: speed divides the intervals", "[schedule]") {
  ReadingSchedule schedule({300, 60}, 10.0);
  CHECK(schedule.interval(0) == seconds(30));
  CHECK(schedule.interval(1) == seconds(6));
  int first = 0, second = 0;
  std::vector<size_t> due;
  for (int64_t ms = 0; ms < 60000; ms += 50) {
    due.clear();
    schedule.TakeDue(std::chrono::milliseconds(ms), due);
    for (const size_t i : due) (i == 0 ? first : second)++;
  }
  CHECK(first == 2);
  CHECK(second == 10);
}

TEST_CASE("ReadingSchedule: a late asset reports once / not a burst", "[schedule]") {
  ReadingSchedule schedule({10}, 1.0);
  CHECK(Due(schedule, seconds(0)).size() == 1);
  // An hour late: one report, then the next one interval on, in phase.
  CHECK(Due(schedule, seconds(3605)).size() == 1);
  CHECK(schedule.NextDue() == seconds(3610));
  CHECK(Due(schedule, seconds(3609)).empty());
}

TEST_CASE("ReadingSchedule: empty", "[schedule]") {
  ReadingSchedule schedule({}, 1.0);
  CHECK(Due(schedule, seconds(100)).empty());
  CHECK(schedule.NextDue() == microseconds::max());
}

}  // namespace cityops::sim
