#include "report.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cityops/common/proto_time.h"

namespace cityops::sim {
namespace {

namespace iv1 = incidents::v1;
namespace dv1 = dispatch::v1;
namespace tv1 = telemetry::v1;

// "FAULT_TYPE_POWER_LOSS" -> "POWER_LOSS".
std::string WithoutPrefix(const std::string& name, std::string_view prefix) {
  if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0) return name.substr(prefix.size());
  return name;
}

std::optional<common::TimePoint> TimeOf(const google::protobuf::Timestamp& t, bool present) {
  if (!present) return std::nullopt;
  return common::FromProtoTime(t);
}

double Ms(common::TimePoint from, common::TimePoint to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

nlohmann::json OrNull(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

nlohmann::json StringOrNull(const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); }

nlohmann::json TimeOrNull(const std::optional<common::TimePoint>& t) {
  return t ? nlohmann::json(FormatUtc(*t)) : nlohmann::json(nullptr);
}

nlohmann::json LatencyJson(const LatencySummary& s) {
  return {{"p50", OrNull(s.p50_ms)}, {"p99", OrNull(s.p99_ms)}, {"count", s.count}};
}

std::string Fixed(const std::optional<double>& v, int decimals) {
  return v ? absl::StrFormat("%.*f", decimals, *v) : std::string("-");
}

std::string Counts(const std::map<std::string, uint64_t>& counts) {
  if (counts.empty()) return "-";
  return absl::StrJoin(counts, ", ",
                       [](std::string* out, const auto& kv) { absl::StrAppend(out, kv.first, " ", kv.second); });
}

absl::Status ErrnoError(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

nlohmann::json CrisisJson(const CrisisSummary& c) {
  nlohmann::json actions = nlohmann::json::array();
  for (const auto& a : c.actions) {
    actions.push_back({{"id", a.id},
                       {"kind", a.kind},
                       {"district", a.district},
                       {"state", a.state},
                       {"target", StringOrNull(a.target)},
                       {"detail", StringOrNull(a.detail)}});
  }
  nlohmann::json timeline = nlohmann::json::array();
  for (const auto& e : c.timeline) {
    timeline.push_back(
        {{"at", TimeOrNull(e.at)}, {"kind", e.kind}, {"text", e.text}, {"actor", StringOrNull(e.actor)}});
  }
  return {{"id", c.id},
          {"playbook", c.playbook},
          {"title", c.title},
          {"status", c.status},
          {"districts", c.districts},
          {"reason", c.reason},
          {"proposed_by", StringOrNull(c.proposed_by)},
          {"proposed_at", TimeOrNull(c.proposed_at)},
          {"declared_by", StringOrNull(c.declared_by)},
          {"declared_at", TimeOrNull(c.declared_at)},
          {"ended_by", StringOrNull(c.ended_by)},
          {"ended_at", TimeOrNull(c.ended_at)},
          {"incident_id", StringOrNull(c.incident_id)},
          {"actions", std::move(actions)},
          {"grouped_incidents", c.grouped_incidents},
          {"events", c.events},
          {"timeline", std::move(timeline)}};
}

// "06:12:03" of a time (UTC), or "--:--:--".
std::string Clock(const std::optional<common::TimePoint>& t) {
  if (!t) return "--:--:--";
  return FormatUtc(*t).substr(11, 8);
}

std::string DistrictsText(const std::vector<int>& districts) {
  return districts.empty() ? std::string("none") : absl::StrJoin(districts, ", ");
}

// "ENDED, districts 3, 5: declared by sara, ended by sara; actions: 3 REVERTED, 1 SKIPPED; 4 incidents grouped".
std::string CrisisLine(const CrisisSummary& c) {
  std::map<std::string, int> states;
  for (const auto& a : c.actions) ++states[a.state];
  std::string who;
  if (!c.declared_by.empty()) absl::StrAppend(&who, ", declared by ", c.declared_by);
  if (!c.ended_by.empty()) absl::StrAppend(&who, ", ended by ", c.ended_by);
  const std::string actions =
      states.empty() ? std::string("none") : absl::StrJoin(states, ", ", [](std::string* out, const auto& kv) {
        absl::StrAppend(out, kv.second, " ", kv.first);
      });
  return absl::StrCat(c.id, " ", c.playbook, " ", c.status, ", districts ", DistrictsText(c.districts), who,
                      "; actions: ", actions, "; ", c.grouped_incidents, " incidents grouped");
}

}  // namespace

CrisisSummary SummarizeCrisis(const iv1::Crisis& crisis) {
  CrisisSummary c;
  c.id = crisis.id();
  c.playbook = crisis.playbook();
  c.title = crisis.title();
  c.status = WithoutPrefix(iv1::CrisisStatus_Name(crisis.status()), "CRISIS_STATUS_");
  c.districts.assign(crisis.districts().begin(), crisis.districts().end());
  c.reason = crisis.reason();
  c.proposed_by = crisis.proposed_by();
  c.proposed_at = TimeOf(crisis.proposed_at(), crisis.has_proposed_at());
  c.declared_by = crisis.declared_by();
  c.declared_at = TimeOf(crisis.declared_at(), crisis.has_declared_at());
  c.ended_by = crisis.ended_by();
  c.ended_at = TimeOf(crisis.ended_at(), crisis.has_ended_at());
  c.incident_id = crisis.incident_id();
  for (const auto& a : crisis.actions()) {
    c.actions.push_back({a.id(), WithoutPrefix(iv1::CrisisActionKind_Name(a.kind()), "CRISIS_ACTION_KIND_"),
                         a.district(), WithoutPrefix(iv1::CrisisActionState_Name(a.state()), "CRISIS_ACTION_STATE_"),
                         a.target(), a.detail()});
  }
  c.grouped_incidents = crisis.grouped_incidents();
  for (const auto& e : crisis.timeline()) {
    c.timeline.push_back({TimeOf(e.at(), e.has_at()),
                          WithoutPrefix(iv1::CrisisTimelineKind_Name(e.kind()), "CRISIS_TIMELINE_KIND_"), e.text(),
                          e.actor()});
  }
  return c;
}

std::optional<double> NearestRankPercentile(std::vector<double> samples, double p) {
  if (samples.empty()) return std::nullopt;
  p = std::clamp(p, 0.0, 100.0);
  std::sort(samples.begin(), samples.end());
  const auto n = static_cast<double>(samples.size());
  const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * n));
  return samples[rank == 0 ? 0 : rank - 1];
}

LatencySummary SummarizeLatencies(const std::vector<double>& samples_ms) {
  LatencySummary s;
  s.count = samples_ms.size();
  s.p50_ms = NearestRankPercentile(samples_ms, 50);
  s.p99_ms = NearestRankPercentile(samples_ms, 99);
  return s;
}

std::pair<std::string, std::string> NightsCovered(common::TimePoint started, common::TimePoint ended,
                                                  const common::LocalTimeRule& rule) {
  if (ended < started) ended = started;
  const auto half_day = std::chrono::hours(12);
  return {common::LocalDate(rule, started - half_day), common::LocalDate(rule, ended - half_day)};
}

EnergyFigures SumEnergy(const std::vector<lighting::v1::DistrictEnergy>& rows, std::string first_night,
                        std::string last_night) {
  EnergyFigures e;
  e.first_night = std::move(first_night);
  e.last_night = std::move(last_night);
  for (const auto& row : rows) {
    e.measured_wh += row.measured_wh();
    e.estimated_wh += row.estimated_wh();
    e.baseline_wh += row.baseline_wh();
  }
  const std::string nights = absl::StrCat("nights ", e.first_night, " to ", e.last_night);
  if (rows.empty()) {
    e.note = absl::StrCat("lighting control has no energy rows for the ", nights);
  } else if (!(e.baseline_wh > 0)) {
    e.note = absl::StrCat("lighting control has no baseline for the ", nights);
  } else if (!(e.measured_wh + e.estimated_wh > 0)) {
    e.note = absl::StrCat("lighting control has no energy measured or estimated yet for the ", nights);
  } else {
    e.saving_ratio = 1.0 - (e.measured_wh + e.estimated_wh) / e.baseline_wh;
    e.note = absl::StrCat(nights,
                          " as lighting control accounts them (whole nights: a night not over yet is set against its "
                          "whole baseline)");
  }
  return e;
}

EnergyFigures NoEnergy(std::string note) {
  EnergyFigures e;
  e.note = std::move(note);
  return e;
}

ReportBuilder::ReportBuilder(std::string scenario, common::TimePoint started)
    : scenario_(std::move(scenario)), started_(started) {}

bool ReportBuilder::FirstTime(const std::string& event_id) {
  if (event_id.empty()) return true;
  if (seen_.insert(event_id).second) return true;
  ++duplicates_;
  return false;
}

bool ReportBuilder::OnFault(const tv1::FaultEvent& event) {
  if (!FirstTime(event.meta().event_id())) return false;
  if (event.state() == tv1::FAULT_STATE_CLEARED) {
    ++faults_cleared_;
  } else {
    ++faults_raised_;
    ++faults_by_type_[WithoutPrefix(tv1::FaultType_Name(event.type()), "FAULT_TYPE_")];
  }
  return true;
}

bool ReportBuilder::OnIncident(const iv1::IncidentEvent& event, std::optional<common::TimePoint> published_at) {
  if (!FirstTime(event.meta().event_id())) return false;
  const iv1::Incident& incident = event.incident();
  if (incident.id().empty()) return true;
  IncidentTrack& track = incidents_[incident.id()];
  if (incident.priority() != iv1::PRIORITY_UNSPECIFIED) track.priority = incident.priority();
  if (incident.status() == iv1::INCIDENT_STATUS_MERGED) track.merged = true;
  switch (event.change()) {
    case iv1::INCIDENT_CHANGE_OPENED:
      if (track.opened) break;
      track.opened = true;
      track.active = true;
      track.from_faults = !incident.asset_id().empty();
      track.crisis = incident.rule() == iv1::RULE_CRISIS;
      track.opened_at =
          published_at ? published_at : TimeOf(event.meta().occurred_at(), event.meta().has_occurred_at());
      if (!track.opened_at) track.opened_at = TimeOf(incident.opened_at(), incident.has_opened_at());
      for (const auto& cause : event.causes()) {
        if (!cause.has_occurred_at()) continue;
        const common::TimePoint at = common::FromProtoTime(cause.occurred_at());
        if (!track.earliest_fault || at < *track.earliest_fault) track.earliest_fault = at;
      }
      break;
    case iv1::INCIDENT_CHANGE_REOPENED:
      track.reopened = true;
      track.active = true;
      break;
    case iv1::INCIDENT_CHANGE_RESOLVED:
      track.resolved = true;
      track.active = false;
      break;
    default:
      break;
  }
  return true;
}

bool ReportBuilder::OnAssignment(const dv1::AssignmentEvent& event, std::optional<common::TimePoint> published_at) {
  if (!FirstTime(event.meta().event_id())) return false;
  const dv1::WorkOrder& order = event.work_order();
  switch (event.change()) {
    case dv1::ASSIGNMENT_CHANGE_CREATED:
      orders_created_.insert(order.id());
      break;
    case dv1::ASSIGNMENT_CHANGE_ASSIGNED: {
      auto at = published_at ? published_at : TimeOf(event.meta().occurred_at(), event.meta().has_occurred_at());
      if (!at) at = TimeOf(order.assigned_at(), order.has_assigned_at());
      if (!at || order.incident_id().empty()) break;
      IncidentTrack& track = incidents_[order.incident_id()];
      if (!track.first_assigned || *at < *track.first_assigned) track.first_assigned = at;
      break;
    }
    case dv1::ASSIGNMENT_CHANGE_PREEMPTED:
      ++preemptions_;
      break;
    case dv1::ASSIGNMENT_CHANGE_COMPLETED:
      orders_completed_.insert(order.id());
      break;
    default:
      break;
  }
  return true;
}

bool ReportBuilder::OnCrisis(const iv1::CrisisEvent& event) {
  if (!FirstTime(event.meta().event_id())) return false;
  const iv1::Crisis& crisis = event.crisis();
  if (crisis.id().empty()) return true;
  CrisisTrack& track = crises_[crisis.id()];
  ++track.events;
  // An older version arriving late does not undo what a newer one said.
  if (track.events == 1 || crisis.version() >= track.latest.version()) track.latest = crisis;
  return true;
}

size_t ReportBuilder::UnresolvedFromFaults() const {
  size_t open = 0;
  for (const auto& [id, track] : incidents_) {
    if (track.opened && track.from_faults && track.active && !track.merged) ++open;
  }
  return open;
}

Report ReportBuilder::Build(common::TimePoint ended, std::optional<CallFigures> calls, EnergyFigures energy) const {
  Report r;
  r.scenario = scenario_;
  r.started = started_;
  r.ended = ended;
  r.faults_raised = faults_raised_;
  r.faults_cleared = faults_cleared_;
  r.faults_by_type = faults_by_type_;
  std::vector<double> to_incident, to_assignment;
  for (const auto& [id, track] : incidents_) {
    if (track.resolved) ++r.incidents_resolved;
    if (track.reopened) ++r.incidents_reopened;
    if (!track.opened) continue;
    ++r.incidents_by_priority[WithoutPrefix(iv1::Priority_Name(track.priority), "PRIORITY_")];
    if (track.merged) ++r.incidents_merged;
    if (track.crisis) {
      ++r.crisis_incidents;
      continue;
    }
    if (!track.from_faults) {
      ++r.incidents_from_calls;
      continue;
    }
    ++r.incidents_opened;
    if (!track.earliest_fault) continue;
    if (track.opened_at) to_incident.push_back(Ms(*track.earliest_fault, *track.opened_at));
    if (track.first_assigned) to_assignment.push_back(Ms(*track.earliest_fault, *track.first_assigned));
  }
  if (r.faults_raised > 0) {
    r.noise_reduction = 1.0 - static_cast<double>(r.incidents_opened) / static_cast<double>(r.faults_raised);
  }
  r.fault_to_incident_ms = SummarizeLatencies(to_incident);
  r.fault_to_assignment_ms = SummarizeLatencies(to_assignment);
  r.work_orders_created = orders_created_.size();
  r.work_orders_completed = orders_completed_.size();
  r.preemptions = preemptions_;
  r.energy = std::move(energy);
  r.calls = calls;
  r.duplicates_ignored = duplicates_;
  for (const auto& [id, track] : crises_) {
    CrisisSummary c = SummarizeCrisis(track.latest);
    c.events = track.events;
    r.crises.push_back(std::move(c));
  }
  return r;
}

std::string FormatUtc(common::TimePoint t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  int64_t secs = ms / 1000;
  int64_t millis = ms % 1000;
  if (millis < 0) {
    millis += 1000;
    --secs;
  }
  const auto tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                         tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis));
}

std::string ReportToJson(const Report& r) {
  nlohmann::json j;
  j["scenario"] = r.scenario;
  j["started_at"] = FormatUtc(r.started);
  j["ended_at"] = FormatUtc(r.ended);
  j["duration_s"] = r.duration_s();
  j["faults_raised"] = r.faults_raised;
  j["faults_cleared"] = r.faults_cleared;
  j["incidents_opened"] = r.incidents_opened;
  j["incidents_from_calls"] = r.incidents_from_calls;
  j["incidents_merged"] = r.incidents_merged;
  j["incidents_reopened"] = r.incidents_reopened;
  j["incidents_resolved"] = r.incidents_resolved;
  j["noise_reduction"] = OrNull(r.noise_reduction);
  j["fault_to_incident_ms"] = LatencyJson(r.fault_to_incident_ms);
  j["fault_to_assignment_ms"] = LatencyJson(r.fault_to_assignment_ms);
  j["work_orders_created"] = r.work_orders_created;
  j["work_orders_completed"] = r.work_orders_completed;
  j["preemptions"] = r.preemptions;
  j["energy_saving_ratio"] = OrNull(r.energy.saving_ratio);
  j["energy"] = {{"first_night", StringOrNull(r.energy.first_night)},
                 {"last_night", StringOrNull(r.energy.last_night)},
                 {"measured_wh", r.energy.measured_wh},
                 {"estimated_wh", r.energy.estimated_wh},
                 {"baseline_wh", r.energy.baseline_wh},
                 {"note", r.energy.note}};
  const auto call = [&](uint64_t CallFigures::*field) {
    return r.calls ? nlohmann::json((*r.calls).*field) : nlohmann::json(nullptr);
  };
  j["calls_received"] = call(&CallFigures::received);
  j["calls_linked"] = call(&CallFigures::linked);
  j["calls_closed"] = call(&CallFigures::closed);
  j["faults_by_type"] = r.faults_by_type;
  j["incidents_by_priority"] = r.incidents_by_priority;
  j["duplicates_ignored"] = r.duplicates_ignored;
  j["crisis_incidents"] = r.crisis_incidents;
  j["crises"] = nlohmann::json::array();
  for (const auto& c : r.crises) j["crises"].push_back(CrisisJson(c));
  return j.dump(2) + "\n";
}

std::string FormatTable(const Report& r) {
  const auto latency = [](const LatencySummary& s) {
    return absl::StrCat("p50 ", Fixed(s.p50_ms, 1), ", p99 ", Fixed(s.p99_ms, 1), " (", s.count, " incidents)");
  };
  const auto line = [](std::string_view label, const std::string& value) {
    return absl::StrFormat("  %-24s %s\n", label, value);
  };
  std::string out =
      absl::StrCat("report: ", r.scenario.empty() ? "no scenario" : r.scenario, ", ", FormatUtc(r.started), " to ",
                   FormatUtc(r.ended), " (", absl::StrFormat("%.1f", r.duration_s()), " s)\n");
  out += line("faults raised", absl::StrCat(r.faults_raised, " (cleared ", r.faults_cleared, ")"));
  out += line("incidents opened", absl::StrCat(r.incidents_opened, " from faults, ", r.incidents_from_calls,
                                               " from calls (merged ", r.incidents_merged, ", reopened ",
                                               r.incidents_reopened, ", resolved ", r.incidents_resolved, ")"));
  out += line("noise reduction", Fixed(r.noise_reduction, 3));
  out += line("fault to incident ms", latency(r.fault_to_incident_ms));
  out += line("fault to assignment ms", latency(r.fault_to_assignment_ms));
  out += line("work orders", absl::StrCat("created ", r.work_orders_created, ", completed ", r.work_orders_completed,
                                          ", preemptions ", r.preemptions));
  out += line("energy saving ratio", absl::StrCat(Fixed(r.energy.saving_ratio, 3), " (", r.energy.note, ")"));
  out += line("calls", r.calls ? absl::StrCat("received ", r.calls->received, ", linked ", r.calls->linked, ", closed ",
                                              r.calls->closed)
                               : std::string("- (no calls placed)"));
  out += line("faults by type", Counts(r.faults_by_type));
  out += line("incidents by priority", Counts(r.incidents_by_priority));
  if (r.duplicates_ignored > 0) out += line("duplicates ignored", absl::StrCat(r.duplicates_ignored));
  if (r.crises.empty()) {
    out += line("crises", "none");
    return out;
  }
  out += line("crises", absl::StrCat(r.crises.size(), " (", r.crisis_incidents, " crisis incidents opened)"));
  // kCrisisTableLines in all: each crisis's line first, its timeline's
  // entries with what is left once the following crises have theirs.
  size_t left = kCrisisTableLines;
  for (size_t i = 0; i < r.crises.size() && left > 0; ++i) {
    const CrisisSummary& c = r.crises[i];
    const size_t after = r.crises.size() - i - 1;
    if (left < after + 1) {
      absl::StrAppend(&out, "    ... ", after + 1, " more crises\n");
      break;
    }
    absl::StrAppend(&out, "    ", CrisisLine(c), "\n");
    --left;
    const size_t room = left - after;
    const auto entry = [&out](const CrisisTimelineItem& e) {
      absl::StrAppend(&out, "      ", Clock(e.at), " ", e.kind, e.actor.empty() ? "" : absl::StrCat(" (", e.actor, ")"),
                      ": ", e.text, "\n");
    };
    if (c.timeline.size() <= room) {
      for (const auto& e : c.timeline) entry(e);
      left -= c.timeline.size();
    } else if (room > 0) {
      for (size_t k = 0; k + 1 < room; ++k) entry(c.timeline[k]);
      absl::StrAppend(&out, "      ... ", c.timeline.size() - (room - 1), " more timeline entries\n");
      left -= room;
    }
  }
  return out;
}

absl::Status WriteReportFile(const Report& report, const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("report path is empty");
  const std::string text = ReportToJson(report);
  const std::string temp = absl::StrCat(path, ".tmp-", ::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError(absl::StrCat("cannot create ", temp));
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      absl::Status s = ErrnoError(absl::StrCat("cannot write ", temp));
      ::close(fd);
      ::unlink(temp.c_str());
      return s;
    }
    written += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  const bool closed = ::close(fd) == 0;
  if (!synced || !closed) {
    absl::Status s = ErrnoError(absl::StrCat("cannot write ", temp));
    ::unlink(temp.c_str());
    return s;
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    absl::Status s = ErrnoError(absl::StrCat("cannot rename ", temp, " to ", path));
    ::unlink(temp.c_str());
    return s;
  }
  return absl::OkStatus();
}

}  // namespace cityops::sim
