#include "crisis_actions.h"

#include <spdlog/spdlog.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cityops/common/proto_time.h"
#include "cityops/common/status.h"

namespace cityops::incidents {
namespace {

namespace dv1 = cityops::dispatch::v1;
using Kind = ActionOutcome::Kind;

ActionOutcome MakeOutcome(Kind kind, std::string target = {}, std::string detail = {}) {
  return {kind, std::move(target), std::move(detail)};
}

ActionOutcome Failed(std::string_view service, const absl::Status& status) {
  return MakeOutcome(Kind::kFailed, {}, absl::StrCat(std::string(service), ": ", status.message()));
}

// Who the other services record as having asked.
std::string Actor(const v1::Crisis& crisis) {
  const std::string& who = crisis.ended_by().empty() ? crisis.declared_by() : crisis.ended_by();
  return absl::StrCat(who.empty() ? std::string("platform") : who, " (crisis ", crisis.id(), ")");
}

bool Applying(const ActionWork& work) { return work.action.state() == v1::CRISIS_ACTION_STATE_PENDING; }

std::unique_ptr<grpc::ClientContext> Context(std::chrono::milliseconds deadline) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + deadline);
  return context;
}

}  // namespace

std::string ActionTag(const std::string& crisis_id, const std::string& action_id) {
  return absl::StrCat("[", crisis_id, "/", action_id, "]");
}

// ---------------------------------------------------------------- gRPC

GrpcCrisisEffects::GrpcCrisisEffects(const std::shared_ptr<grpc::Channel>& lighting,
                                     const std::shared_ptr<grpc::Channel>& dispatch, std::chrono::milliseconds deadline)
    : lighting_(lv1::LightingControl::NewStub(lighting)),
      dispatch_(dv1::CrewDispatch::NewStub(dispatch)),
      deadline_(deadline) {}

absl::StatusOr<std::vector<lv1::Override>> GrpcCrisisEffects::ActiveOverrides() {
  lv1::ListActiveOverridesResponse response;
  auto context = Context(deadline_);
  const grpc::Status s = lighting_->ListActiveOverrides(context.get(), {}, &response);
  if (!s.ok()) return common::FromGrpcStatus(s);
  return std::vector<lv1::Override>(response.overrides().begin(), response.overrides().end());
}

absl::StatusOr<lv1::Override> GrpcCrisisEffects::CreateOverride(const lv1::Override& override,
                                                                const std::string& actor) {
  lv1::CreateOverrideRequest request;
  *request.mutable_override() = override;
  request.set_actor(actor);
  lv1::Override response;
  auto context = Context(deadline_);
  const grpc::Status s = lighting_->CreateOverride(context.get(), request, &response);
  if (!s.ok()) return common::FromGrpcStatus(s);
  return response;
}

absl::Status GrpcCrisisEffects::CancelOverride(const std::string& id, const std::string& actor) {
  lv1::CancelOverrideRequest request;
  request.set_id(id);
  request.set_actor(actor);
  lv1::Override response;
  auto context = Context(deadline_);
  return common::FromGrpcStatus(lighting_->CancelOverride(context.get(), request, &response));
}

absl::StatusOr<std::vector<dv1::Crew>> GrpcCrisisEffects::Crews(const std::string& skill) {
  dv1::ListCrewsRequest request;
  request.set_skill(skill);
  dv1::ListCrewsResponse response;
  auto context = Context(deadline_);
  const grpc::Status s = dispatch_->ListCrews(context.get(), request, &response);
  if (!s.ok()) return common::FromGrpcStatus(s);
  return std::vector<dv1::Crew>(response.crews().begin(), response.crews().end());
}

absl::StatusOr<dv1::Crew> GrpcCrisisEffects::StageCrew(const dv1::StageCrewRequest& request) {
  dv1::Crew response;
  auto context = Context(deadline_);
  const grpc::Status s = dispatch_->StageCrew(context.get(), request, &response);
  if (!s.ok()) return common::FromGrpcStatus(s);
  return response;
}

absl::StatusOr<dv1::Crew> GrpcCrisisEffects::ReleaseCrew(const dv1::ReleaseCrewRequest& request) {
  dv1::Crew response;
  auto context = Context(deadline_);
  const grpc::Status s = dispatch_->ReleaseCrew(context.get(), request, &response);
  if (!s.ok()) return common::FromGrpcStatus(s);
  return response;
}

// ---------------------------------------------------------------- runner

ActionOutcome CrisisActionRunner::Run(const ActionWork& work, std::set<std::string>& taken) {
  switch (work.action.kind()) {
    case v1::CRISIS_ACTION_KIND_LIGHTING_OVERRIDE:
      return Applying(work) ? ApplyLighting(work) : RevertLighting(work);
    case v1::CRISIS_ACTION_KIND_PREPOSITION_CREW:
    case v1::CRISIS_ACTION_KIND_STANDBY_CREW:
      return Applying(work) ? ApplyCrew(work, taken) : RevertCrew(work);
    default:
      // Priorities are applied and undone by the crisis book itself.
      return MakeOutcome(Applying(work) ? Kind::kApplied : Kind::kReverted);
  }
}

ActionOutcome CrisisActionRunner::ApplyLighting(const ActionWork& work) {
  const std::string tag = ActionTag(work.crisis.id(), work.action.id());
  auto active = effects_.ActiveOverrides();
  if (!active.ok()) return Failed("lighting-control", active.status());
  for (const auto& o : *active) {
    if (absl::StrContains(o.reason(), tag)) return MakeOutcome(Kind::kApplied, o.id());
  }
  if (work.playbook == nullptr || !work.playbook->lighting.has_value()) {
    return MakeOutcome(Kind::kSkipped, {}, "the playbook has no lighting action any more");
  }
  const auto now = clock_.Now();
  lv1::Override o;
  o.mutable_scope()->set_kind(lv1::SCOPE_KIND_ROAD_CLASS);
  o.mutable_scope()->set_id(work.playbook->lighting->road_class);
  o.mutable_scope()->set_district(work.action.district());
  o.set_level(work.action.level());
  o.set_reason(absl::StrCat(work.crisis.title(), ": ", work.action.description(), " ", tag));
  *o.mutable_start() = common::ToProtoTime(now);
  *o.mutable_expiry() = common::ToProtoTime(now + work.playbook->override_expiry);
  o.set_source(lv1::OVERRIDE_SOURCE_CRISIS);
  auto made = effects_.CreateOverride(o, Actor(work.crisis));
  if (!made.ok()) return Failed("lighting-control", made.status());
  return MakeOutcome(Kind::kApplied, made->id());
}

ActionOutcome CrisisActionRunner::RevertLighting(const ActionWork& work) {
  const std::string tag = ActionTag(work.crisis.id(), work.action.id());
  const std::string actor = Actor(work.crisis);
  auto cancel = [&](const std::string& id) -> absl::Status {
    absl::Status s = effects_.CancelOverride(id, actor);
    // Gone already (cancelled, expired): nothing left to undo.
    if (s.ok() || absl::IsNotFound(s) || absl::IsFailedPrecondition(s)) return absl::OkStatus();
    return s;
  };
  if (!work.action.target().empty()) {
    if (auto s = cancel(work.action.target()); !s.ok()) return Failed("lighting-control", s);
  }
  auto active = effects_.ActiveOverrides();
  if (!active.ok()) return Failed("lighting-control", active.status());
  for (const auto& o : *active) {
    if (!absl::StrContains(o.reason(), tag)) continue;
    if (auto s = cancel(o.id()); !s.ok()) return Failed("lighting-control", s);
  }
  return MakeOutcome(Kind::kReverted, work.action.target());
}

ActionOutcome CrisisActionRunner::ApplyCrew(const ActionWork& work, std::set<std::string>& taken) {
  const std::string tag = ActionTag(work.crisis.id(), work.action.id());
  const bool standby = work.action.kind() == v1::CRISIS_ACTION_KIND_STANDBY_CREW;
  auto crews = effects_.Crews(work.action.skill());
  if (!crews.ok()) return Failed("crew-dispatch", crews.status());
  std::vector<crisis::CrewView> views;
  for (const auto& c : *crews) {
    if (c.staging().crisis_id() == work.crisis.id() && absl::StrContains(c.staging().reason(), tag)) {
      taken.insert(c.id());
      return MakeOutcome(Kind::kApplied, c.id());  // staged by an earlier try
    }
    views.push_back(crisis::FromProto(c));
  }
  // Crews other actions of this crisis hold or are about to.
  std::set<std::string> busy = taken;
  for (const auto& a : work.crisis.actions()) {
    if (!a.target().empty() && a.id() != work.action.id()) busy.insert(a.target());
  }
  std::vector<std::string> chosen;
  common::LatLon point{};
  if (standby) {
    chosen = crisis::ChooseCrewsToCallIn(views, work.action.skill(), 1, busy);
    if (chosen.empty()) {
      return MakeOutcome(Kind::kSkipped, {}, absl::StrCat("no off-duty ", work.action.skill(), " crew to call in"));
    }
  } else {
    point = crisis::StagingPoint(districts_, work.action.district());
    chosen = crisis::ChooseCrewsToStage(views, work.action.skill(), point, 1, busy);
    if (chosen.empty()) {
      return MakeOutcome(Kind::kWaiting, {}, absl::StrCat("waiting for an available ", work.action.skill(), " crew"));
    }
  }
  dv1::StageCrewRequest request;
  request.set_crew_id(chosen.front());
  request.set_crisis_id(work.crisis.id());
  request.set_reason(absl::StrCat(work.crisis.title(), ": ", work.action.description(), " ", tag));
  if (!standby) {
    request.mutable_position()->set_lat(point.lat);
    request.mutable_position()->set_lon(point.lon);
  }
  request.set_call_in(standby);
  request.set_actor(Actor(work.crisis));
  auto staged = effects_.StageCrew(request);
  if (absl::IsFailedPrecondition(staged.status())) {
    // Taken by an order or another crisis meanwhile: another crew next round.
    return MakeOutcome(Kind::kWaiting, {}, absl::StrCat("crew-dispatch: ", staged.status().message()));
  }
  if (!staged.ok()) return Failed("crew-dispatch", staged.status());
  taken.insert(staged->id());
  return MakeOutcome(Kind::kApplied, staged->id());
}

ActionOutcome CrisisActionRunner::RevertCrew(const ActionWork& work) {
  std::string crew_id = work.action.target();
  if (crew_id.empty()) {
    // Perhaps staged by a try whose answer was lost: look for its tag.
    const std::string tag = ActionTag(work.crisis.id(), work.action.id());
    auto crews = effects_.Crews(work.action.skill());
    if (!crews.ok()) return Failed("crew-dispatch", crews.status());
    for (const auto& c : *crews) {
      if (c.staging().crisis_id() == work.crisis.id() && absl::StrContains(c.staging().reason(), tag)) {
        crew_id = c.id();
      }
    }
    if (crew_id.empty()) return MakeOutcome(Kind::kReverted);
  }
  dv1::ReleaseCrewRequest request;
  request.set_crew_id(crew_id);
  request.set_crisis_id(work.crisis.id());
  request.set_actor(Actor(work.crisis));
  auto released = effects_.ReleaseCrew(request);
  if (!released.ok() && !absl::IsNotFound(released.status())) return Failed("crew-dispatch", released.status());
  return MakeOutcome(Kind::kReverted, crew_id);
}

// ---------------------------------------------------------------- loop

CrisisActionLoop::CrisisActionLoop(IncidentDesk& desk, CrisisActionRunner& runner, prometheus::Registry& metrics)
    : desk_(desk),
      runner_(runner),
      runs_(prometheus::BuildCounter()
                .Name("cityops_incident_correlation_crisis_action_runs_total")
                .Help("Crisis actions run against other services, by kind and outcome")
                .Register(metrics)) {}

void CrisisActionLoop::Start(std::chrono::milliseconds interval) {
  task_.Start(interval, [this] { RunOnce(); });
}

void CrisisActionLoop::RunOnce() {
  const std::vector<ActionWork> work = desk_.CrisisActionsToRun();
  if (work.empty()) return;
  std::set<std::string> taken;
  std::vector<IncidentDesk::ActionResult> results;
  for (const auto& w : work) {
    ActionOutcome outcome = runner_.Run(w, taken);
    static constexpr const char* kOutcomes[] = {"applied", "reverted", "waiting", "failed", "skipped"};
    runs_
        .Add(
            {{"kind", crisis::ActionKindName(w.action.kind())}, {"outcome", kOutcomes[static_cast<int>(outcome.kind)]}})
        .Increment();
    if (outcome.kind == ActionOutcome::Kind::kFailed) {
      spdlog::warn("crisis {} action {}: {}", w.crisis.id(), w.action.id(), outcome.detail);
    }
    results.push_back({w.crisis.id(), w.action.id(), std::move(outcome)});
  }
  if (auto s = desk_.RecordActionResults(results); !s.ok()) {
    spdlog::warn("recording crisis action results: {}", s.ToString());
  }
}

}  // namespace cityops::incidents
