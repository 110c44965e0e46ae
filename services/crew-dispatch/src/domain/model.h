#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "cityops/common/clock.h"

// Crew dispatch's plain data: crews and work orders as the domain sees them.
namespace cityops::dispatch {

using common::TimePoint;

struct Point {
  double lat = 0;
  double lon = 0;
};

enum class CrewStatus { kOffDuty, kAvailable, kEnRoute, kOnSite };

// Working hours in the city's local time: from `starts` to `ends` (minutes
// after midnight; ends at or before starts: through midnight), on the days it
// starts (bit 0 Monday .. bit 6 Sunday).
struct Shift {
  int starts = 0;
  int ends = 0;
  uint8_t weekdays = 0x7f;

  // Whether the shift is on at a local weekday (0 Monday .. 6 Sunday) and minute.
  bool IsOn(int weekday, int minute_of_day) const {
    const auto starts_on = [this](int day) { return (weekdays >> ((day + 7) % 7) & 1) != 0; };
    if (starts < ends) return starts_on(weekday) && minute_of_day >= starts && minute_of_day < ends;
    // Through midnight: the evening of a working day, or the morning after one.
    return (starts_on(weekday) && minute_of_day >= starts) || (starts_on(weekday - 1) && minute_of_day < ends);
  }
  bool operator==(const Shift&) const = default;
};

// A crew held for a crisis: waiting at a staging point, or kept where it is
// (standby); `called_in` when it was off duty and the crisis called it in.
struct CrewStaging {
  std::string crisis_id;
  std::string reason;
  std::optional<Point> position;  // unset: standby where it is
  int district = 0;               // of the staging point (0: none, or not located)
  TimePoint since{};
  std::string staged_by;
  bool called_in = false;
};

struct Crew {
  std::string id;
  std::string name;
  std::set<std::string> skills;
  std::string vehicle_id;
  Point home_base;
  CrewStatus status = CrewStatus::kOffDuty;
  Point position;
  TimePoint position_at{};
  std::string order_id;  // held order (assigned, accepted or on site)
  // No shift: on and off duty only by hand.
  std::optional<Shift> shift;
  // Whether the shift was on at the last tick (unset: not looked at yet).
  std::optional<bool> on_shift;
  // The shift ended while the crew held an order: off duty once it is done.
  bool off_duty_after_order = false;
  // Held by a crisis (see Dispatcher::Stage).
  std::optional<CrewStaging> staging;
};

// Priorities as cityops.incidents.v1.Priority: 1 low .. 4 critical.
enum class Priority { kLow = 1, kNormal = 2, kHigh = 3, kCritical = 4 };

enum class OrderStatus { kQueued, kAssigned, kAccepted, kOnSite, kCompleted, kCancelled };

struct WorkOrder {
  std::string id;
  std::string incident_id;
  std::string skill;
  Priority priority = Priority::kNormal;
  Point location;
  int district = 0;
  std::string title;
  OrderStatus status = OrderStatus::kQueued;
  std::string crew_id;
  double eta_s = 0;
  TimePoint created_at{};
  TimePoint incident_opened_at{};
  TimePoint assigned_at{};
  TimePoint accepted_at{};
  TimePoint arrived_at{};
  TimePoint completed_at{};
  TimePoint arrive_by{};
  bool target_breached = false;
  std::set<std::string> declined_by;
  bool manual = false;
  std::string assigned_by;
  int64_t version = 0;
};

inline bool IsActive(const WorkOrder& order) {
  return order.status != OrderStatus::kCompleted && order.status != OrderStatus::kCancelled;
}
// Holding a crew: assigned, accepted or on site.
inline bool HoldsCrew(const WorkOrder& order) {
  return order.status == OrderStatus::kAssigned || order.status == OrderStatus::kAccepted ||
         order.status == OrderStatus::kOnSite;
}

}  // namespace cityops::dispatch
