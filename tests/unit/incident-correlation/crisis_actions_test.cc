// The crisis action runner against fake lighting control and crew dispatch:
// what each action makes, that a retry makes nothing twice, and what undoing
// it undoes.
#include <catch2/catch.hpp>

#include <map>

#include "absl/strings/match.h"
#include "cityops/common/clock.h"
#include "crisis_actions.h"

namespace cityops::incidents {
namespace {

namespace dv1 = cityops::dispatch::v1;

class FakeEffects final : public CrisisEffects {
 public:
  std::map<std::string, lv1::Override> overrides;  // active ones
  std::vector<std::string> cancelled;
  std::map<std::string, dv1::Crew> crews;
  absl::Status lighting_down = absl::OkStatus();
  int creates = 0;
  bool lose_create_answer = false;

  absl::StatusOr<std::vector<lv1::Override>> ActiveOverrides() override {
    if (!lighting_down.ok()) return lighting_down;
    std::vector<lv1::Override> out;
    for (const auto& [id, o] : overrides) out.push_back(o);
    return out;
  }
  absl::StatusOr<lv1::Override> CreateOverride(const lv1::Override& o, const std::string& actor) override {
    if (!lighting_down.ok()) return lighting_down;
    lv1::Override made = o;
    made.set_id("ovr-" + std::to_string(++creates));
    made.set_created_by(actor);
    overrides[made.id()] = made;
    if (lose_create_answer) return absl::DeadlineExceededError("deadline exceeded");
    return made;
  }
  absl::Status CancelOverride(const std::string& id, const std::string&) override {
    if (!lighting_down.ok()) return lighting_down;
    if (overrides.erase(id) == 0) return absl::NotFoundError("no override " + id);
    cancelled.push_back(id);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<dv1::Crew>> Crews(const std::string& skill) override {
    std::vector<dv1::Crew> out;
    for (const auto& [id, c] : crews) {
      if (std::find(c.skills().begin(), c.skills().end(), skill) != c.skills().end()) out.push_back(c);
    }
    return out;
  }
  absl::StatusOr<dv1::Crew> StageCrew(const dv1::StageCrewRequest& r) override {
    dv1::Crew& c = crews.at(r.crew_id());
    if (!c.staging().crisis_id().empty() && c.staging().crisis_id() != r.crisis_id()) {
      return absl::FailedPreconditionError("held by another crisis");
    }
    c.mutable_staging()->set_crisis_id(r.crisis_id());
    c.mutable_staging()->set_reason(r.reason());
    if (r.has_position()) *c.mutable_staging()->mutable_position() = r.position();
    if (r.call_in() && c.status() == dv1::CREW_STATUS_OFF_DUTY) {
      c.set_status(dv1::CREW_STATUS_AVAILABLE);
      c.mutable_staging()->set_called_in(true);
    }
    return c;
  }
  absl::StatusOr<dv1::Crew> ReleaseCrew(const dv1::ReleaseCrewRequest& r) override {
    auto it = crews.find(r.crew_id());
    if (it == crews.end()) return absl::NotFoundError("no crew");
    dv1::Crew& c = it->second;
    if (c.staging().crisis_id() == r.crisis_id()) {
      if (c.staging().called_in()) c.set_status(dv1::CREW_STATUS_OFF_DUTY);
      c.clear_staging();
    }
    return c;
  }

  void AddCrew(const std::string& id, const std::string& skill, dv1::CrewStatus status, double lat, double lon) {
    dv1::Crew c;
    c.set_id(id);
    c.add_skills(skill);
    c.set_status(status);
    c.mutable_position()->set_lat(lat);
    c.mutable_position()->set_lon(lon);
    crews[id] = c;
  }
};

const crisis::Playbook& Snow() {
  static const crisis::Playbooks playbooks = [] {
    auto p = crisis::Playbooks::FromJson(crisis::DefaultPlaybooksJson(), "playbooks.json");
    if (!p.ok()) throw std::runtime_error(std::string(p.status().message()));
    return *p;
  }();
  return *playbooks.Find("snow");
}

ActionWork Work(const std::string& action_id, v1::CrisisActionKind kind, int district, v1::CrisisActionState state,
                const std::string& target = {}) {
  ActionWork w;
  w.crisis.set_id("CRI-00000001");
  w.crisis.set_title("Snow and ice: district 3");
  w.crisis.set_declared_by("sam.supervisor");
  w.crisis.set_status(v1::CRISIS_STATUS_ACTIVE);
  w.action.set_id(action_id);
  w.action.set_kind(kind);
  w.action.set_district(district);
  w.action.set_state(state);
  w.action.set_target(target);
  w.action.set_level(100);
  w.action.set_skill("roads");
  w.action.set_description("test action");
  w.playbook = &Snow();
  return w;
}

struct Rig {
  FakeEffects effects;
  common::FakeClock clock{std::chrono::system_clock::from_time_t(1795000000)};
  CrisisActionRunner runner{effects, common::DistrictMap::Dijon(), clock};
  std::set<std::string> taken;
};

TEST_CASE("A lighting action makes one crisis override on the district's main roads, even when retried",
          "[crisis][runner]") {
  Rig rig;
  const ActionWork w =
      Work("lighting:d3", v1::CRISIS_ACTION_KIND_LIGHTING_OVERRIDE, 3, v1::CRISIS_ACTION_STATE_PENDING);
  const ActionOutcome first = rig.runner.Run(w, rig.taken);
  REQUIRE(first.kind == ActionOutcome::Kind::kApplied);
  REQUIRE(rig.effects.overrides.count(first.target) == 1);
  const lv1::Override& o = rig.effects.overrides.at(first.target);
  CHECK(o.scope().kind() == lv1::SCOPE_KIND_ROAD_CLASS);
  CHECK(o.scope().id() == "main");
  CHECK(o.scope().district() == 3);
  CHECK(o.level() == 100);
  CHECK(o.source() == lv1::OVERRIDE_SOURCE_CRISIS);
  CHECK(absl::StrContains(o.created_by(), "sam.supervisor"));
  CHECK(o.expiry().seconds() - o.start().seconds() == 72 * 3600);

  // The same action again (its result was not recorded yet): the same override.
  const ActionOutcome second = rig.runner.Run(w, rig.taken);
  CHECK(second.kind == ActionOutcome::Kind::kApplied);
  CHECK(second.target == first.target);
  CHECK(rig.effects.creates == 1);
}

TEST_CASE("An override whose answer was lost is found by its tag and undone", "[crisis][runner]") {
  Rig rig;
  rig.effects.lose_create_answer = true;
  const ActionWork w =
      Work("lighting:d3", v1::CRISIS_ACTION_KIND_LIGHTING_OVERRIDE, 3, v1::CRISIS_ACTION_STATE_PENDING);
  const ActionOutcome lost = rig.runner.Run(w, rig.taken);
  CHECK(lost.kind == ActionOutcome::Kind::kFailed);
  CHECK(absl::StrContains(lost.detail, "lighting-control"));
  REQUIRE(rig.effects.overrides.size() == 1);  // made all the same

  // Reverting with no target still finds it.
  const ActionWork undo =
      Work("lighting:d3", v1::CRISIS_ACTION_KIND_LIGHTING_OVERRIDE, 3, v1::CRISIS_ACTION_STATE_REVERTING);
  CHECK(rig.runner.Run(undo, rig.taken).kind == ActionOutcome::Kind::kReverted);
  CHECK(rig.effects.overrides.empty());
}

TEST_CASE("Undoing lighting cancels the override - one gone already counts as undone", "[crisis][runner]") {
  Rig rig;
  const ActionWork w =
      Work("lighting:d3", v1::CRISIS_ACTION_KIND_LIGHTING_OVERRIDE, 3, v1::CRISIS_ACTION_STATE_PENDING);
  const std::string id = rig.runner.Run(w, rig.taken).target;
  // An operator's override on the same roads is not the crisis's to cancel.
  lv1::Override other;
  other.set_id("ovr-operator");
  other.set_reason("works on the boulevard");
  rig.effects.overrides[other.id()] = other;

  const ActionWork undo =
      Work("lighting:d3", v1::CRISIS_ACTION_KIND_LIGHTING_OVERRIDE, 3, v1::CRISIS_ACTION_STATE_REVERTING, id);
  CHECK(rig.runner.Run(undo, rig.taken).kind == ActionOutcome::Kind::kReverted);
  CHECK(rig.effects.cancelled == std::vector<std::string>{id});
  CHECK(rig.effects.overrides.count("ovr-operator") == 1);
  CHECK(rig.runner.Run(undo, rig.taken).kind == ActionOutcome::Kind::kReverted);  // again: nothing left

  rig.effects.lighting_down = absl::UnavailableError("connection refused");
  const ActionOutcome down = rig.runner.Run(undo, rig.taken);
  CHECK(down.kind == ActionOutcome::Kind::kFailed);
  CHECK(absl::StrContains(down.detail, "connection refused"));
}

TEST_CASE("Preposition stages the nearest available crew with the skill, once", "[crisis][runner]") {
  Rig rig;
  const common::LatLon point = crisis::StagingPoint(common::DistrictMap::Dijon(), 3);
  rig.effects.AddCrew("near", "roads", dv1::CREW_STATUS_AVAILABLE, point.lat + 0.002, point.lon);
  rig.effects.AddCrew("far", "roads", dv1::CREW_STATUS_AVAILABLE, point.lat + 0.05, point.lon);
  rig.effects.AddCrew("busy", "roads", dv1::CREW_STATUS_EN_ROUTE, point.lat, point.lon);
  rig.effects.AddCrew("lamps", "street_lighting", dv1::CREW_STATUS_AVAILABLE, point.lat, point.lon);

  const ActionWork w =
      Work("preposition:roads:d3:1", v1::CRISIS_ACTION_KIND_PREPOSITION_CREW, 3, v1::CRISIS_ACTION_STATE_PENDING);
  const ActionOutcome staged = rig.runner.Run(w, rig.taken);
  REQUIRE(staged.kind == ActionOutcome::Kind::kApplied);
  CHECK(staged.target == "near");
  const dv1::Crew& near = rig.effects.crews.at("near");
  CHECK(near.staging().crisis_id() == "CRI-00000001");
  CHECK(near.staging().position().lat() == Approx(point.lat));
  CHECK(rig.runner.Run(w, rig.taken).target == "near");  // a retry finds it

  // A second slot takes the next crew; with none left it waits.
  const ActionWork second =
      Work("preposition:roads:d3:2", v1::CRISIS_ACTION_KIND_PREPOSITION_CREW, 3, v1::CRISIS_ACTION_STATE_PENDING);
  CHECK(rig.runner.Run(second, rig.taken).target == "far");
  const ActionWork third =
      Work("preposition:roads:d3:3", v1::CRISIS_ACTION_KIND_PREPOSITION_CREW, 3, v1::CRISIS_ACTION_STATE_PENDING);
  const ActionOutcome waiting = rig.runner.Run(third, rig.taken);
  CHECK(waiting.kind == ActionOutcome::Kind::kWaiting);
  CHECK(absl::StrContains(waiting.detail, "roads"));

  // Undo releases the crew.
  const ActionWork undo = Work("preposition:roads:d3:1", v1::CRISIS_ACTION_KIND_PREPOSITION_CREW, 3,
                               v1::CRISIS_ACTION_STATE_REVERTING, "near");
  CHECK(rig.runner.Run(undo, rig.taken).kind == ActionOutcome::Kind::kReverted);
  CHECK(rig.effects.crews.at("near").staging().crisis_id().empty());
  CHECK(rig.effects.crews.at("far").staging().crisis_id() == "CRI-00000001");
}

TEST_CASE("Standby calls in an off-duty crew, and undoing sends it off duty again", "[crisis][runner]") {
  Rig rig;
  rig.effects.AddCrew("home", "roads", dv1::CREW_STATUS_OFF_DUTY, 47.32, 5.04);
  rig.effects.AddCrew("working", "roads", dv1::CREW_STATUS_AVAILABLE, 47.32, 5.04);
  const ActionWork w = Work("standby:roads:1", v1::CRISIS_ACTION_KIND_STANDBY_CREW, 0, v1::CRISIS_ACTION_STATE_PENDING);
  const ActionOutcome called = rig.runner.Run(w, rig.taken);
  REQUIRE(called.kind == ActionOutcome::Kind::kApplied);
  CHECK(called.target == "home");
  CHECK(rig.effects.crews.at("home").status() == dv1::CREW_STATUS_AVAILABLE);
  CHECK_FALSE(rig.effects.crews.at("home").staging().has_position());

  const ActionWork second =
      Work("standby:roads:2", v1::CRISIS_ACTION_KIND_STANDBY_CREW, 0, v1::CRISIS_ACTION_STATE_PENDING);
  CHECK(rig.runner.Run(second, rig.taken).kind == ActionOutcome::Kind::kSkipped);

  const ActionWork undo =
      Work("standby:roads:1", v1::CRISIS_ACTION_KIND_STANDBY_CREW, 0, v1::CRISIS_ACTION_STATE_REVERTING, "home");
  CHECK(rig.runner.Run(undo, rig.taken).kind == ActionOutcome::Kind::kReverted);
  CHECK(rig.effects.crews.at("home").status() == dv1::CREW_STATUS_OFF_DUTY);
  CHECK(rig.effects.crews.at("working").status() == dv1::CREW_STATUS_AVAILABLE);
}

}  // namespace
}  // namespace cityops::incidents
