#include "scenario.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "random.h"

namespace cityops::sim {

namespace v1 = telemetry::v1;

namespace {

// Mixed into the city's seed to pick a scenario's target, so that the choice
// does not shift when generation changes its draws.
constexpr uint64_t kTargetSalt = 0x9e3779b97f4a7c15ULL;

absl::StatusOr<size_t> PickCabinet(const City& city, const std::string& target) {
  if (!target.empty()) {
    const int64_t index = city.IndexOf(target);
    if (index < 0 || city.at(static_cast<size_t>(index)).kind != v1::ASSET_KIND_CONTROL_CABINET) {
      return absl::InvalidArgumentError(
          absl::StrCat("fault-asset: '", target, "' is not a control cabinet of the city"));
    }
    return static_cast<size_t>(index);
  }
  std::vector<size_t> cabinets;
  for (size_t i = 0; i < city.size(); ++i) {
    if (city.at(i).kind == v1::ASSET_KIND_CONTROL_CABINET) cabinets.push_back(i);
  }
  if (cabinets.empty()) return absl::FailedPreconditionError("the city has no control cabinet");
  SimRng rng(city.params().seed ^ kTargetSalt);
  return cabinets[static_cast<size_t>(rng.UniformInt(0, static_cast<int64_t>(cabinets.size()) - 1))];
}

}  // namespace

std::vector<std::string> ScenarioNames() { return {kScenarioNone, kScenarioCabinetPowerLoss}; }

absl::StatusOr<Scenario> MakeScenario(const City& city, const ScenarioParams& params) {
  if (params.fault_after.count() < 0 || params.fault_duration.count() < 0) {
    return absl::InvalidArgumentError("fault-after and fault-duration must not be negative");
  }
  Scenario scenario;
  scenario.name = params.name;
  if (params.name == kScenarioNone) return scenario;
  if (params.name == kScenarioCabinetPowerLoss) {
    auto cabinet = PickCabinet(city, params.target);
    if (!cabinet.ok()) return cabinet.status();
    const CityAsset& cab = city.at(*cabinet);
    // The cabinet's modem, on its backup battery, reports the loss; the
    // cabinet and its light points, without mains, send nothing more.
    std::vector<size_t> affected{*cabinet};
    const auto& lights = city.ChildrenOf(cab.id);
    affected.insert(affected.end(), lights.begin(), lights.end());

    ScenarioStep loss;
    loss.at = params.fault_after;
    loss.asset_id = cab.id;
    loss.fault = v1::FAULT_TYPE_POWER_LOSS;
    loss.detail = absl::StrCat("city-sim: mains lost at cabinet ", cab.id, " (", lights.size(), " light points dark)");
    loss.affected = affected;

    ScenarioStep back = loss;
    back.at = params.fault_after + params.fault_duration;
    back.cleared = true;
    back.detail = absl::StrCat("city-sim: mains back at cabinet ", cab.id);
    scenario.steps = {std::move(loss), std::move(back)};
    return scenario;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("scenario: unknown '", params.name, "' (known: ", absl::StrJoin(ScenarioNames(), ", "), ")"));
}

}  // namespace cityops::sim
