#include "domain/correlator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "cityops/common/geo.h"
#include "cityops/common/proto_time.h"

namespace cityops::incidents {

namespace tv1 = cityops::telemetry::v1;
using common::FromProtoTime;
using common::ToProtoTime;

namespace {

constexpr const char* kSystemActor = "incident-correlation";

int ChangeRank(v1::IncidentChange change) { return change == v1::INCIDENT_CHANGE_UPDATED ? 0 : 1; }

bool AllRecovered(const v1::Incident& incident) {
  if (incident.symptoms().empty()) return false;
  return std::none_of(incident.symptoms().begin(), incident.symptoms().end(),
                      [](const v1::Symptom& s) { return s.active(); });
}

v1::Symptom* FindSymptom(v1::Incident& incident, const std::string& asset_id, tv1::FaultType type) {
  for (auto& s : *incident.mutable_symptoms()) {
    if (s.asset_id() == asset_id && s.fault_type() == type) return &s;
  }
  return nullptr;
}

int DistinctAssets(const v1::Incident& incident) {
  std::set<std::string> ids;
  for (const auto& s : incident.symptoms()) ids.insert(s.asset_id());
  return static_cast<int>(ids.size());
}

void SetLaterTime(google::protobuf::Timestamp* field, TimePoint at) {
  if (!field->IsInitialized() || (field->seconds() == 0 && field->nanos() == 0) || FromProtoTime(*field) < at) {
    *field = ToProtoTime(at);
  }
}

std::string TopologyExplanation(const v1::Incident& incident, const ParentRule& rule, const Rules& rules,
                                int children_total) {
  const int failed = DistinctAssets(incident);
  std::string of_total = children_total > 0 ? absl::StrCat(" of ", children_total) : std::string();
  return absl::StrCat("Topology rule: ", failed, of_total, " children of ", KindName(rule.parent_kind), " ",
                      incident.asset_id(), " failed within ", rules.topology_window.count(),
                      " s (threshold: ", rules.min_children, " children, or ",
                      static_cast<int>(std::lround(rules.min_fraction * 100)),
                      "% of them). Probable cause on the parent; the children are its symptoms, and children that "
                      "fail later join it.");
}

}  // namespace

bool IsOpen(const v1::Incident& incident) {
  return incident.status() == v1::INCIDENT_STATUS_OPEN || incident.status() == v1::INCIDENT_STATUS_ACKNOWLEDGED;
}

// ---------------------------------------------------------------- Changes

void Changes::Add(const std::string& incident_id, v1::IncidentChange change, const v1::Cause* cause,
                  const std::string& actor) {
  for (auto it = records_.rbegin(); it != records_.rend(); ++it) {
    if (it->incident_id != incident_id) continue;
    if (actor.empty() && it->actor.empty() && (ChangeRank(change) == 0 || ChangeRank(it->change) == 0)) {
      if (ChangeRank(change) > ChangeRank(it->change)) it->change = change;
      if (cause != nullptr) it->causes.push_back(*cause);
      return;
    }
    break;
  }
  ChangeRecord& record = records_.emplace_back();
  record.incident_id = incident_id;
  record.change = change;
  record.actor = actor;
  if (cause != nullptr) record.causes.push_back(*cause);
}

std::vector<std::string> Changes::TouchedIds() const {
  std::vector<std::string> ids;
  std::set<std::string> seen;
  for (const auto& r : records_) {
    if (seen.insert(r.incident_id).second) ids.push_back(r.incident_id);
  }
  return ids;
}

// ---------------------------------------------------------------- state

Correlator::Correlator(const Rules& rules, const Topology& topology) : rules_(rules), topology_(topology) {}

void Correlator::Load(std::vector<v1::Incident> incidents, int64_t next_number) {
  incidents_.clear();
  open_by_key_.clear();
  open_by_parent_.clear();
  open_children_.clear();
  resolved_by_key_.clear();
  request_incident_.clear();
  next_number_ = std::max<int64_t>(next_number, 1);
  for (auto& incident : incidents) Adopt(std::move(incident));
}

void Correlator::Adopt(v1::Incident incident) {
  if (incidents_.count(incident.id()) != 0) return;
  const std::string id = incident.id();
  auto& held = incidents_.emplace(id, std::move(incident)).first->second;
  for (const auto& r : held.requests()) request_incident_[r.request_id()] = id;
  if (IsOpen(held)) {
    Index(held);
  } else if (held.status() == v1::INCIDENT_STATUS_RESOLVED) {
    for (const auto& s : held.symptoms()) resolved_by_key_[{s.asset_id(), s.fault_type()}] = id;
  }
}

const v1::Incident* Correlator::Find(const std::string& id) const {
  auto it = incidents_.find(id);
  return it == incidents_.end() ? nullptr : &it->second;
}

std::vector<const v1::Incident*> Correlator::All() const {
  std::vector<const v1::Incident*> all;
  all.reserve(incidents_.size());
  for (const auto& [id, incident] : incidents_) all.push_back(&incident);
  return all;
}

size_t Correlator::open_count() const {
  return static_cast<size_t>(
      std::count_if(incidents_.begin(), incidents_.end(), [](const auto& kv) { return IsOpen(kv.second); }));
}

absl::StatusOr<v1::Incident*> Correlator::Held(const std::string& id) {
  auto it = incidents_.find(id);
  if (it == incidents_.end()) return absl::NotFoundError(absl::StrCat("incident ", id, " not found"));
  return &it->second;
}

void Correlator::Index(const v1::Incident& incident) {
  const std::string& id = incident.id();
  for (const auto& s : incident.symptoms()) {
    Key key{s.asset_id(), s.fault_type()};
    auto it = open_by_key_.find(key);
    if (it == open_by_key_.end()) open_by_key_.emplace(key, id);
    resolved_by_key_.erase(key);
  }
  if (!incident.asset_id().empty() && incident.fault_type() != tv1::FAULT_TYPE_UNSPECIFIED) {
    open_by_key_.try_emplace({incident.asset_id(), incident.fault_type()}, id);
  }
  if (const ParentRule* rule = rules_.ParentRuleFor(incident.asset_kind()); rule != nullptr) {
    const bool relevant = incident.rule() == v1::RULE_TOPOLOGY || incident.fault_type() == rule->fault_type ||
                          rule->child_fault_types.count(incident.fault_type()) != 0;
    if (relevant) open_by_parent_.try_emplace(incident.asset_id(), id);
  }
  if (incident.rule() == v1::RULE_DEDUPLICATION && !incident.parent_id().empty()) {
    open_children_[incident.parent_id()].insert(id);
  }
}

void Correlator::Unindex(const v1::Incident& incident) {
  const std::string& id = incident.id();
  auto drop_key = [&](const Key& key) {
    auto it = open_by_key_.find(key);
    if (it != open_by_key_.end() && it->second == id) open_by_key_.erase(it);
  };
  for (const auto& s : incident.symptoms()) drop_key({s.asset_id(), s.fault_type()});
  if (!incident.asset_id().empty()) drop_key({incident.asset_id(), incident.fault_type()});
  if (auto it = open_by_parent_.find(incident.asset_id()); it != open_by_parent_.end() && it->second == id) {
    open_by_parent_.erase(it);
  }
  if (!incident.parent_id().empty()) {
    if (auto it = open_children_.find(incident.parent_id()); it != open_children_.end()) {
      it->second.erase(id);
      if (it->second.empty()) open_children_.erase(it);
    }
  }
}

void Correlator::Touch(v1::Incident& incident, TimePoint now) {
  *incident.mutable_updated_at() = ToProtoTime(now);
  incident.set_version(incident.version() + 1);
}

v1::Incident& Correlator::NewIncident(v1::Rule rule, TimePoint now) {
  char id[32];
  std::snprintf(id, sizeof(id), "INC-%08lld", static_cast<long long>(next_number_++));
  v1::Incident& incident = incidents_[id];
  incident.set_id(id);
  incident.set_status(v1::INCIDENT_STATUS_OPEN);
  incident.set_rule(rule);
  *incident.mutable_opened_at() = ToProtoTime(now);
  *incident.mutable_last_seen_at() = ToProtoTime(now);
  return incident;
}

v1::Symptom& Correlator::AddSymptom(v1::Incident& incident, const AssetInfo& asset, tv1::FaultType type, TimePoint at) {
  v1::Symptom* s = incident.add_symptoms();
  s->set_asset_id(asset.id);
  s->set_asset_kind(asset.kind);
  s->set_fault_type(type);
  s->mutable_location()->set_lat(asset.lat);
  s->mutable_location()->set_lon(asset.lon);
  s->set_active(true);
  *s->mutable_first_seen() = ToProtoTime(at);
  *s->mutable_last_seen() = ToProtoTime(at);
  s->set_count(1);
  return *s;
}

AssetInfo Correlator::Describe(const tv1::FaultEvent& fault) const {
  AssetInfo info;
  info.id = fault.asset_id();
  info.kind = fault.asset_kind();
  info.parent_id = fault.parent_id();
  info.district = fault.district();
  info.lat = fault.location().lat();
  info.lon = fault.location().lon();
  if (const AssetInfo* known = topology_.Find(fault.asset_id()); known != nullptr) {
    info.kind = known->kind;
    info.parent_id = known->parent_id;
    if (known->district != 0) info.district = known->district;
    if (known->lat != 0 || known->lon != 0) {
      info.lat = known->lat;
      info.lon = known->lon;
    }
  }
  return info;
}

// ---------------------------------------------------------------- faults

Outcome Correlator::OnFault(const tv1::FaultEvent& fault, TimePoint now, Changes& changes) {
  if (fault.asset_id().empty() || fault.type() == tv1::FAULT_TYPE_UNSPECIFIED) return {};
  const TimePoint at = fault.has_at() ? FromProtoTime(fault.at()) : now;
  v1::Cause cause;
  cause.set_event_id(fault.meta().event_id());
  *cause.mutable_occurred_at() = fault.meta().has_occurred_at() ? fault.meta().occurred_at() : ToProtoTime(at);
  switch (fault.state()) {
    case tv1::FAULT_STATE_RAISED:
      return Raise(fault, Describe(fault), at, now, cause, changes);
    case tv1::FAULT_STATE_CLEARED:
      return Clear(fault, at, now, cause, changes);
    default:
      return {};
  }
}

Outcome Correlator::Raise(const tv1::FaultEvent& fault, const AssetInfo& asset, TimePoint at, TimePoint now,
                          const v1::Cause& cause, Changes& changes) {
  const Key key{asset.id, fault.type()};

  // Deduplication: the fault is already part of an open incident.
  if (auto it = open_by_key_.find(key); it != open_by_key_.end()) {
    v1::Incident& incident = incidents_.at(it->second);
    v1::Symptom* s = FindSymptom(incident, asset.id, fault.type());
    if (s == nullptr) {
      s = &AddSymptom(incident, asset, fault.type(), at);
    } else {
      s->set_count(s->count() + 1);
      SetLaterTime(s->mutable_last_seen(), at);
      if (!s->active()) {
        s->set_active(true);
        s->clear_recovered_at();
      }
    }
    incident.clear_resolve_after();
    incident.set_occurrences(incident.occurrences() + 1);
    SetLaterTime(incident.mutable_last_seen_at(), at);
    Touch(incident, now);
    changes.Add(incident.id(), v1::INCIDENT_CHANGE_UPDATED, &cause);
    return {Outcome::Effect::kRepeated, incident.rule(), incident.id()};
  }

  // Topology: a child of a parent whose failure explains it.
  const ParentRule* rule = rules_.ParentRuleForChild(asset.kind);
  if (rule != nullptr && !asset.parent_id.empty() && rule->child_fault_types.count(fault.type()) != 0) {
    if (auto p = open_by_parent_.find(asset.parent_id); p != open_by_parent_.end()) {
      v1::Incident& parent = incidents_.at(p->second);
      AddSymptom(parent, asset, fault.type(), at);
      open_by_key_[key] = parent.id();
      parent.clear_resolve_after();
      parent.set_occurrences(parent.occurrences() + 1);
      SetLaterTime(parent.mutable_last_seen_at(), at);
      if (parent.rule() == v1::RULE_TOPOLOGY) {
        parent.set_explanation(TopologyExplanation(parent, *rule, rules_, topology_.ChildCount(parent.asset_id())));
      }
      Touch(parent, now);
      changes.Add(parent.id(), v1::INCIDENT_CHANGE_UPDATED, &cause);
      return {Outcome::Effect::kJoined, v1::RULE_TOPOLOGY, parent.id()};
    }
    std::string opened;
    if (MaybeOpenOnParent(asset, fault.type(), *rule, at, now, cause, changes, opened)) {
      return {Outcome::Effect::kOpened, v1::RULE_TOPOLOGY, opened};
    }
  }

  // The same fault came back soon after its incident resolved: reopen it.
  if (auto r = resolved_by_key_.find(key); r != resolved_by_key_.end()) {
    v1::Incident& incident = incidents_.at(r->second);
    if (incident.status() == v1::INCIDENT_STATUS_RESOLVED &&
        FromProtoTime(incident.resolved_at()) + rules_.reopen_window >= now) {
      DoReopen(incident, now);
      v1::Symptom* s = FindSymptom(incident, asset.id, fault.type());
      if (s == nullptr) s = &AddSymptom(incident, asset, fault.type(), at);
      s->set_active(true);
      s->clear_recovered_at();
      s->set_count(s->count() + 1);
      SetLaterTime(s->mutable_last_seen(), at);
      incident.set_occurrences(incident.occurrences() + 1);
      SetLaterTime(incident.mutable_last_seen_at(), at);
      Index(incident);
      if (incident.reopen_count() >= rules_.flapping_reopens && !incident.flapping()) {
        incident.set_flapping(true);
        incident.set_explanation(absl::StrCat(incident.explanation(), " Flapping: it came back ",
                                              incident.reopen_count(), " times within ", rules_.reopen_window.count(),
                                              " s of resolving; it will not resolve itself until an operator does."));
      }
      Touch(incident, now);
      changes.Add(incident.id(), v1::INCIDENT_CHANGE_REOPENED, &cause);
      return {Outcome::Effect::kReopened, incident.rule(), incident.id()};
    }
  }

  // A new incident for this asset and fault type.
  v1::Incident& incident = NewIncident(v1::RULE_DEDUPLICATION, now);
  incident.set_asset_id(asset.id);
  incident.set_asset_kind(asset.kind);
  incident.set_parent_id(asset.parent_id);
  incident.set_fault_type(fault.type());
  incident.set_district(asset.district);
  incident.mutable_location()->set_lat(asset.lat);
  incident.mutable_location()->set_lon(asset.lon);
  const Assessment assessment = rules_.Assess(asset.kind, fault.type());
  incident.set_priority(assessment.priority);
  incident.set_base_priority(assessment.priority);
  incident.set_required_skill(assessment.skill);
  incident.set_title(absl::StrCat(FaultName(fault.type()), " on ", KindName(asset.kind), " ", asset.id));
  incident.set_explanation(absl::StrCat("Deduplication rule: one incident per asset and fault type; repeats of ",
                                        FaultName(fault.type()), " on ", asset.id, " count here. Priority ",
                                        PriorityName(assessment.priority), " and skill ", assessment.skill,
                                        " from the rules for ", KindName(asset.kind), "."));
  AddSymptom(incident, asset, fault.type(), at);
  incident.set_occurrences(1);
  *incident.mutable_last_seen_at() = ToProtoTime(at);
  Touch(incident, now);
  Index(incident);
  changes.Add(incident.id(), v1::INCIDENT_CHANGE_OPENED, &cause);
  // The parent's own fault: its children's recent incidents fold into it.
  if (const ParentRule* own = rules_.ParentRuleFor(asset.kind);
      own != nullptr && open_by_parent_.count(asset.id) != 0 && open_by_parent_.at(asset.id) == incident.id()) {
    FoldChildren(incident, *own, at - rules_.topology_window, now, changes);
  }
  return {Outcome::Effect::kOpened, v1::RULE_DEDUPLICATION, incident.id()};
}

bool Correlator::MaybeOpenOnParent(const AssetInfo& child, tv1::FaultType type, const ParentRule& rule, TimePoint at,
                                   TimePoint now, const v1::Cause& cause, Changes& changes, std::string& incident_id) {
  const TimePoint since = at - rules_.topology_window;
  std::set<std::string> failed{child.id};
  std::vector<double> lats{child.lat}, lons{child.lon};
  if (auto c = open_children_.find(child.parent_id); c != open_children_.end()) {
    for (const auto& id : c->second) {
      const v1::Incident& candidate = incidents_.at(id);
      if (!IsOpen(candidate) || candidate.symptoms().empty()) continue;
      const auto& s = candidate.symptoms(0);
      if (rule.child_fault_types.count(s.fault_type()) == 0 || FromProtoTime(s.first_seen()) < since) continue;
      if (failed.insert(candidate.asset_id()).second) {
        lats.push_back(candidate.location().lat());
        lons.push_back(candidate.location().lon());
      }
    }
  }
  const int n = static_cast<int>(failed.size());
  const int total = topology_.ChildCount(child.parent_id);
  const bool enough = n >= rules_.min_children ||
                      (total > 0 && n >= 2 && n >= static_cast<int>(std::ceil(rules_.min_fraction * total)));
  if (!enough) return false;

  v1::Incident& parent = NewIncident(v1::RULE_TOPOLOGY, now);
  parent.set_asset_id(child.parent_id);
  parent.set_asset_kind(rule.parent_kind);
  parent.set_fault_type(rule.fault_type);
  if (const AssetInfo* known = topology_.Find(child.parent_id); known != nullptr) {
    parent.set_district(known->district);
    parent.set_parent_id(known->parent_id);
    parent.mutable_location()->set_lat(known->lat);
    parent.mutable_location()->set_lon(known->lon);
  } else {  // not registered (yet): where its failed children are
    double lat = 0, lon = 0;
    for (size_t i = 0; i < lats.size(); ++i) {
      lat += lats[i];
      lon += lons[i];
    }
    parent.set_district(child.district);
    parent.mutable_location()->set_lat(lat / static_cast<double>(lats.size()));
    parent.mutable_location()->set_lon(lon / static_cast<double>(lons.size()));
  }
  const Assessment assessment = rules_.Assess(rule.parent_kind, rule.fault_type);
  parent.set_priority(assessment.priority);
  parent.set_base_priority(assessment.priority);
  parent.set_required_skill(assessment.skill);
  parent.set_title(absl::StrCat(rule.title, ": ", KindName(rule.parent_kind), " ", child.parent_id));
  *parent.mutable_last_seen_at() = ToProtoTime(at);
  Index(parent);
  changes.Add(parent.id(), v1::INCIDENT_CHANGE_OPENED, &cause);
  FoldChildren(parent, rule, since, now, changes);
  AddSymptom(parent, child, type, at);
  open_by_key_[{child.id, type}] = parent.id();
  parent.set_occurrences(parent.occurrences() + 1);
  parent.set_explanation(TopologyExplanation(parent, rule, rules_, total));
  Touch(parent, now);
  incident_id = parent.id();
  return true;
}

void Correlator::FoldChildren(v1::Incident& parent, const ParentRule& rule, TimePoint since, TimePoint now,
                              Changes& changes) {
  auto c = open_children_.find(parent.asset_id());
  if (c == open_children_.end()) return;
  const std::vector<std::string> children(c->second.begin(), c->second.end());
  for (const auto& id : children) {
    v1::Incident& child = incidents_.at(id);
    if (!IsOpen(child) || child.rule() != v1::RULE_DEDUPLICATION || child.symptoms().empty()) continue;
    const auto& first = child.symptoms(0);
    if (rule.child_fault_types.count(first.fault_type()) == 0 || FromProtoTime(first.first_seen()) < since) continue;
    Unindex(child);
    for (const auto& s : child.symptoms()) {
      *parent.add_symptoms() = s;
      open_by_key_[{s.asset_id(), s.fault_type()}] = parent.id();
    }
    for (const auto& r : child.requests()) {
      *parent.add_requests() = r;
      request_incident_[r.request_id()] = parent.id();
    }
    parent.set_occurrences(parent.occurrences() + child.occurrences());
    if (child.crew_working()) parent.set_crew_working(true);
    child.set_status(v1::INCIDENT_STATUS_MERGED);
    child.set_merged_into(parent.id());
    child.set_resolution(absl::StrCat("Merged into ", parent.id(), " (", parent.title(), ")"));
    Touch(child, now);
    changes.Add(child.id(), v1::INCIDENT_CHANGE_MERGED);
    changes.Add(parent.id(), v1::INCIDENT_CHANGE_MERGED);
  }
  RaisePriorityForCalls(parent);
  Touch(parent, now);
}

Outcome Correlator::Clear(const tv1::FaultEvent& fault, TimePoint at, TimePoint now, const v1::Cause& cause,
                          Changes& changes) {
  auto it = open_by_key_.find({fault.asset_id(), fault.type()});
  if (it == open_by_key_.end()) return {};
  v1::Incident& incident = incidents_.at(it->second);
  v1::Symptom* s = FindSymptom(incident, fault.asset_id(), fault.type());
  if (s == nullptr || !s->active()) return {};
  s->set_active(false);
  *s->mutable_recovered_at() = ToProtoTime(at);
  Touch(incident, now);
  changes.Add(incident.id(), v1::INCIDENT_CHANGE_UPDATED, &cause);
  if (AllRecovered(incident)) ScheduleResolution(incident, now);
  if (incident.status() == v1::INCIDENT_STATUS_RESOLVED) {
    changes.Add(incident.id(), v1::INCIDENT_CHANGE_RESOLVED, &cause);
  }
  return {Outcome::Effect::kRecovered, incident.rule(), incident.id()};
}

// ---------------------------------------------------------------- resolution

void Correlator::ScheduleResolution(v1::Incident& incident, TimePoint now) {
  if (incident.crew_working() || incident.flapping() || !IsOpen(incident)) return;
  if (rules_.resolve_hold.count() == 0) {
    DoResolve(incident, kSystemActor, "All its assets recovered.", now);
    return;
  }
  *incident.mutable_resolve_after() = ToProtoTime(now + rules_.resolve_hold);
}

void Correlator::DoResolve(v1::Incident& incident, const std::string& actor, const std::string& resolution,
                           TimePoint now) {
  Unindex(incident);
  incident.set_status(v1::INCIDENT_STATUS_RESOLVED);
  incident.set_resolved_by(actor);
  *incident.mutable_resolved_at() = ToProtoTime(now);
  incident.set_resolution(resolution);
  incident.clear_resolve_after();
  for (const auto& s : incident.symptoms()) resolved_by_key_[{s.asset_id(), s.fault_type()}] = incident.id();
  Touch(incident, now);
}

void Correlator::ForgetResolvedKeys(const v1::Incident& incident) {
  // Only its own symptoms' keys can point at it: no scan of the whole map.
  for (const auto& s : incident.symptoms()) {
    auto it = resolved_by_key_.find({s.asset_id(), s.fault_type()});
    if (it != resolved_by_key_.end() && it->second == incident.id()) resolved_by_key_.erase(it);
  }
}

void Correlator::DoReopen(v1::Incident& incident, TimePoint now) {
  ForgetResolvedKeys(incident);
  incident.set_status(v1::INCIDENT_STATUS_OPEN);
  incident.clear_resolved_by();
  incident.clear_resolved_at();
  incident.clear_resolution();
  incident.clear_resolve_after();
  incident.clear_acknowledged_by();
  incident.clear_acknowledged_at();
  incident.set_reopen_count(incident.reopen_count() + 1);
  Index(incident);
  Touch(incident, now);
}

void Correlator::Tick(TimePoint now, Changes& changes) {
  std::vector<std::string> evict;
  for (auto& [id, incident] : incidents_) {
    if (IsOpen(incident) && incident.has_resolve_after() && FromProtoTime(incident.resolve_after()) <= now) {
      if (AllRecovered(incident) && !incident.crew_working() && !incident.flapping()) {
        DoResolve(incident, kSystemActor, "All its assets recovered.", now);
        changes.Add(id, v1::INCIDENT_CHANGE_RESOLVED);
      } else {
        incident.clear_resolve_after();
      }
    } else if (incident.status() == v1::INCIDENT_STATUS_MERGED ||
               (incident.status() == v1::INCIDENT_STATUS_RESOLVED &&
                FromProtoTime(incident.resolved_at()) + rules_.reopen_window < now)) {
      evict.push_back(id);
    }
  }
  for (const auto& id : evict) {
    const v1::Incident& incident = incidents_.at(id);
    ForgetResolvedKeys(incident);
    for (const auto& r : incident.requests()) {
      if (auto it = request_incident_.find(r.request_id()); it != request_incident_.end() && it->second == id) {
        request_incident_.erase(it);
      }
    }
    incidents_.erase(id);
  }
}

absl::Status Correlator::SetCrewWorking(const std::string& id, bool working, TimePoint now, Changes& changes) {
  auto held = Held(id);
  if (!held.ok()) return held.status();
  v1::Incident& incident = **held;
  if (incident.crew_working() == working) return absl::OkStatus();
  incident.set_crew_working(working);
  if (!working && AllRecovered(incident)) ScheduleResolution(incident, now);
  Touch(incident, now);
  changes.Add(id, incident.status() == v1::INCIDENT_STATUS_RESOLVED ? v1::INCIDENT_CHANGE_RESOLVED
                                                                    : v1::INCIDENT_CHANGE_UPDATED);
  return absl::OkStatus();
}

absl::Status Correlator::CrewCompleted(const std::string& id, TimePoint now, Changes& changes) {
  auto held = Held(id);
  if (!held.ok()) return held.status();
  v1::Incident& incident = **held;
  incident.set_crew_working(false);
  if (!IsOpen(incident)) return absl::OkStatus();
  if (incident.symptoms().empty()) {
    DoResolve(incident, kSystemActor, "The crew completed its work order.", now);
    changes.Add(id, v1::INCIDENT_CHANGE_RESOLVED);
    return absl::OkStatus();
  }
  if (AllRecovered(incident)) ScheduleResolution(incident, now);
  Touch(incident, now);
  changes.Add(id, incident.status() == v1::INCIDENT_STATUS_RESOLVED ? v1::INCIDENT_CHANGE_RESOLVED
                                                                    : v1::INCIDENT_CHANGE_UPDATED);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- resident requests

void Correlator::RaisePriorityForCalls(v1::Incident& incident) {
  if (incident.base_priority() == v1::PRIORITY_UNSPECIFIED) incident.set_base_priority(incident.priority());
  const int steps = incident.requests_size() / rules_.calls_per_priority_step;
  if (steps == 0) return;
  const int ceiling = std::max<int>(rules_.max_raised_priority, incident.base_priority());
  const int raised = std::min(incident.base_priority() + steps, ceiling);
  if (raised > incident.priority()) {
    incident.set_priority(static_cast<v1::Priority>(raised));
    incident.set_explanation(absl::StrCat(
        incident.explanation(), " Priority raised to ", PriorityName(incident.priority()), ": ",
        incident.requests_size(), " resident requests linked (one step per ", rules_.calls_per_priority_step, ")."));
  }
}

Outcome Correlator::OnRequest(const calls::v1::RequestEvent& event, TimePoint now, Changes& changes) {
  const calls::v1::ResidentRequest& request = event.request();
  if (request.id().empty() || !request.has_location()) return {};
  if (request.status() == calls::v1::REQUEST_STATUS_CLOSED) return {};
  if (request_incident_.count(request.id()) != 0) return {};
  const CategoryRule& category = rules_.Category(request.category());
  const TimePoint created = request.has_created_at() ? FromProtoTime(request.created_at()) : now;
  v1::Cause cause;
  cause.set_event_id(event.meta().event_id());
  *cause.mutable_occurred_at() = event.meta().has_occurred_at() ? event.meta().occurred_at() : ToProtoTime(created);
  const double lat = request.location().lat();
  const double lon = request.location().lon();

  v1::Incident* best = nullptr;
  double best_distance = rules_.link_distance_m;
  for (auto& entry : incidents_) {
    v1::Incident& incident = entry.second;
    if (!IsOpen(incident)) continue;
    if (FromProtoTime(incident.last_seen_at()) + rules_.link_window < created) continue;
    bool matches = category.kinds.count(incident.asset_kind()) != 0 ||
                   (incident.rule() == v1::RULE_RESIDENT_CALL && incident.category() == category.category);
    for (int i = 0; !matches && i < incident.symptoms_size(); ++i) {
      matches = category.kinds.count(incident.symptoms(i).asset_kind()) != 0;
    }
    if (!matches) continue;
    auto consider = [&](const common::v1::GeoPoint& p) {
      const double d = common::DistanceMeters(lat, lon, p.lat(), p.lon());
      if (d <= best_distance) {
        best_distance = d;
        best = &incident;
      }
    };
    if (incident.has_location()) consider(incident.location());
    for (const auto& s : incident.symptoms()) consider(s.location());
    for (const auto& r : incident.requests()) consider(r.location());
  }

  auto link = [&](v1::Incident& incident, double distance) {
    v1::LinkedRequest* linked = incident.add_requests();
    linked->set_request_id(request.id());
    linked->set_category(category.category);
    *linked->mutable_location() = request.location();
    *linked->mutable_linked_at() = ToProtoTime(now);
    linked->set_distance_m(distance);
    request_incident_[request.id()] = incident.id();
  };

  if (best != nullptr) {
    link(*best, best_distance);
    best->set_occurrences(best->occurrences() + 1);
    RaisePriorityForCalls(*best);
    Touch(*best, now);
    changes.Add(best->id(), v1::INCIDENT_CHANGE_UPDATED, &cause);
    return {Outcome::Effect::kLinked, v1::RULE_RESIDENT_CALL, best->id()};
  }

  v1::Incident& incident = NewIncident(v1::RULE_RESIDENT_CALL, now);
  incident.set_category(category.category);
  incident.set_district(request.district());
  *incident.mutable_location() = request.location();
  incident.set_priority(category.priority);
  incident.set_base_priority(category.priority);
  incident.set_required_skill(category.skill);
  incident.set_title(absl::StrCat("Resident request: ", category.category));
  incident.set_explanation(absl::StrCat("Resident-call rule: no open incident matching category ", category.category,
                                        " within ", rules_.link_distance_m, " m and ", rules_.link_window.count(),
                                        " s, so the request opens its own; later requests nearby link to it."));
  *incident.mutable_last_seen_at() = ToProtoTime(created);
  link(incident, 0);
  incident.set_occurrences(1);
  Touch(incident, now);
  changes.Add(incident.id(), v1::INCIDENT_CHANGE_OPENED, &cause);
  return {Outcome::Effect::kOpened, v1::RULE_RESIDENT_CALL, incident.id()};
}

// ---------------------------------------------------------------- crisis mode

const v1::Incident& Correlator::OpenCrisisIncident(const std::string& crisis_id, const std::string& title,
                                                   const std::string& explanation, int district,
                                                   const common::v1::GeoPoint& location, v1::Priority priority,
                                                   const std::string& actor, TimePoint now, Changes& changes) {
  v1::Incident& incident = NewIncident(v1::RULE_CRISIS, now);
  incident.set_crisis_id(crisis_id);
  incident.set_title(title);
  incident.set_explanation(explanation);
  incident.set_district(district);
  *incident.mutable_location() = location;
  incident.set_priority(priority);
  incident.set_base_priority(priority);
  incident.set_occurrences(1);
  Touch(incident, now);
  changes.Add(incident.id(), v1::INCIDENT_CHANGE_OPENED, nullptr, actor);
  return incident;
}

absl::Status Correlator::GroupUnderCrisis(const std::string& id, const std::string& crisis_id,
                                          std::optional<v1::Priority> raise_to, TimePoint now, Changes& changes) {
  auto held = Held(id);
  if (!held.ok()) return held.status();
  v1::Incident& incident = **held;
  bool changed = false;
  if (incident.crisis_id() != crisis_id) {
    incident.set_crisis_id(crisis_id);
    changed = true;
  }
  if (raise_to.has_value() && *raise_to > incident.priority()) {
    if (incident.priority_before_crisis() == v1::PRIORITY_UNSPECIFIED) {
      incident.set_priority_before_crisis(incident.priority());
    }
    incident.set_priority(*raise_to);
    changed = true;
  }
  if (!changed) return absl::OkStatus();
  Touch(incident, now);
  changes.Add(id, v1::INCIDENT_CHANGE_UPDATED);
  return absl::OkStatus();
}

absl::Status Correlator::RestoreCrisisPriority(const std::string& id, TimePoint now, Changes& changes) {
  auto held = Held(id);
  if (!held.ok()) return held.status();
  v1::Incident& incident = **held;
  if (incident.priority_before_crisis() == v1::PRIORITY_UNSPECIFIED) return absl::OkStatus();
  incident.set_priority(incident.priority_before_crisis());
  incident.clear_priority_before_crisis();
  RaisePriorityForCalls(incident);
  Touch(incident, now);
  changes.Add(id, v1::INCIDENT_CHANGE_UPDATED);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- operators

namespace {
absl::Status NotOpen(const v1::Incident& incident, std::string_view verb) {
  if (incident.status() == v1::INCIDENT_STATUS_MERGED) {
    return absl::FailedPreconditionError(absl::StrCat("cannot ", std::string(verb), " ", incident.id(),
                                                      ": it was merged into ", incident.merged_into()));
  }
  return absl::FailedPreconditionError(
      absl::StrCat("cannot ", std::string(verb), " ", incident.id(), ": it is resolved"));
}

void AddNoteTo(v1::Incident& incident, const std::string& actor, const std::string& text, TimePoint now) {
  v1::Note* note = incident.add_notes();
  note->set_author(actor);
  note->set_text(text);
  *note->mutable_at() = ToProtoTime(now);
}
}  // namespace

absl::Status Correlator::Acknowledge(const std::string& id, const std::string& actor, TimePoint now, Changes& changes) {
  auto held = Held(id);
  if (!held.ok()) return held.status();
  v1::Incident& incident = **held;
  if (!IsOpen(incident)) return NotOpen(incident, "acknowledge");
  if (incident.status() == v1::INCIDENT_STATUS_ACKNOWLEDGED) {
    return absl::FailedPreconditionError(
        absl::StrCat("incident ", id, " is already acknowledged by ", incident.acknowledged_by()));
  }
  incident.set_status(v1::INCIDENT_STATUS_ACKNOWLEDGED);
  incident.set_acknowledged_by(actor);
  *incident.mutable_acknowledged_at() = ToProtoTime(now);
  Touch(incident, now);
  changes.Add(id, v1::INCIDENT_CHANGE_ACKNOWLEDGED, nullptr, actor);
  return absl::OkStatus();
}

absl::Status Correlator::Assign(const std::string& id, const std::string& actor, const std::string& owner,
                                const std::string& note, TimePoint now, Changes& changes) {
  auto held = Held(id);
  if (!held.ok()) return held.status();
  v1::Incident& incident = **held;
  if (!IsOpen(incident)) return NotOpen(incident, "assign");
  incident.set_owner(owner);
  AddNoteTo(incident, actor, note.empty() ? absl::StrCat("Assigned to ", owner) : note, now);
  Touch(incident, now);
  changes.Add(id, v1::INCIDENT_CHANGE_ASSIGNED, nullptr, actor);
  return absl::OkStatus();
}

absl::Status Correlator::AddNote(const std::string& id, const std::string& actor, const std::string& text,
                                 TimePoint now, Changes& changes) {
  auto held = Held(id);
  if (!held.ok()) return held.status();
  v1::Incident& incident = **held;
  if (incident.status() == v1::INCIDENT_STATUS_MERGED) return NotOpen(incident, "add a note to");
  AddNoteTo(incident, actor, text, now);
  Touch(incident, now);
  changes.Add(id, v1::INCIDENT_CHANGE_NOTE_ADDED, nullptr, actor);
  return absl::OkStatus();
}

absl::Status Correlator::Resolve(const std::string& id, const std::string& actor, const std::string& note,
                                 TimePoint now, Changes& changes) {
  auto held = Held(id);
  if (!held.ok()) return held.status();
  v1::Incident& incident = **held;
  if (!IsOpen(incident)) return NotOpen(incident, "resolve");
  if (!note.empty()) AddNoteTo(incident, actor, note, now);
  incident.set_flapping(false);
  DoResolve(incident, actor, note.empty() ? "Resolved by an operator." : note, now);
  changes.Add(id, v1::INCIDENT_CHANGE_RESOLVED, nullptr, actor);
  return absl::OkStatus();
}

absl::Status Correlator::Reopen(const std::string& id, const std::string& actor, const std::string& reason,
                                TimePoint now, Changes& changes) {
  auto held = Held(id);
  if (!held.ok()) return held.status();
  v1::Incident& incident = **held;
  if (incident.status() != v1::INCIDENT_STATUS_RESOLVED) {
    if (incident.status() == v1::INCIDENT_STATUS_MERGED) return NotOpen(incident, "reopen");
    return absl::FailedPreconditionError(absl::StrCat("cannot reopen ", id, ": it is not resolved"));
  }
  DoReopen(incident, now);
  AddNoteTo(incident, actor, reason.empty() ? "Reopened by an operator." : reason, now);
  changes.Add(id, v1::INCIDENT_CHANGE_REOPENED, nullptr, actor);
  return absl::OkStatus();
}

}  // namespace cityops::incidents
