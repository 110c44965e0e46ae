#include "domain/crisis_book.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cityops/common/proto_time.h"
#include "domain/rules.h"

namespace cityops::incidents {
namespace {

using common::FromProtoTime;
using common::ToProtoTime;

std::vector<int> DistrictsOf(const v1::Crisis& crisis) {
  return {crisis.districts().begin(), crisis.districts().end()};
}

bool Covers(const std::vector<int>& districts, int district) {
  return std::binary_search(districts.begin(), districts.end(), district);
}

bool Terminal(v1::CrisisStatus status) {
  return status == v1::CRISIS_STATUS_ENDED || status == v1::CRISIS_STATUS_DISMISSED;
}

bool Outstanding(const v1::CrisisAction& action) {
  return action.state() == v1::CRISIS_ACTION_STATE_PENDING || action.state() == v1::CRISIS_ACTION_STATE_REVERTING;
}

std::string Title(const crisis::Playbook& playbook, const std::vector<int>& districts) {
  return absl::StrCat(playbook.name, ": district", districts.size() > 1 ? "s " : " ", DistrictList(districts));
}

}  // namespace

std::string CrisisStatusName(v1::CrisisStatus status) {
  switch (status) {
    case v1::CRISIS_STATUS_PROPOSED:
      return "proposed";
    case v1::CRISIS_STATUS_ACTIVE:
      return "active";
    case v1::CRISIS_STATUS_ENDED:
      return "ended";
    case v1::CRISIS_STATUS_DISMISSED:
      return "dismissed";
    default:
      return "unknown";
  }
}

std::string DistrictList(const std::vector<int>& districts) {
  if (districts.empty()) return "none";
  std::string out;
  for (size_t i = 0; i < districts.size(); ++i) {
    if (i > 0) out += i + 1 == districts.size() ? " and " : ", ";
    absl::StrAppend(&out, districts[i]);
  }
  return out;
}

void CrisisChanges::Add(const std::string& crisis_id, v1::CrisisChange change, const std::string& actor) {
  if (change == v1::CRISIS_CHANGE_UPDATED) {
    for (const auto& r : records_) {
      if (r.crisis_id == crisis_id) return;  // the later event carries the crisis as it is then
    }
  }
  records_.push_back({crisis_id, change, actor});
}

std::vector<std::string> CrisisChanges::TouchedIds() const {
  std::vector<std::string> ids;
  std::set<std::string> seen;
  for (const auto& r : records_) {
    if (seen.insert(r.crisis_id).second) ids.push_back(r.crisis_id);
  }
  return ids;
}

CrisisBook::CrisisBook(const crisis::Playbooks& playbooks, const common::DistrictMap& districts)
    : playbooks_(playbooks), districts_(districts) {}

void CrisisBook::Load(std::vector<v1::Crisis> crises, int64_t next_number) {
  crises_.clear();
  for (auto& c : crises) {
    std::string id = c.id();
    crises_.emplace(std::move(id), std::move(c));
  }
  next_number_ = next_number;
}

void CrisisBook::Adopt(v1::Crisis crisis) {
  std::string id = crisis.id();
  crises_.try_emplace(std::move(id), std::move(crisis));
}

const v1::Crisis* CrisisBook::Find(const std::string& id) const {
  auto it = crises_.find(id);
  return it == crises_.end() ? nullptr : &it->second;
}

std::vector<const v1::Crisis*> CrisisBook::All() const {
  std::vector<const v1::Crisis*> out;
  for (const auto& [id, c] : crises_) out.push_back(&c);
  return out;
}

bool CrisisBook::AnyActive() const {
  return std::any_of(crises_.begin(), crises_.end(),
                     [](const auto& entry) { return entry.second.status() == v1::CRISIS_STATUS_ACTIVE; });
}

absl::StatusOr<v1::Crisis*> CrisisBook::Held(const std::string& id) {
  auto it = crises_.find(id);
  if (it == crises_.end()) return absl::NotFoundError(absl::StrCat("no crisis ", id));
  return &it->second;
}

v1::Crisis* CrisisBook::Live(const std::string& playbook, v1::CrisisStatus status) {
  for (auto& [id, c] : crises_) {
    if (c.playbook() == playbook && c.status() == status) return &c;
  }
  return nullptr;
}

absl::StatusOr<std::vector<int>> CrisisBook::CheckDistricts(const std::vector<int>& districts) const {
  if (districts.empty()) return absl::InvalidArgumentError("districts: at least one district is needed");
  std::vector<int> out;
  for (int d : districts) {
    if (districts_.Find(d) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("districts: unknown district ", d, " (the city has districts 1 to ", districts_.size(), ")"));
    }
    out.push_back(d);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void CrisisBook::Touch(v1::Crisis& crisis, TimePoint now) {
  *crisis.mutable_updated_at() = ToProtoTime(now);
  crisis.set_version(crisis.version() + 1);
}

void CrisisBook::AddEntry(v1::Crisis& crisis, TimePoint now, v1::CrisisTimelineKind kind, const std::string& text,
                          const std::string& actor, const std::string& incident_id, const std::string& action_id) {
  if (crisis.timeline_size() >= kTimelineLimit) {
    crisis.mutable_timeline()->DeleteSubrange(0, crisis.timeline_size() - kTimelineLimit + 1);
  }
  v1::CrisisTimelineEntry* e = crisis.add_timeline();
  *e->mutable_at() = ToProtoTime(now);
  e->set_kind(kind);
  e->set_text(text);
  e->set_actor(actor);
  e->set_incident_id(incident_id);
  e->set_action_id(action_id);
}

v1::Crisis& CrisisBook::NewCrisis(const crisis::Playbook& playbook, TimePoint now) {
  char id[32];
  std::snprintf(id, sizeof(id), "CRI-%08lld", static_cast<long long>(next_number_++));
  v1::Crisis& c = crises_[id];
  c.set_id(id);
  c.set_playbook(playbook.id);
  *c.mutable_proposed_at() = ToProtoTime(now);
  return c;
}

absl::StatusOr<std::string> CrisisBook::Propose(const std::string& playbook_id, const std::vector<int>& districts,
                                                const std::string& actor, const std::string& reason, TimePoint now,
                                                CrisisChanges& out) {
  const crisis::Playbook* playbook = playbooks_.Find(playbook_id);
  if (playbook == nullptr) return absl::NotFoundError(absl::StrCat("no playbook \"", playbook_id, "\""));
  if (actor.empty()) return absl::InvalidArgumentError("actor: who proposes is required");
  auto checked = CheckDistricts(districts);
  if (!checked.ok()) return checked.status();
  for (auto status : {v1::CRISIS_STATUS_PROPOSED, v1::CRISIS_STATUS_ACTIVE}) {
    if (const v1::Crisis* live = Live(playbook_id, status); live != nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat(live->id(), " is already ", CrisisStatusName(status), " for playbook ", playbook_id));
    }
  }
  v1::Crisis& c = NewCrisis(*playbook, now);
  c.set_status(v1::CRISIS_STATUS_PROPOSED);
  c.set_title(Title(*playbook, *checked));
  for (int d : *checked) c.add_districts(d);
  c.set_reason(reason.empty() ? absl::StrCat("Proposed by ", actor) : reason);
  c.set_proposed_by(actor);
  AddEntry(c, now, v1::CRISIS_TIMELINE_KIND_PROPOSED,
           absl::StrCat("Proposed over district", checked->size() > 1 ? "s " : " ", DistrictList(*checked), ": ",
                        c.reason()),
           actor == kPlatformActor ? std::string() : actor);
  Touch(c, now);
  out.Add(c.id(), v1::CRISIS_CHANGE_PROPOSED, actor);
  return c.id();
}

void CrisisBook::AddActions(v1::Crisis& crisis, const std::vector<crisis::PlannedAction>& planned, TimePoint now) {
  for (const auto& p : planned) {
    v1::CrisisAction* a = crisis.add_actions();
    a->set_id(p.id);
    a->set_kind(p.kind);
    a->set_description(p.description);
    a->set_district(p.district);
    a->set_level(p.level);
    a->set_skill(p.skill);
    *a->mutable_updated_at() = ToProtoTime(now);
    // Priorities are this service's own: applied in the same transaction.
    a->set_state(p.kind == v1::CRISIS_ACTION_KIND_RAISE_PRIORITY ? v1::CRISIS_ACTION_STATE_APPLIED
                                                                 : v1::CRISIS_ACTION_STATE_PENDING);
  }
}

absl::StatusOr<std::string> CrisisBook::Declare(const v1::DeclareCrisisRequest& request, TimePoint now,
                                                Correlator& correlator, Changes& changes, CrisisChanges& out) {
  if (request.actor().empty()) return absl::InvalidArgumentError("actor: who declares is required");
  v1::Crisis* proposal = nullptr;
  const crisis::Playbook* playbook = nullptr;
  std::vector<int> requested(request.districts().begin(), request.districts().end());
  if (!request.crisis_id().empty()) {
    auto held = Held(request.crisis_id());
    if (!held.ok()) return held.status();
    proposal = *held;
    if (proposal->status() != v1::CRISIS_STATUS_PROPOSED) {
      return absl::FailedPreconditionError(absl::StrCat("cannot declare ", proposal->id(), ": it is ",
                                                        CrisisStatusName(proposal->status()), ", not proposed"));
    }
    if (!request.playbook().empty() && request.playbook() != proposal->playbook()) {
      return absl::InvalidArgumentError(absl::StrCat("playbook: ", proposal->id(), " is a proposal of playbook ",
                                                     proposal->playbook(), ", not ", request.playbook()));
    }
    playbook = playbooks_.Find(proposal->playbook());
    if (playbook == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat(proposal->id(), "'s playbook ", proposal->playbook(), " is no longer loaded"));
    }
    if (requested.empty()) requested = DistrictsOf(*proposal);
  } else {
    if (request.playbook().empty()) return absl::InvalidArgumentError("crisis_id or playbook is required");
    playbook = playbooks_.Find(request.playbook());
    if (playbook == nullptr) return absl::NotFoundError(absl::StrCat("no playbook \"", request.playbook(), "\""));
  }
  auto checked = CheckDistricts(requested);
  if (!checked.ok()) return checked.status();
  if (const v1::Crisis* active = Live(playbook->id, v1::CRISIS_STATUS_ACTIVE); active != nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat(active->id(), " is already active for playbook ", playbook->id, ": change its scope instead"));
  }
  // Declaring a playbook by hand takes up its pending proposal, if any.
  if (proposal == nullptr) proposal = Live(playbook->id, v1::CRISIS_STATUS_PROPOSED);
  v1::Crisis& c = proposal != nullptr ? *proposal : NewCrisis(*playbook, now);
  if (proposal == nullptr) {
    c.set_reason(request.note().empty() ? absl::StrCat("Declared by ", request.actor()) : request.note());
    c.set_proposed_by(request.actor());
  }
  c.set_status(v1::CRISIS_STATUS_ACTIVE);
  c.clear_districts();
  for (int d : *checked) c.add_districts(d);
  c.set_title(Title(*playbook, *checked));
  c.set_declared_by(request.actor());
  *c.mutable_declared_at() = ToProtoTime(now);
  AddEntry(c, now, v1::CRISIS_TIMELINE_KIND_DECLARED,
           absl::StrCat("Declared over district", checked->size() > 1 ? "s " : " ", DistrictList(*checked),
                        request.note().empty() ? "" : ": ", request.note()),
           request.actor());

  const common::LatLon at = crisis::StagingPoint(districts_, checked->front());
  common::v1::GeoPoint location;
  location.set_lat(at.lat);
  location.set_lon(at.lon);
  const v1::Incident& incident = correlator.OpenCrisisIncident(
      c.id(), c.title(),
      absl::StrCat("Crisis ", c.id(), " (playbook ", playbook->id, ", declared by ", request.actor(),
                   "): it groups the incidents of the affected districts until the crisis ends. ",
                   playbook->description),
      checked->front(), location, playbook->incident_priority, request.actor(), now, changes);
  c.set_incident_id(incident.id());

  AddActions(c, crisis::PlanActions(*playbook, *checked), now);
  GroupDistricts(c, *checked, correlator, now, changes);
  Touch(c, now);
  out.Add(c.id(), v1::CRISIS_CHANGE_DECLARED, request.actor());
  return c.id();
}

absl::Status CrisisBook::Dismiss(const std::string& id, const std::string& actor, const std::string& note,
                                 TimePoint now, CrisisChanges& out) {
  if (actor.empty()) return absl::InvalidArgumentError("actor: who dismisses is required");
  auto held = Held(id);
  if (!held.ok()) return held.status();
  v1::Crisis& c = **held;
  if (c.status() != v1::CRISIS_STATUS_PROPOSED) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot dismiss ", id, ": it is ", CrisisStatusName(c.status()), ", not proposed"));
  }
  c.set_status(v1::CRISIS_STATUS_DISMISSED);
  c.set_ended_by(actor);
  *c.mutable_ended_at() = ToProtoTime(now);
  c.set_end_note(note);
  AddEntry(c, now, v1::CRISIS_TIMELINE_KIND_DISMISSED,
           note.empty() ? std::string("Proposal dismissed") : absl::StrCat("Proposal dismissed: ", note), actor);
  Touch(c, now);
  out.Add(id, v1::CRISIS_CHANGE_DISMISSED, actor);
  return absl::OkStatus();
}

void CrisisBook::StartRevert(v1::CrisisAction& action, TimePoint now) {
  *action.mutable_updated_at() = ToProtoTime(now);
  switch (action.state()) {
    case v1::CRISIS_ACTION_STATE_APPLIED:
      action.set_state(v1::CRISIS_ACTION_STATE_REVERTING);
      break;
    case v1::CRISIS_ACTION_STATE_PENDING:
      // Being applied, perhaps: whatever it made (a target, or one found by
      // its tag) is undone by the runner.
      action.set_state(v1::CRISIS_ACTION_STATE_REVERTING);
      break;
    case v1::CRISIS_ACTION_STATE_SKIPPED:
      action.set_state(v1::CRISIS_ACTION_STATE_REVERTED);
      break;
    default:
      break;
  }
}

absl::Status CrisisBook::ChangeScope(const std::string& id, const std::vector<int>& districts, const std::string& actor,
                                     const std::string& note, TimePoint now, Correlator& correlator, Changes& changes,
                                     CrisisChanges& out) {
  if (actor.empty()) return absl::InvalidArgumentError("actor: who changes the scope is required");
  auto held = Held(id);
  if (!held.ok()) return held.status();
  v1::Crisis& c = **held;
  auto checked = CheckDistricts(districts);
  if (!checked.ok()) return checked.status();
  if (c.status() != v1::CRISIS_STATUS_ACTIVE) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot change the scope of ", id, ": it is ", CrisisStatusName(c.status()), ", not active"));
  }
  const crisis::Playbook* playbook = playbooks_.Find(c.playbook());
  if (playbook == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(id, "'s playbook ", c.playbook(), " is no longer loaded"));
  }
  const std::vector<int> before = DistrictsOf(c);
  if (before == *checked) return absl::OkStatus();
  std::vector<int> removed, added;
  std::set_difference(before.begin(), before.end(), checked->begin(), checked->end(), std::back_inserter(removed));
  std::set_difference(checked->begin(), checked->end(), before.begin(), before.end(), std::back_inserter(added));

  // Actions: the reverted ones stay listed (with their state); one planned
  // again after a revert is a new action under the same id.
  std::vector<std::string> current;
  for (const auto& a : c.actions()) {
    if (a.state() != v1::CRISIS_ACTION_STATE_REVERTED && a.state() != v1::CRISIS_ACTION_STATE_REVERTING) {
      current.push_back(a.id());
    }
  }
  const crisis::ActionDiff diff = crisis::DiffActions(current, crisis::PlanActions(*playbook, *checked));
  for (auto& a : *c.mutable_actions()) {
    if (std::find(diff.revert.begin(), diff.revert.end(), a.id()) != diff.revert.end() &&
        a.state() != v1::CRISIS_ACTION_STATE_REVERTED && a.state() != v1::CRISIS_ACTION_STATE_REVERTING) {
      StartRevert(a, now);
    }
  }
  // A re-added id replaces its reverted (or reverting) entry only once that is done.
  std::vector<crisis::PlannedAction> to_add;
  for (const auto& p : diff.add) {
    auto it = std::find_if(c.mutable_actions()->begin(), c.mutable_actions()->end(),
                           [&](const v1::CrisisAction& a) { return a.id() == p.id; });
    if (it != c.mutable_actions()->end()) {
      if (it->state() == v1::CRISIS_ACTION_STATE_REVERTED) {
        c.mutable_actions()->erase(it);
      } else {
        continue;  // still being undone: planned again at the next change of scope
      }
    }
    to_add.push_back(p);
  }
  AddActions(c, to_add, now);

  const int restored = RestorePriorities(c, removed, correlator, now, changes);
  c.clear_districts();
  for (int d : *checked) c.add_districts(d);
  c.set_title(Title(*playbook, *checked));
  std::string text = absl::StrCat("Scope now district", checked->size() > 1 ? "s " : " ", DistrictList(*checked));
  if (!added.empty()) absl::StrAppend(&text, "; added ", DistrictList(added));
  if (!removed.empty()) absl::StrAppend(&text, "; removed ", DistrictList(removed));
  if (restored > 0) absl::StrAppend(&text, "; ", restored, " incident priorities given back");
  if (!note.empty()) absl::StrAppend(&text, ": ", note);
  AddEntry(c, now, v1::CRISIS_TIMELINE_KIND_SCOPE_CHANGED, text, actor);
  GroupDistricts(c, added, correlator, now, changes);
  Touch(c, now);
  out.Add(id, v1::CRISIS_CHANGE_SCOPE_CHANGED, actor);
  return absl::OkStatus();
}

absl::Status CrisisBook::End(const std::string& id, const std::string& actor, const std::string& note, TimePoint now,
                             Correlator& correlator, Changes& changes, CrisisChanges& out) {
  if (actor.empty()) return absl::InvalidArgumentError("actor: who ends the crisis is required");
  auto held = Held(id);
  if (!held.ok()) return held.status();
  v1::Crisis& c = **held;
  if (c.status() != v1::CRISIS_STATUS_ACTIVE) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot end ", id, ": it is ", CrisisStatusName(c.status()), ", not active"));
  }
  const int restored = RestorePriorities(c, {}, correlator, now, changes);
  if (const v1::Incident* incident = correlator.Find(c.incident_id()); incident != nullptr && IsOpen(*incident)) {
    auto s = correlator.Resolve(
        c.incident_id(), actor,
        note.empty() ? absl::StrCat("Crisis ", id, " ended.") : absl::StrCat("Crisis ", id, " ended: ", note), now,
        changes);
    if (!s.ok()) return s;
  }
  for (auto& a : *c.mutable_actions()) {
    if (a.kind() == v1::CRISIS_ACTION_KIND_RAISE_PRIORITY) {
      if (a.state() == v1::CRISIS_ACTION_STATE_APPLIED) {
        a.set_state(v1::CRISIS_ACTION_STATE_REVERTED);
        *a.mutable_updated_at() = ToProtoTime(now);
      }
      continue;
    }
    StartRevert(a, now);
  }
  c.set_status(v1::CRISIS_STATUS_ENDED);
  c.set_ended_by(actor);
  *c.mutable_ended_at() = ToProtoTime(now);
  c.set_end_note(note);
  AddEntry(c, now, v1::CRISIS_TIMELINE_KIND_PRIORITY_RESTORED,
           absl::StrCat(restored, " incident priorities given back"));
  AddEntry(c, now, v1::CRISIS_TIMELINE_KIND_ENDED,
           note.empty() ? std::string("Crisis ended") : absl::StrCat("Crisis ended: ", note), actor);
  Touch(c, now);
  out.Add(id, v1::CRISIS_CHANGE_ENDED, actor);
  return absl::OkStatus();
}

int CrisisBook::RestorePriorities(const v1::Crisis& crisis, const std::vector<int>& districts, Correlator& correlator,
                                  TimePoint now, Changes& changes) {
  int restored = 0;
  std::vector<std::string> ids;
  for (const v1::Incident* incident : correlator.All()) {
    if (incident->crisis_id() != crisis.id()) continue;
    if (incident->priority_before_crisis() == v1::PRIORITY_UNSPECIFIED) continue;
    if (!districts.empty() && !Covers(districts, incident->district())) continue;
    ids.push_back(incident->id());
  }
  for (const auto& id : ids) {
    if (correlator.RestoreCrisisPriority(id, now, changes).ok()) ++restored;
  }
  return restored;
}

void CrisisBook::GroupDistricts(v1::Crisis& crisis, const std::vector<int>& districts, Correlator& correlator,
                                TimePoint now, Changes& changes) {
  if (districts.empty()) return;
  const crisis::Playbook* playbook = playbooks_.Find(crisis.playbook());
  if (playbook == nullptr) return;
  std::vector<std::string> ids;
  for (const v1::Incident* incident : correlator.All()) {
    if (IsOpen(*incident) && Covers(districts, incident->district())) ids.push_back(incident->id());
  }
  for (const auto& id : ids) {
    if (const v1::Incident* incident = correlator.Find(id); incident != nullptr) {
      GroupOne(crisis, *playbook, *incident, correlator, now, changes);
    }
  }
}

void CrisisBook::GroupOne(v1::Crisis& crisis, const crisis::Playbook& playbook, const v1::Incident& incident,
                          Correlator& correlator, TimePoint now, Changes& changes) {
  if (incident.rule() == v1::RULE_CRISIS || !IsOpen(incident)) return;
  if (!incident.crisis_id().empty() && incident.crisis_id() != crisis.id()) {
    // Held by another crisis that is still active: it stays there.
    const v1::Crisis* other = Find(incident.crisis_id());
    if (other != nullptr && other->status() == v1::CRISIS_STATUS_ACTIVE) return;
  }
  const bool joins = incident.crisis_id() != crisis.id();
  const auto raise = crisis::RaisedPriority(playbook, incident.fault_type(), incident.category(), incident.priority());
  if (!joins && !raise.has_value()) return;
  const std::string& id = incident.id();
  const v1::Priority before = incident.priority();
  if (!correlator.GroupUnderCrisis(id, crisis.id(), raise, now, changes).ok()) return;
  if (joins) {
    crisis.set_grouped_incidents(crisis.grouped_incidents() + 1);
    AddEntry(crisis, now, v1::CRISIS_TIMELINE_KIND_INCIDENT_GROUPED,
             absl::StrCat(id, " joined the crisis: ", incident.title(), " (district ", incident.district(), ")"), {},
             id);
  }
  if (raise.has_value()) {
    AddEntry(crisis, now, v1::CRISIS_TIMELINE_KIND_PRIORITY_RAISED,
             absl::StrCat(id, " priority ", PriorityName(before), " -> ", PriorityName(*raise)), {}, id, "priority");
  }
  Touch(crisis, now);
}

void CrisisBook::OnIncidents(Correlator& correlator, const std::vector<std::string>& incident_ids, TimePoint now,
                             Changes& changes, CrisisChanges& out) {
  if (!AnyActive()) return;
  for (const auto& id : incident_ids) {
    const v1::Incident* incident = correlator.Find(id);
    if (incident == nullptr || !IsOpen(*incident) || incident->rule() == v1::RULE_CRISIS) continue;
    for (auto& [crisis_id, c] : crises_) {
      if (c.status() != v1::CRISIS_STATUS_ACTIVE || !Covers(DistrictsOf(c), incident->district())) continue;
      const crisis::Playbook* playbook = playbooks_.Find(c.playbook());
      if (playbook == nullptr) continue;
      const int64_t version = c.version();
      GroupOne(c, *playbook, *incident, correlator, now, changes);
      if (c.version() != version) out.Add(crisis_id, v1::CRISIS_CHANGE_UPDATED);
      break;  // the first active crisis covering the district takes it
    }
  }
}

bool CrisisBook::RecentlySettledCovering(const crisis::Proposal& proposal, TimePoint now) const {
  for (const auto& [id, c] : crises_) {
    if (c.playbook() != proposal.playbook || !Terminal(c.status())) continue;
    if (FromProtoTime(c.ended_at()) + kQuietAfterSettled < now) continue;
    const std::vector<int> covered = DistrictsOf(c);
    if (std::includes(covered.begin(), covered.end(), proposal.districts.begin(), proposal.districts.end())) {
      return true;
    }
  }
  return false;
}

void CrisisBook::EvaluateTriggers(const Correlator& correlator, TimePoint now, CrisisChanges& out) {
  if (playbooks_.list.empty()) return;
  std::vector<crisis::OpenIncident> open;
  for (const v1::Incident* incident : correlator.All()) {
    if (!IsOpen(*incident) || incident->rule() == v1::RULE_CRISIS) continue;
    if (incident->fault_type() == crisis::tv1::FAULT_TYPE_UNSPECIFIED) continue;
    open.push_back({incident->id(), incident->district(), incident->fault_type(), incident->asset_id()});
  }
  for (const auto& proposal : crisis::EvaluateTriggers(playbooks_, open)) {
    if (Live(proposal.playbook, v1::CRISIS_STATUS_ACTIVE) != nullptr) continue;
    if (v1::Crisis* pending = Live(proposal.playbook, v1::CRISIS_STATUS_PROPOSED); pending != nullptr) {
      std::vector<int> districts = DistrictsOf(*pending);
      std::vector<int> grown;
      std::set_union(districts.begin(), districts.end(), proposal.districts.begin(), proposal.districts.end(),
                     std::back_inserter(grown));
      if (grown == districts) continue;
      pending->clear_districts();
      for (int d : grown) pending->add_districts(d);
      if (const crisis::Playbook* playbook = playbooks_.Find(proposal.playbook); playbook != nullptr) {
        pending->set_title(Title(*playbook, grown));
      }
      pending->set_reason(proposal.reason);
      AddEntry(*pending, now, v1::CRISIS_TIMELINE_KIND_SCOPE_CHANGED,
               absl::StrCat("The proposal grew to district", grown.size() > 1 ? "s " : " ", DistrictList(grown), ": ",
                            proposal.reason));
      Touch(*pending, now);
      out.Add(pending->id(), v1::CRISIS_CHANGE_SCOPE_CHANGED);
      continue;
    }
    if (RecentlySettledCovering(proposal, now)) continue;
    auto proposed = Propose(proposal.playbook, proposal.districts, kPlatformActor, proposal.reason, now, out);
    (void)proposed;  // the playbook and districts come from the trigger: valid
  }
}

std::vector<ActionWork> CrisisBook::ActionsToRun() const {
  std::vector<ActionWork> work;
  for (const auto& [id, c] : crises_) {
    for (const auto& a : c.actions()) {
      if (a.kind() == v1::CRISIS_ACTION_KIND_RAISE_PRIORITY) continue;
      const bool apply = c.status() == v1::CRISIS_STATUS_ACTIVE && a.state() == v1::CRISIS_ACTION_STATE_PENDING;
      if (!apply && a.state() != v1::CRISIS_ACTION_STATE_REVERTING) continue;
      ActionWork w;
      w.crisis = c;
      w.crisis.clear_timeline();  // not needed by the runner
      w.action = a;
      w.playbook = playbooks_.Find(c.playbook());
      work.push_back(std::move(w));
    }
  }
  return work;
}

absl::Status CrisisBook::RecordAction(const std::string& crisis_id, const std::string& action_id,
                                      const ActionOutcome& outcome, TimePoint now, CrisisChanges& out) {
  auto held = Held(crisis_id);
  if (!held.ok()) return held.status();
  v1::Crisis& c = **held;
  auto it = std::find_if(c.mutable_actions()->begin(), c.mutable_actions()->end(),
                         [&](const v1::CrisisAction& a) { return a.id() == action_id; });
  if (it == c.mutable_actions()->end()) {
    return absl::NotFoundError(absl::StrCat("no action ", action_id, " in ", crisis_id));
  }
  v1::CrisisAction& a = *it;
  const v1::CrisisAction before = a;
  using Kind = ActionOutcome::Kind;
  switch (outcome.kind) {
    case Kind::kApplied:
      a.set_target(outcome.target);
      a.set_detail(outcome.detail);
      if (a.state() == v1::CRISIS_ACTION_STATE_PENDING) {
        a.set_state(v1::CRISIS_ACTION_STATE_APPLIED);
        AddEntry(c, now, v1::CRISIS_TIMELINE_KIND_ACTION_APPLIED,
                 absl::StrCat(a.description(), outcome.target.empty() ? "" : " (", outcome.target,
                              outcome.target.empty() ? "" : ")"),
                 {}, {}, a.id());
      } else if (a.state() == v1::CRISIS_ACTION_STATE_REVERTED) {
        a.set_state(v1::CRISIS_ACTION_STATE_REVERTING);  // made after all: to undo
      }
      break;
    case Kind::kReverted:
      if (a.state() == v1::CRISIS_ACTION_STATE_REVERTING) {
        a.set_state(v1::CRISIS_ACTION_STATE_REVERTED);
        a.set_detail(outcome.detail);
        AddEntry(c, now, v1::CRISIS_TIMELINE_KIND_ACTION_REVERTED,
                 absl::StrCat("Undone: ", a.description(), a.target().empty() ? "" : " (", a.target(),
                              a.target().empty() ? "" : ")"),
                 {}, {}, a.id());
      }
      break;
    case Kind::kSkipped:
      a.set_detail(outcome.detail);
      if (a.state() == v1::CRISIS_ACTION_STATE_PENDING) {
        a.set_state(v1::CRISIS_ACTION_STATE_SKIPPED);
      } else if (a.state() == v1::CRISIS_ACTION_STATE_REVERTING && a.target().empty()) {
        a.set_state(v1::CRISIS_ACTION_STATE_REVERTED);
      }
      break;
    case Kind::kWaiting:
    case Kind::kFailed:
      if (a.detail() != outcome.detail) {
        a.set_detail(outcome.detail);
        if (outcome.kind == Kind::kFailed) {
          AddEntry(c, now, v1::CRISIS_TIMELINE_KIND_ACTION_FAILED,
                   absl::StrCat(a.description(), ": ", outcome.detail, " (retried)"), {}, {}, a.id());
        }
      }
      break;
  }
  if (a.SerializeAsString() == before.SerializeAsString()) return absl::OkStatus();
  *a.mutable_updated_at() = ToProtoTime(now);
  Touch(c, now);
  out.Add(crisis_id, v1::CRISIS_CHANGE_UPDATED);
  return absl::OkStatus();
}

void CrisisBook::Forget(TimePoint now) {
  for (auto it = crises_.begin(); it != crises_.end();) {
    const v1::Crisis& c = it->second;
    const bool settled = Terminal(c.status()) && std::none_of(c.actions().begin(), c.actions().end(), Outstanding) &&
                         FromProtoTime(c.ended_at()) + kQuietAfterSettled < now;
    it = settled ? crises_.erase(it) : std::next(it);
  }
}

}  // namespace cityops::incidents
