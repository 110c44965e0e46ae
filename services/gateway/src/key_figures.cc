#include "key_figures.h"

#include <algorithm>
#include <cstdio>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "cityops/calls/v1/resident_calls.pb.h"
#include "cityops/common/proto_time.h"
#include "cityops/dispatch/v1/crew_dispatch.pb.h"
#include "cityops/incidents/v1/incident_correlation.pb.h"
#include "cityops/lighting/v1/lighting_control.pb.h"
#include "open311/open311_api.h"

namespace cityops::gateway {

namespace {

// Pages read at most for one figure (the console asks every 30 s).
constexpr int kMaxPages = 20;

}  // namespace

std::optional<double> Median(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  const size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  const double lower = *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

std::optional<double> EnergySavedRatio(const std::vector<lighting::v1::DistrictEnergy>& nights) {
  double used = 0;
  double baseline = 0;
  for (const auto& night : nights) {
    used += night.measured_wh() + night.estimated_wh();
    baseline += night.baseline_wh();
  }
  if (baseline <= 0) return std::nullopt;
  return 1.0 - used / baseline;
}

common::TimePoint StartOfLocalDay(const common::LocalTimeRule& rule, common::TimePoint now) {
  return common::FromLocal(rule, common::ToLocal(rule, now).date, 0);
}

common::TimePoint StartOfLocalWeek(const common::LocalTimeRule& rule, common::TimePoint now) {
  const common::LocalTime local = common::ToLocal(rule, now);
  const unsigned from_monday = (local.weekday.iso_encoding() + 6) % 7;
  const std::chrono::sys_days monday = std::chrono::sys_days(local.date) - std::chrono::days(from_monday);
  return common::FromLocal(rule, std::chrono::year_month_day(monday), 0);
}

std::string KeyFiguresJson(const KeyFigures& f) {
  nlohmann::json out;
  out["openIncidentsByPriority"] = nlohmann::json::object();
  for (const auto& [priority, count] : f.open_incidents_by_priority) out["openIncidentsByPriority"][priority] = count;
  auto optional = [](const auto& value) { return value ? nlohmann::json(*value) : nlohmann::json(nullptr); };
  out["medianTimeToAssignmentSecondsToday"] = optional(f.median_seconds_to_assignment_today);
  out["energySavedRatioThisWeek"] = optional(f.energy_saved_ratio_this_week);
  out["callsToday"] = optional(f.calls_today);
  out["unavailable"] = f.unavailable;
  out["at"] = calls::open311::FormatW3cDateTime(f.at);
  return out.dump();
}

KeyFiguresSource::KeyFiguresSource(Upstreams& upstreams, const common::Clock& clock, common::LocalTimeRule rule,
                                   std::chrono::seconds fresh_for)
    : upstreams_(upstreams), clock_(clock), rule_(rule), fresh_for_(fresh_for) {}

KeyFigures KeyFiguresSource::Collect(const CallerIdentity& caller) {
  std::lock_guard lock(mu_);
  if (!last_ || clock_.Now() - last_->at >= fresh_for_) last_ = Ask(caller);
  return *last_;
}

KeyFigures KeyFiguresSource::Ask(const CallerIdentity& caller) {
  KeyFigures f;
  f.at = clock_.Now();
  const common::TimePoint today = StartOfLocalDay(rule_, f.at);

  // Open incidents (open or acknowledged), counted by priority.
  {
    incidents::v1::ListIncidentsRequest request;
    request.mutable_filter()->add_statuses(incidents::v1::INCIDENT_STATUS_OPEN);
    request.mutable_filter()->add_statuses(incidents::v1::INCIDENT_STATUS_ACKNOWLEDGED);
    request.set_page_size(500);
    std::map<std::string, int64_t> counts;
    for (int p = 1; p <= 4; ++p) counts[incidents::v1::Priority_Name(static_cast<incidents::v1::Priority>(p))] = 0;
    absl::Status status;
    for (int page = 0; page < kMaxPages; ++page) {
      incidents::v1::ListIncidentsResponse response;
      status = upstreams_.Call(Upstream::kIncidents, "/cityops.incidents.v1.IncidentCorrelation/ListIncidents", request,
                               &response, caller);
      if (!status.ok()) break;
      for (const auto& incident : response.incidents()) ++counts[incidents::v1::Priority_Name(incident.priority())];
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    if (status.ok()) {
      f.open_incidents_by_priority = std::move(counts);
    } else {
      f.unavailable.emplace_back("openIncidentsByPriority");
    }
  }

  // Work orders assigned today: creation to assignment.
  {
    dispatch::v1::ListWorkOrdersRequest request;
    for (const auto s : {dispatch::v1::WORK_ORDER_STATUS_ASSIGNED, dispatch::v1::WORK_ORDER_STATUS_ACCEPTED,
                         dispatch::v1::WORK_ORDER_STATUS_ON_SITE, dispatch::v1::WORK_ORDER_STATUS_COMPLETED}) {
      request.add_statuses(s);
    }
    request.set_page_size(500);
    std::vector<double> waits;
    absl::Status status;
    for (int page = 0; page < kMaxPages; ++page) {
      dispatch::v1::ListWorkOrdersResponse response;
      status = upstreams_.Call(Upstream::kDispatch, "/cityops.dispatch.v1.CrewDispatch/ListWorkOrders", request,
                               &response, caller);
      if (!status.ok()) break;
      for (const auto& order : response.work_orders()) {
        if (!order.has_assigned_at()) continue;
        const auto assigned = common::FromProtoTime(order.assigned_at());
        if (assigned < today) continue;
        waits.push_back(std::chrono::duration<double>(assigned - common::FromProtoTime(order.created_at())).count());
      }
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    if (status.ok()) {
      f.median_seconds_to_assignment_today = Median(std::move(waits));
    } else {
      f.unavailable.emplace_back("medianTimeToAssignmentSecondsToday");
    }
  }

  // Energy saved over this week's nights, every district.
  {
    lighting::v1::GetEnergyReportRequest request;
    request.set_first_date(common::LocalDate(rule_, StartOfLocalWeek(rule_, f.at)));
    request.set_last_date(common::LocalDate(rule_, f.at));
    lighting::v1::GetEnergyReportResponse response;
    const auto status = upstreams_.Call(Upstream::kLighting, "/cityops.lighting.v1.LightingControl/GetEnergyReport",
                                        request, &response, caller);
    if (status.ok()) {
      f.energy_saved_ratio_this_week =
          EnergySavedRatio(std::vector<lighting::v1::DistrictEnergy>(response.days().begin(), response.days().end()));
    } else {
      f.unavailable.emplace_back("energySavedRatioThisWeek");
    }
  }

  // Residents' calls since local midnight.
  {
    calls::v1::GetStatisticsRequest request;
    *request.mutable_from() = common::ToProtoTime(today);
    *request.mutable_to() = common::ToProtoTime(f.at + std::chrono::seconds(1));
    calls::v1::Statistics response;
    const auto status =
        upstreams_.Call(Upstream::kCalls, "/cityops.calls.v1.ResidentCalls/GetStatistics", request, &response, caller);
    if (status.ok()) {
      f.calls_today = response.total();
    } else {
      f.unavailable.emplace_back("callsToday");
    }
  }
  for (const auto& name : f.unavailable) spdlog::debug("key figure {} unavailable", name);
  return f;
}

}  // namespace cityops::gateway
