#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "absl/status/statusor.h"
#include "cityops/common/clock.h"
#include "cityops/common/districts.h"
#include "cityops/common/periodic.h"
#include "cityops/dispatch/v1/crew_dispatch.grpc.pb.h"
#include "cityops/lighting/v1/lighting_control.grpc.pb.h"
#include "domain/crisis_book.h"
#include "incident_desk.h"

namespace cityops::incidents {

namespace lv1 = cityops::lighting::v1;

// What crisis actions do in other services: lighting control's overrides
// and crew dispatch's staging. An interface, so that the runner is tested
// against a fake.
class CrisisEffects {
 public:
  virtual ~CrisisEffects() = default;
  virtual absl::StatusOr<std::vector<lv1::Override>> ActiveOverrides() = 0;
  virtual absl::StatusOr<lv1::Override> CreateOverride(const lv1::Override& override, const std::string& actor) = 0;
  virtual absl::Status CancelOverride(const std::string& id, const std::string& actor) = 0;
  // Every crew with the skill.
  virtual absl::StatusOr<std::vector<dispatch::v1::Crew>> Crews(const std::string& skill) = 0;
  virtual absl::StatusOr<dispatch::v1::Crew> StageCrew(const dispatch::v1::StageCrewRequest& request) = 0;
  virtual absl::StatusOr<dispatch::v1::Crew> ReleaseCrew(const dispatch::v1::ReleaseCrewRequest& request) = 0;
};

// The gRPC implementation, each call with a deadline.
class GrpcCrisisEffects final : public CrisisEffects {
 public:
  GrpcCrisisEffects(const std::shared_ptr<grpc::Channel>& lighting, const std::shared_ptr<grpc::Channel>& dispatch,
                    std::chrono::milliseconds deadline = std::chrono::seconds(5));
  absl::StatusOr<std::vector<lv1::Override>> ActiveOverrides() override;
  absl::StatusOr<lv1::Override> CreateOverride(const lv1::Override& override, const std::string& actor) override;
  absl::Status CancelOverride(const std::string& id, const std::string& actor) override;
  absl::StatusOr<std::vector<dispatch::v1::Crew>> Crews(const std::string& skill) override;
  absl::StatusOr<dispatch::v1::Crew> StageCrew(const dispatch::v1::StageCrewRequest& request) override;
  absl::StatusOr<dispatch::v1::Crew> ReleaseCrew(const dispatch::v1::ReleaseCrewRequest& request) override;

 private:
  std::unique_ptr<lv1::LightingControl::Stub> lighting_;
  std::unique_ptr<dispatch::v1::CrewDispatch::Stub> dispatch_;
  std::chrono::milliseconds deadline_;
};

// The tag an action leaves in what it makes (an override's reason, a crew's
// staging reason), so that a retry finds what an earlier try made even if
// its answer was lost: "[CRI-00000001/lighting:d3]".
std::string ActionTag(const std::string& crisis_id, const std::string& action_id);

// Applies or undoes one crisis action through the effects and says how it
// went. Idempotent: running an action twice makes one override, stages one crew.
class CrisisActionRunner {
 public:
  CrisisActionRunner(CrisisEffects& effects, const common::DistrictMap& districts, common::Clock& clock)
      : effects_(effects), districts_(districts), clock_(clock) {}

  // `taken`: crews staged by this round already (not chosen twice).
  ActionOutcome Run(const ActionWork& work, std::set<std::string>& taken);

 private:
  ActionOutcome ApplyLighting(const ActionWork& work);
  ActionOutcome RevertLighting(const ActionWork& work);
  ActionOutcome ApplyCrew(const ActionWork& work, std::set<std::string>& taken);
  ActionOutcome RevertCrew(const ActionWork& work);

  CrisisEffects& effects_;
  const common::DistrictMap& districts_;
  common::Clock& clock_;
};

// Runs the desk's outstanding crisis actions every interval on its own thread.
class CrisisActionLoop {
 public:
  CrisisActionLoop(IncidentDesk& desk, CrisisActionRunner& runner, prometheus::Registry& metrics);
  void Start(std::chrono::milliseconds interval);
  void Stop() { task_.Stop(); }
  // One round (also what the thread runs).
  void RunOnce();

 private:
  IncidentDesk& desk_;
  CrisisActionRunner& runner_;
  prometheus::Family<prometheus::Counter>& runs_;
  common::PeriodicTask task_;
};

}  // namespace cityops::incidents
