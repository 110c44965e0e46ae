#pragma once

#include <chrono>
#include <cstdint>
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
