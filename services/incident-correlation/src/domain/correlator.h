#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cityops/calls/v1/requests.pb.h"
#include "cityops/common/clock.h"
#include "cityops/incidents/v1/incidents.pb.h"
#include "cityops/telemetry/v1/readings.pb.h"
#include "domain/rules.h"
#include "domain/topology.h"

namespace cityops::incidents {

using common::TimePoint;

// One change to one incident, as the correlator made it. Changes of one
// incident within one batch are folded: an UPDATED after another change only
// adds its causes to it.
struct ChangeRecord {
  std::string incident_id;
  v1::IncidentChange change = v1::INCIDENT_CHANGE_UNSPECIFIED;
  std::string actor;
  std::vector<v1::Cause> causes;
};

class Changes {
 public:
  void Add(const std::string& incident_id, v1::IncidentChange change, const v1::Cause* cause = nullptr,
           const std::string& actor = {});
  const std::vector<ChangeRecord>& records() const { return records_; }
  // The incidents touched, each once, in the order first touched.
  std::vector<std::string> TouchedIds() const;
  bool empty() const { return records_.empty(); }
  void clear() { records_.clear(); }

 private:
  std::vector<ChangeRecord> records_;
};

// What one input did, for the metrics (noise reduction per rule).
struct Outcome {
  enum class Effect { kIgnored, kOpened, kJoined, kRepeated, kRecovered, kReopened, kLinked };
  Effect effect = Effect::kIgnored;
  v1::Rule rule = v1::RULE_UNSPECIFIED;
  std::string incident_id;
};

// The correlation engine: plain data in (fault events, resident requests,
// operators' commands, the time), incidents and their changes out. It holds
// the incidents that can still change by themselves (open ones, and resolved
// ones within the reopen window); the caller persists what it reports
// changed, and rebuilds it with Load after a failed transaction.
class Correlator {
 public:
  Correlator(const Rules& rules, const Topology& topology);

  // Replaces the state: incidents still open or recently resolved, and the
  // next incident number.
  void Load(std::vector<v1::Incident> incidents, int64_t next_number);
  // Brings in an incident the caller read from storage (an old resolved one
  // an operator reopens). No-op when it is already held.
  void Adopt(v1::Incident incident);

  Outcome OnFault(const telemetry::v1::FaultEvent& fault, TimePoint now, Changes& changes);
  Outcome OnRequest(const calls::v1::RequestEvent& event, TimePoint now, Changes& changes);
  // Resolves what has been quiet long enough; forgets what can no longer change.
  void Tick(TimePoint now, Changes& changes);
  // Crew dispatch says whether a crew is working on it.
  absl::Status SetCrewWorking(const std::string& id, bool working, TimePoint now, Changes& changes);
  // A crew completed its work order: an incident with no equipment of its own
  // (opened by residents' requests) resolves; one with equipment resolves
  // once its assets have recovered, as usual.
  absl::Status CrewCompleted(const std::string& id, TimePoint now, Changes& changes);

  // Operators' commands. NOT_FOUND for an incident not held (the caller
  // Adopts from storage first), FAILED_PRECONDITION for a wrong transition.
  absl::Status Acknowledge(const std::string& id, const std::string& actor, TimePoint now, Changes& changes);
  absl::Status Assign(const std::string& id, const std::string& actor, const std::string& owner,
                      const std::string& note, TimePoint now, Changes& changes);
  absl::Status AddNote(const std::string& id, const std::string& actor, const std::string& text, TimePoint now,
                       Changes& changes);
  absl::Status Resolve(const std::string& id, const std::string& actor, const std::string& note, TimePoint now,
                       Changes& changes);
  absl::Status Reopen(const std::string& id, const std::string& actor, const std::string& reason, TimePoint now,
                      Changes& changes);

  // Crisis mode (see crisis_book.h). Opens the crisis incident of a declared
  // crisis: no asset, no crew of its own, resolved only by the crisis's end.
  const v1::Incident& OpenCrisisIncident(const std::string& crisis_id, const std::string& title,
                                         const std::string& explanation, int district,
                                         const common::v1::GeoPoint& location, v1::Priority priority,
                                         const std::string& actor, TimePoint now, Changes& changes);
  // Groups an incident under a crisis and, when `raise_to` is set, raises its
  // priority to it (remembering the priority before). No-op when nothing changes.
  absl::Status GroupUnderCrisis(const std::string& id, const std::string& crisis_id,
                                std::optional<v1::Priority> raise_to, TimePoint now, Changes& changes);
  // Gives back the priority it had before the crisis raised it (and what
  // residents' calls have raised since). No-op for an incident not raised.
  absl::Status RestoreCrisisPriority(const std::string& id, TimePoint now, Changes& changes);

  const v1::Incident* Find(const std::string& id) const;
  // Every incident held, by id.
  std::vector<const v1::Incident*> All() const;
  // Open (or acknowledged) incidents held.
  size_t open_count() const;
  size_t held_count() const { return incidents_.size(); }
  int64_t next_number() const { return next_number_; }

 private:
  using Key = std::pair<std::string, telemetry::v1::FaultType>;  // asset, fault type
  struct KeyHash {
    size_t operator()(const Key& k) const { return std::hash<std::string>()(k.first) ^ (size_t(k.second) * 31u); }
  };

  AssetInfo Describe(const telemetry::v1::FaultEvent& fault) const;
  Outcome Raise(const telemetry::v1::FaultEvent& fault, const AssetInfo& asset, TimePoint at, TimePoint now,
                const v1::Cause& cause, Changes& changes);
  Outcome Clear(const telemetry::v1::FaultEvent& fault, TimePoint at, TimePoint now, const v1::Cause& cause,
                Changes& changes);
  // Opens a topology incident on the parent when enough children fail together.
  bool MaybeOpenOnParent(const AssetInfo& child, telemetry::v1::FaultType type, const ParentRule& rule, TimePoint at,
                         TimePoint now, const v1::Cause& cause, Changes& changes, std::string& incident_id);
  // Moves the open single-asset incidents of the parent's children into it.
  void FoldChildren(v1::Incident& parent, const ParentRule& rule, TimePoint since, TimePoint now, Changes& changes);
  v1::Incident& NewIncident(v1::Rule rule, TimePoint now);
  v1::Symptom& AddSymptom(v1::Incident& incident, const AssetInfo& asset, telemetry::v1::FaultType type, TimePoint at);
  void Index(const v1::Incident& incident);
  void Unindex(const v1::Incident& incident);
  void ScheduleResolution(v1::Incident& incident, TimePoint now);
  void DoResolve(v1::Incident& incident, const std::string& actor, const std::string& resolution, TimePoint now);
  void DoReopen(v1::Incident& incident, TimePoint now);
  void ForgetResolvedKeys(const v1::Incident& incident);
  void RaisePriorityForCalls(v1::Incident& incident);
  void Touch(v1::Incident& incident, TimePoint now);
  absl::StatusOr<v1::Incident*> Held(const std::string& id);

  const Rules& rules_;
  const Topology& topology_;
  std::map<std::string, v1::Incident> incidents_;
  int64_t next_number_ = 1;
  // Open incidents by the (asset, fault type) of each symptom.
  std::unordered_map<Key, std::string, KeyHash> open_by_key_;
  // The open incident on a parent asset, which its children's faults join.
  std::unordered_map<std::string, std::string> open_by_parent_;
  // Open single-asset incidents of each parent's children (topology candidates).
  std::unordered_map<std::string, std::set<std::string>> open_children_;
  // Recently resolved incidents by key (reopened instead of a new one).
  std::unordered_map<Key, std::string, KeyHash> resolved_by_key_;
  // Requests already linked, so a replayed or updated request links once.
  std::unordered_map<std::string, std::string> request_incident_;
};

bool IsOpen(const v1::Incident& incident);

}  // namespace cityops::incidents
