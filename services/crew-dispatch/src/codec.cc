#include "codec.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cityops/common/proto_time.h"
#include "cityops/common/status.h"

namespace cityops::dispatch {
namespace {

using common::FromProtoTime;
using common::ToProtoTime;

bool HasTime(const google::protobuf::Timestamp& t) { return t.seconds() != 0 || t.nanos() != 0; }
void SetTime(google::protobuf::Timestamp* field, TimePoint t) {
  if (t != TimePoint{}) *field = ToProtoTime(t);
}
TimePoint GetTime(const google::protobuf::Timestamp& t) { return HasTime(t) ? FromProtoTime(t) : TimePoint{}; }

void SetPoint(common::v1::GeoPoint* out, const Point& p) {
  out->set_lat(p.lat);
  out->set_lon(p.lon);
}
Point GetPoint(const common::v1::GeoPoint& p) { return {p.lat(), p.lon()}; }

CrewStatus FromProto(v1::CrewStatus s) {
  switch (s) {
    case v1::CREW_STATUS_AVAILABLE:
      return CrewStatus::kAvailable;
    case v1::CREW_STATUS_EN_ROUTE:
      return CrewStatus::kEnRoute;
    case v1::CREW_STATUS_ON_SITE:
      return CrewStatus::kOnSite;
    default:
      return CrewStatus::kOffDuty;
  }
}

OrderStatus FromProto(v1::WorkOrderStatus s) {
  switch (s) {
    case v1::WORK_ORDER_STATUS_ASSIGNED:
      return OrderStatus::kAssigned;
    case v1::WORK_ORDER_STATUS_ACCEPTED:
      return OrderStatus::kAccepted;
    case v1::WORK_ORDER_STATUS_ON_SITE:
      return OrderStatus::kOnSite;
    case v1::WORK_ORDER_STATUS_COMPLETED:
      return OrderStatus::kCompleted;
    case v1::WORK_ORDER_STATUS_CANCELLED:
      return OrderStatus::kCancelled;
    default:
      return OrderStatus::kQueued;
  }
}

}  // namespace

v1::CrewStatus ToProto(CrewStatus status) {
  switch (status) {
    case CrewStatus::kAvailable:
      return v1::CREW_STATUS_AVAILABLE;
    case CrewStatus::kEnRoute:
      return v1::CREW_STATUS_EN_ROUTE;
    case CrewStatus::kOnSite:
      return v1::CREW_STATUS_ON_SITE;
    case CrewStatus::kOffDuty:
      break;
  }
  return v1::CREW_STATUS_OFF_DUTY;
}

v1::WorkOrderStatus ToProto(OrderStatus status) {
  switch (status) {
    case OrderStatus::kAssigned:
      return v1::WORK_ORDER_STATUS_ASSIGNED;
    case OrderStatus::kAccepted:
      return v1::WORK_ORDER_STATUS_ACCEPTED;
    case OrderStatus::kOnSite:
      return v1::WORK_ORDER_STATUS_ON_SITE;
    case OrderStatus::kCompleted:
      return v1::WORK_ORDER_STATUS_COMPLETED;
    case OrderStatus::kCancelled:
      return v1::WORK_ORDER_STATUS_CANCELLED;
    case OrderStatus::kQueued:
      break;
  }
  return v1::WORK_ORDER_STATUS_QUEUED;
}

v1::Crew ToProto(const Crew& crew) {
  v1::Crew out;
  out.set_id(crew.id);
  out.set_name(crew.name);
  for (const auto& s : crew.skills) out.add_skills(s);
  out.set_vehicle_id(crew.vehicle_id);
  SetPoint(out.mutable_home_base(), crew.home_base);
  out.set_status(ToProto(crew.status));
  SetPoint(out.mutable_position(), crew.position);
  SetTime(out.mutable_position_at(), crew.position_at);
  out.set_work_order_id(crew.order_id);
  if (crew.shift) *out.mutable_shift() = ToProto(*crew.shift);
  if (crew.on_shift) out.set_on_shift(*crew.on_shift);
  out.set_off_duty_after_order(crew.off_duty_after_order);
  if (crew.staging) {
    const CrewStaging& staging = *crew.staging;
    auto* held = out.mutable_staging();
    held->set_crisis_id(staging.crisis_id);
    held->set_reason(staging.reason);
    if (staging.position) SetPoint(held->mutable_position(), *staging.position);
    held->set_district(staging.district);
    SetTime(held->mutable_since(), staging.since);
    held->set_staged_by(staging.staged_by);
    held->set_called_in(staging.called_in);
  }
  return out;
}

Crew FromProto(const v1::Crew& in) {
  Crew crew;
  crew.id = in.id();
  crew.name = in.name();
  crew.skills.insert(in.skills().begin(), in.skills().end());
  crew.vehicle_id = in.vehicle_id();
  crew.home_base = GetPoint(in.home_base());
  crew.status = FromProto(in.status());
  crew.position = GetPoint(in.position());
  crew.position_at = GetTime(in.position_at());
  crew.order_id = in.work_order_id();
  if (in.has_shift()) {
    if (auto shift = ParseShift(in.shift()); shift.ok()) crew.shift = *shift;
  }
  if (in.has_on_shift()) crew.on_shift = in.on_shift();
  crew.off_duty_after_order = in.off_duty_after_order();
  if (in.has_staging() && !in.staging().crisis_id().empty()) {
    const v1::CrewStaging& held = in.staging();
    CrewStaging staging;
    staging.crisis_id = held.crisis_id();
    staging.reason = held.reason();
    if (held.has_position()) staging.position = GetPoint(held.position());
    staging.district = held.district();
    staging.since = GetTime(held.since());
    staging.staged_by = held.staged_by();
    staging.called_in = held.called_in();
    crew.staging = std::move(staging);
  }
  return crew;
}

namespace {

// "HH:MM" to minutes after midnight.
absl::StatusOr<int> ParseClock(const std::string& text, const char* field) {
  const auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", text.substr(0, 16), "\" is not HH:MM (00:00 to 23:59)"));
  };
  if (text.size() != 5 || text[2] != ':') return bad();
  for (size_t i : {0u, 1u, 3u, 4u}) {
    if (text[i] < '0' || text[i] > '9') return bad();
  }
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (hours > 23 || minutes > 59) return bad();
  return hours * 60 + minutes;
}

std::string ClockText(int minutes) { return absl::StrFormat("%02d:%02d", minutes / 60, minutes % 60); }

}  // namespace

absl::StatusOr<Shift> ParseShift(const v1::Shift& in) {
  Shift shift;
  CITYOPS_ASSIGN_OR_RETURN(shift.starts, ParseClock(in.starts(), "crew.shift.starts"));
  CITYOPS_ASSIGN_OR_RETURN(shift.ends, ParseClock(in.ends(), "crew.shift.ends"));
  if (shift.starts == shift.ends) {
    return absl::InvalidArgumentError("crew.shift: starts and ends are the same time (a shift of no or 24 hours)");
  }
  if (!in.weekdays().empty()) {
    shift.weekdays = 0;
    for (int day : in.weekdays()) {
      if (day < 1 || day > 7) {
        return absl::InvalidArgumentError(
            absl::StrCat("crew.shift.weekdays: ", day, " is not 1 (Monday) to 7 (Sunday)"));
      }
      shift.weekdays |= static_cast<uint8_t>(1u << (day - 1));
    }
  }
  return shift;
}

v1::Shift ToProto(const Shift& shift) {
  v1::Shift out;
  out.set_starts(ClockText(shift.starts));
  out.set_ends(ClockText(shift.ends));
  if (shift.weekdays != 0x7f) {
    for (int day = 1; day <= 7; ++day) {
      if ((shift.weekdays >> (day - 1) & 1) != 0) out.add_weekdays(day);
    }
  }
  return out;
}

v1::WorkOrder ToProto(const WorkOrder& order) {
  v1::WorkOrder out;
  out.set_id(order.id);
  out.set_incident_id(order.incident_id);
  out.set_skill(order.skill);
  out.set_priority(static_cast<incidents::v1::Priority>(order.priority));
  SetPoint(out.mutable_location(), order.location);
  out.set_district(order.district);
  out.set_title(order.title);
  out.set_status(ToProto(order.status));
  out.set_crew_id(order.crew_id);
  out.set_eta_s(order.eta_s);
  SetTime(out.mutable_created_at(), order.created_at);
  SetTime(out.mutable_incident_opened_at(), order.incident_opened_at);
  SetTime(out.mutable_assigned_at(), order.assigned_at);
  SetTime(out.mutable_accepted_at(), order.accepted_at);
  SetTime(out.mutable_arrived_at(), order.arrived_at);
  SetTime(out.mutable_completed_at(), order.completed_at);
  SetTime(out.mutable_arrive_by(), order.arrive_by);
  out.set_target_breached(order.target_breached);
  for (const auto& c : order.declined_by) out.add_declined_by(c);
  out.set_manual(order.manual);
  out.set_assigned_by(order.assigned_by);
  out.set_version(order.version);
  return out;
}

WorkOrder FromProto(const v1::WorkOrder& in) {
  WorkOrder order;
  order.id = in.id();
  order.incident_id = in.incident_id();
  order.skill = in.skill();
  order.priority = static_cast<Priority>(in.priority() < 1 || in.priority() > 4 ? 2 : in.priority());
  order.location = GetPoint(in.location());
  order.district = in.district();
  order.title = in.title();
  order.status = FromProto(in.status());
  order.crew_id = in.crew_id();
  order.eta_s = in.eta_s();
  order.created_at = GetTime(in.created_at());
  order.incident_opened_at = GetTime(in.incident_opened_at());
  order.assigned_at = GetTime(in.assigned_at());
  order.accepted_at = GetTime(in.accepted_at());
  order.arrived_at = GetTime(in.arrived_at());
  order.completed_at = GetTime(in.completed_at());
  order.arrive_by = GetTime(in.arrive_by());
  order.target_breached = in.target_breached();
  order.declined_by.insert(in.declined_by().begin(), in.declined_by().end());
  order.manual = in.manual();
  order.assigned_by = in.assigned_by();
  order.version = in.version();
  return order;
}

}  // namespace cityops::dispatch
