#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cityops/common/clock.h"
#include "cityops/common/districts.h"
#include "cityops/incidents/v1/crisis.pb.h"
#include "domain/correlator.h"
#include "domain/crisis.h"

namespace cityops::incidents {

// One change to one crisis, to persist and publish (cityops.crises.v1).
struct CrisisChangeRecord {
  std::string crisis_id;
  v1::CrisisChange change = v1::CRISIS_CHANGE_UNSPECIFIED;
  std::string actor;
};

class CrisisChanges {
 public:
  // A later UPDATED of a crisis already recorded in this batch is folded into it.
  void Add(const std::string& crisis_id, v1::CrisisChange change, const std::string& actor = {});
  const std::vector<CrisisChangeRecord>& records() const { return records_; }
  std::vector<std::string> TouchedIds() const;
  bool empty() const { return records_.empty(); }

 private:
  std::vector<CrisisChangeRecord> records_;
};

// What the action runner (crisis_actions.h) reports for one action.
struct ActionOutcome {
  enum class Kind {
    kApplied,   // done in the other service; `target` says what it made
    kReverted,  // undone
    kWaiting,   // cannot be done yet (no crew free...): retried, `detail` says why
    kFailed,    // the other service failed or is unreachable: retried
    kSkipped,   // nothing to do (no off-duty crew to call in...)
  };
  Kind kind = Kind::kFailed;
  std::string target;
  std::string detail;
};

// An action to run, with the crisis it belongs to (copies: the runner works
// outside the desk's lock).
struct ActionWork {
  v1::Crisis crisis;
  v1::CrisisAction action;
  const crisis::Playbook* playbook = nullptr;
};

// Crisis mode's state machine, held by the incident desk beside the
// correlator and changed under the same lock, in the same transactions: a
// crisis is proposed (by its playbook's trigger or a person), declared by a
// supervisor over districts, changed, and ended or dismissed. While active it
// groups the affected districts' incidents under its crisis incident and
// raises their priority; its other actions (lighting, crews) are run by the
// action runner, which reports back through RecordAction. Ending it reverts
// every priority it raised and every action it applied, and nothing else.
class CrisisBook {
 public:
  // Proposals are not made again for a playbook whose crisis covering the
  // same districts was dismissed or ended less than this ago.
  static constexpr std::chrono::hours kQuietAfterSettled{1};
  static constexpr int kTimelineLimit = 1000;
  static constexpr const char* kPlatformActor = "platform";

  CrisisBook(const crisis::Playbooks& playbooks, const common::DistrictMap& districts);

  // Replaces the state: the crises that can still change, and the next number.
  void Load(std::vector<v1::Crisis> crises, int64_t next_number);
  // Brings in a crisis read from storage (a command on an old one). No-op when held.
  void Adopt(v1::Crisis crisis);

  absl::StatusOr<std::string> Propose(const std::string& playbook, const std::vector<int>& districts,
                                      const std::string& actor, const std::string& reason, TimePoint now,
                                      CrisisChanges& out);
  absl::StatusOr<std::string> Declare(const v1::DeclareCrisisRequest& request, TimePoint now, Correlator& correlator,
                                      Changes& changes, CrisisChanges& out);
  absl::Status Dismiss(const std::string& id, const std::string& actor, const std::string& note, TimePoint now,
                       CrisisChanges& out);
  absl::Status ChangeScope(const std::string& id, const std::vector<int>& districts, const std::string& actor,
                           const std::string& note, TimePoint now, Correlator& correlator, Changes& changes,
                           CrisisChanges& out);
  absl::Status End(const std::string& id, const std::string& actor, const std::string& note, TimePoint now,
                   Correlator& correlator, Changes& changes, CrisisChanges& out);

  // After incidents changed: those open in an active crisis's districts join
  // it, and get the priority its playbook raises them to.
  void OnIncidents(Correlator& correlator, const std::vector<std::string>& incident_ids, TimePoint now,
                   Changes& changes, CrisisChanges& out);
  // The playbooks' triggers on the open incidents: new proposals, or grown ones.
  void EvaluateTriggers(const Correlator& correlator, TimePoint now, CrisisChanges& out);

  // Actions to apply (pending, of active crises) or to revert.
  std::vector<ActionWork> ActionsToRun() const;
  // NOT_FOUND when the crisis or the action is not held.
  absl::Status RecordAction(const std::string& crisis_id, const std::string& action_id, const ActionOutcome& outcome,
                            TimePoint now, CrisisChanges& out);

  // Drops ended and dismissed crises with nothing left to revert, settled
  // more than kQuietAfterSettled ago.
  void Forget(TimePoint now);

  const v1::Crisis* Find(const std::string& id) const;
  std::vector<const v1::Crisis*> All() const;
  bool AnyActive() const;
  const crisis::Playbooks& playbooks() const { return playbooks_; }
  int64_t next_number() const { return next_number_; }

 private:
  absl::StatusOr<std::vector<int>> CheckDistricts(const std::vector<int>& districts) const;
  absl::StatusOr<v1::Crisis*> Held(const std::string& id);
  v1::Crisis* Live(const std::string& playbook, v1::CrisisStatus status);
  v1::Crisis& NewCrisis(const crisis::Playbook& playbook, TimePoint now);
  void AddEntry(v1::Crisis& crisis, TimePoint now, v1::CrisisTimelineKind kind, const std::string& text,
                const std::string& actor = {}, const std::string& incident_id = {}, const std::string& action_id = {});
  void AddActions(v1::Crisis& crisis, const std::vector<crisis::PlannedAction>& planned, TimePoint now);
  // Marks an action to be undone (or done with, if it never made anything).
  void StartRevert(v1::CrisisAction& action, TimePoint now);
  // Groups and raises the open incidents of `districts` held by the correlator.
  void GroupDistricts(v1::Crisis& crisis, const std::vector<int>& districts, Correlator& correlator, TimePoint now,
                      Changes& changes);
  void GroupOne(v1::Crisis& crisis, const crisis::Playbook& playbook, const v1::Incident& incident,
                Correlator& correlator, TimePoint now, Changes& changes);
  // Gives back the priorities the crisis raised, in `districts` (all when empty).
  int RestorePriorities(const v1::Crisis& crisis, const std::vector<int>& districts, Correlator& correlator,
                        TimePoint now, Changes& changes);
  void Touch(v1::Crisis& crisis, TimePoint now);
  bool RecentlySettledCovering(const crisis::Proposal& proposal, TimePoint now) const;

  const crisis::Playbooks& playbooks_;
  const common::DistrictMap& districts_;
  std::map<std::string, v1::Crisis> crises_;
  int64_t next_number_ = 1;
};

std::string CrisisStatusName(v1::CrisisStatus status);
// "3, 5 and 9".
std::string DistrictList(const std::vector<int>& districts);

}  // namespace cityops::incidents
