#pragma once

// What the platform did during a simulator run, against what was injected:
// faults raised, incidents opened (and how much noise correlation removed),
// time from a fault to its incident and to a crew assigned, work orders,
// energy saved and residents' calls. Pure: the ReportBuilder is fed the
// platform's events (the protos of the faults, incidents and assignments
// topics) and, at the end, the calls' and energy figures; it knows nothing of
// Kafka or gRPC (report_collector.* does the feeding). The crises seen
// during the run (cityops.crises.v1) are reported as their last event told
// them, with their actions and timeline.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cityops/common/clock.h"
#include "cityops/common/local_time.h"
#include "cityops/dispatch/v1/dispatch.pb.h"
#include "cityops/incidents/v1/crisis.pb.h"
#include "cityops/incidents/v1/incidents.pb.h"
#include "cityops/lighting/v1/lighting.pb.h"
#include "cityops/telemetry/v1/readings.pb.h"

namespace cityops::sim {

// Percentile by the nearest-rank method: the smallest sample such that at
// least p% of the samples are at or below it, i.e. sorted[ceil(p/100 * n) - 1]
// (the first sample for p = 0). No value for no sample. `samples` need not be
// sorted. p within [0, 100].
std::optional<double> NearestRankPercentile(std::vector<double> samples, double p);

struct LatencySummary {
  size_t count = 0;
  std::optional<double> p50_ms;
  std::optional<double> p99_ms;
};
LatencySummary SummarizeLatencies(const std::vector<double>& samples_ms);

// The residents' calls as the call agent counted them.
struct CallFigures {
  uint64_t received = 0;  // created in resident-calls
  uint64_t linked = 0;    // linked to an incident
  uint64_t closed = 0;
};

// Energy of the nights a run covers, from lighting control's GetEnergyReport.
struct EnergyFigures {
  // The nights asked for ("YYYY-MM-DD", the night's evening), both included.
  std::string first_night;
  std::string last_night;
  double measured_wh = 0;
  double estimated_wh = 0;
  double baseline_wh = 0;
  // 1 - (measured + estimated) / baseline, as lighting control counts its
  // saved_pct (estimated: modelled where readings were missing). No value when
  // it could not be asked, or told no energy or no baseline; `note` says why.
  std::optional<double> saving_ratio;
  std::string note;
};

// The nights (lighting control's dates: a night runs from local noon to
// noon and is named by its evening) that [started, ended] touches.
std::pair<std::string, std::string> NightsCovered(common::TimePoint started, common::TimePoint ended,
                                                  const common::LocalTimeRule& rule = {});
// Sums GetEnergyReport's rows (one per district and night) into the figures.
EnergyFigures SumEnergy(const std::vector<lighting::v1::DistrictEnergy>& rows, std::string first_night,
                        std::string last_night);
// No figures: `note` tells why (lighting control not given, unreachable...).
EnergyFigures NoEnergy(std::string note);

// One entry of a crisis's timeline. Kinds, states and statuses are the
// protos' enum names without their prefix ("DECLARED", "APPLIED", "ENDED").
struct CrisisTimelineItem {
  std::optional<common::TimePoint> at;
  std::string kind;
  std::string text;
  std::string actor;  // empty for the platform
};

struct CrisisActionItem {
  std::string id;
  std::string kind;  // "LIGHTING_OVERRIDE"...
  int district = 0;  // 0: city-wide
  std::string state;
  std::string target;  // the override id, the crew id
  std::string detail;
};

// A crisis as its latest event during the run told it.
struct CrisisSummary {
  std::string id;
  std::string playbook;
  std::string title;
  std::string status;  // "PROPOSED", "ACTIVE", "ENDED", "DISMISSED"
  std::vector<int> districts;
  std::string reason;
  std::string proposed_by;
  std::optional<common::TimePoint> proposed_at;
  std::string declared_by;
  std::optional<common::TimePoint> declared_at;
  std::string ended_by;
  std::optional<common::TimePoint> ended_at;
  std::string incident_id;  // the crisis incident
  std::vector<CrisisActionItem> actions;
  int grouped_incidents = 0;
  std::vector<CrisisTimelineItem> timeline;
  // Its events applied during the run (duplicates not counted).
  uint64_t events = 0;
};

// What the report makes of a crisis event's crisis.
CrisisSummary SummarizeCrisis(const incidents::v1::Crisis& crisis);

struct Report {
  std::string scenario;
  common::TimePoint started{};
  common::TimePoint ended{};

  uint64_t faults_raised = 0;
  uint64_t faults_cleared = 0;
  // Opened during the run from equipment faults (with an asset).
  uint64_t incidents_opened = 0;
  // Opened during the run by a resident's call (no asset): not in noise_reduction.
  uint64_t incidents_from_calls = 0;
  // Crisis incidents (RULE_CRISIS: no asset, no call) opened during the run.
  uint64_t crisis_incidents = 0;
  // Opened during the run and later folded into another incident.
  uint64_t incidents_merged = 0;
  uint64_t incidents_reopened = 0;
  uint64_t incidents_resolved = 0;
  // 1 - incidents_opened / faults_raised; no value without a fault.
  std::optional<double> noise_reduction;
  // Per incident opened during the run from faults: its opening event's time
  // (published, see OnIncident) minus the earliest occurrence among the faults
  // that opened it.
  LatencySummary fault_to_incident_ms;
  // Per such incident with a work order assigned: the first ASSIGNED event's
  // time minus that same earliest fault.
  LatencySummary fault_to_assignment_ms;
  uint64_t work_orders_created = 0;
  uint64_t work_orders_completed = 0;
  uint64_t preemptions = 0;
  EnergyFigures energy;
  // No value when the simulator placed no calls (no resident calls address).
  std::optional<CallFigures> calls;
  // Raised faults by type ("POWER_LOSS"...), incidents opened (faults and
  // calls) by their last known priority ("HIGH"...).
  std::map<std::string, uint64_t> faults_by_type;
  std::map<std::string, uint64_t> incidents_by_priority;
  // Events seen twice (same event id: the platform delivers at least once).
  uint64_t duplicates_ignored = 0;
  // Every crisis with an event during the run, by id.
  std::vector<CrisisSummary> crises;

  double duration_s() const { return std::chrono::duration<double>(ended - started).count(); }
};

// Collects the platform's events of one run. Each event is applied once by
// its event id (a redelivered event is counted in duplicates_ignored); events
// may come in any order across topics (an assignment before the incident
// event that opened its incident). Not thread-safe: the caller serialises.
class ReportBuilder {
 public:
  ReportBuilder(std::string scenario, common::TimePoint started);

  // True when applied, false for a duplicate. `published_at`: when the event
  // reached Kafka (its message's timestamp, after the service's outbox relay),
  // taken as the event's time when given; otherwise its meta.occurred_at (when
  // the service decided, before the relay).
  bool OnFault(const telemetry::v1::FaultEvent& event);
  bool OnIncident(const incidents::v1::IncidentEvent& event,
                  std::optional<common::TimePoint> published_at = std::nullopt);
  bool OnAssignment(const dispatch::v1::AssignmentEvent& event,
                    std::optional<common::TimePoint> published_at = std::nullopt);
  // The crisis as of its latest event: the highest crisis.version wins (an
  // older event arriving late changes nothing); at equal versions, the later
  // arrival. An event without a crisis id is applied and ignored.
  bool OnCrisis(const incidents::v1::CrisisEvent& event);

  // The report as of `ended`, with the figures that come from elsewhere.
  Report Build(common::TimePoint ended, std::optional<CallFigures> calls, EnergyFigures energy) const;
  // Incidents opened from faults during the run and neither resolved nor
  // merged yet.
  size_t UnresolvedFromFaults() const;

 private:
  struct IncidentTrack {
    bool opened = false;       // an OPENED event was seen
    bool from_faults = false;  // it has an asset
    bool crisis = false;       // a crisis incident (RULE_CRISIS)
    std::optional<common::TimePoint> earliest_fault;
    std::optional<common::TimePoint> opened_at;
    incidents::v1::Priority priority = incidents::v1::PRIORITY_UNSPECIFIED;
    bool merged = false;
    bool reopened = false;
    bool resolved = false;
    bool active = false;  // opened or reopened, not resolved since
    std::optional<common::TimePoint> first_assigned;
  };

  // False (and counted) when the id was seen already; an empty id is applied.
  bool FirstTime(const std::string& event_id);

  std::string scenario_;
  common::TimePoint started_;
  std::set<std::string> seen_;
  uint64_t duplicates_ = 0;
  uint64_t faults_raised_ = 0;
  uint64_t faults_cleared_ = 0;
  std::map<std::string, uint64_t> faults_by_type_;
  std::map<std::string, IncidentTrack> incidents_;
  std::set<std::string> orders_created_;
  std::set<std::string> orders_completed_;
  uint64_t preemptions_ = 0;
  struct CrisisTrack {
    incidents::v1::Crisis latest;
    uint64_t events = 0;
  };
  std::map<std::string, CrisisTrack> crises_;
};

// The report as JSON: the fields (faults_raised, incidents_opened,
// noise_reduction, fault_to_incident_ms {p50, p99, count},
// fault_to_assignment_ms, energy_saving_ratio, calls_received, calls_linked...)
// and the rest; numbers, or null where there is no value. "crises": one object
// per crisis (id, playbook, title, status, districts, proposed_at/_by,
// declared_at/_by, ended_at/_by, incident_id, actions [{id, kind, district,
// state, target, detail}], grouped_incidents, events, timeline [{at, kind,
// text, actor}]); times as FormatUtc, and null (as an empty actor) when not set.
std::string ReportToJson(const Report& report);
// A short table for people, each figure on its line; then a line per crisis
// with its timeline's entries under it, kCrisisTableLines lines at most in all.
inline constexpr size_t kCrisisTableLines = 30;
std::string FormatTable(const Report& report);
// Writes the JSON to `path` atomically (a temporary file beside it, then
// renamed over it): a reader sees the old report or the new, never half.
absl::Status WriteReportFile(const Report& report, const std::string& path);

// "2026-11-27T02:30:00.123Z".
std::string FormatUtc(common::TimePoint t);

}  // namespace cityops::sim
