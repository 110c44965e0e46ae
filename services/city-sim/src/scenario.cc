#include "scenario.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cityops/common/geo.h"
#include "crews.h"
#include "random.h"

namespace cityops::sim {

namespace v1 = telemetry::v1;
using std::chrono::milliseconds;

namespace {

// Mixed into the city's seed to pick a scenario's targets and place its
// calls, so that the choice does not shift when generation changes its draws.
constexpr uint64_t kTargetSalt = 0x9e3779b97f4a7c15ULL;
constexpr uint64_t kCallsSalt = 0xbf58476d1ce4e5b9ULL;
constexpr double kPi = 3.14159265358979323846;
constexpr double kDegPerRad = 180.0 / kPi;
constexpr int kPlaceTries = 64;

// FNV-1a: a stable hash of a target's name (std::hash differs between libraries).
uint64_t StableHash(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string KindName(v1::AssetKind kind) {
  std::string name = v1::AssetKind_Name(kind);
  const std::string prefix = "ASSET_KIND_";
  if (name.rfind(prefix, 0) == 0) name.erase(0, prefix.size());
  return name;
}

std::string FaultName(v1::FaultType type) {
  std::string name = v1::FaultType_Name(type);
  const std::string prefix = "FAULT_TYPE_";
  if (name.rfind(prefix, 0) == 0) name.erase(0, prefix.size());
  return name;
}

milliseconds Scaled(milliseconds simulated, double speed) {
  return milliseconds(static_cast<int64_t>(std::llround(static_cast<double>(simulated.count()) / speed)));
}

absl::Status TargetError(const ScenarioSpec& spec, const TargetSpec& target, const std::string& message) {
  return absl::InvalidArgumentError(
      absl::StrCat(spec.source, ":", target.line, ": targets.", target.name, ": ", message));
}

std::optional<double> NumericAttribute(const CityAsset& asset, const std::string& key) {
  if (key == "district") return asset.district;
  const auto it = asset.attributes.find(key);
  double value = 0;
  if (it == asset.attributes.end() || !absl::SimpleAtod(it->second, &value)) return std::nullopt;
  return value;
}

bool Matches(const City& city, const CityAsset& asset, const TargetSpec& target,
             const std::map<std::string, std::string>& crew_skill_of_vehicle) {
  if (asset.kind != target.kind) return false;
  for (const auto& [key, values] : target.where) {
    const auto it = asset.attributes.find(key);
    if (it == asset.attributes.end() || std::find(values.begin(), values.end(), it->second) == values.end()) {
      return false;
    }
  }
  if (!target.crew_skill.empty()) {
    const auto it = crew_skill_of_vehicle.find(asset.id);
    if (it == crew_skill_of_vehicle.end() || it->second != target.crew_skill) return false;
  }
  return target.min_children <= 0 || city.ChildrenOf(asset.id).size() >= static_cast<size_t>(target.min_children);
}

std::string Describe(const TargetSpec& target) {
  std::string text = KindName(target.kind);
  for (const auto& [key, values] : target.where) absl::StrAppend(&text, " with ", key, "=", absl::StrJoin(values, "|"));
  if (!target.crew_skill.empty()) absl::StrAppend(&text, " of a ", target.crew_skill, " crew");
  if (target.min_children > 0) absl::StrAppend(&text, " with at least ", target.min_children, " children");
  return text;
}

absl::StatusOr<std::vector<size_t>> Resolve(const City& city, const ScenarioSpec& spec, const TargetSpec& target,
                                            const PlanParams& params,
                                            const std::map<std::string, std::vector<size_t>>& resolved) {
  if (target.fault_asset && !params.fault_asset.empty()) {
    const int64_t index = city.IndexOf(params.fault_asset);
    if (index < 0 || city.at(static_cast<size_t>(index)).kind != target.kind) {
      return absl::InvalidArgumentError(absl::StrCat("fault-asset: '", params.fault_asset, "' is not a ",
                                                     KindName(target.kind), " of the city (scenario ", spec.name,
                                                     ", target ", target.name, ")"));
    }
    return std::vector<size_t>{static_cast<size_t>(index)};
  }
  std::map<std::string, std::string> crew_skill_of_vehicle;
  if (!target.crew_skill.empty()) {
    for (const auto& crew : PlanCrews(city)) {
      if (!crew.skills.empty()) crew_skill_of_vehicle[crew.vehicle_id] = crew.skills.front();
    }
  }
  std::vector<size_t> candidates;
  for (size_t i = 0; i < city.size(); ++i) {
    if (Matches(city, city.at(i), target, crew_skill_of_vehicle)) candidates.push_back(i);
  }
  if (candidates.empty()) return TargetError(spec, target, absl::StrCat("the city has no ", Describe(target)));

  std::vector<size_t> picked;
  switch (target.pick) {
    case PickRule::kAll:
      picked = candidates;
      break;
    case PickRule::kSeed: {
      SimRng rng(params.seed ^ kTargetSalt ^ StableHash(target.name));
      const size_t n = std::min(candidates.size(), static_cast<size_t>(std::max(target.count, 1)));
      for (size_t i = 0; i < n; ++i) {
        const auto j =
            static_cast<size_t>(rng.UniformInt(static_cast<int64_t>(i), static_cast<int64_t>(candidates.size()) - 1));
        std::swap(candidates[i], candidates[j]);
        picked.push_back(candidates[i]);
      }
      break;
    }
    case PickRule::kNearest: {
      double lat = target.near_lat.value_or(0);
      double lon = target.near_lon.value_or(0);
      if (!target.near_target.empty()) {
        const auto it = resolved.find(target.near_target);
        if (it == resolved.end() || it->second.empty()) {
          return TargetError(spec, target, absl::StrCat("near: '", target.near_target, "' is not a target before it"));
        }
        lat = city.at(it->second.front()).lat;
        lon = city.at(it->second.front()).lon;
      }
      const auto distance = [&](size_t i) { return common::DistanceMeters(lat, lon, city.at(i).lat, city.at(i).lon); };
      std::stable_sort(candidates.begin(), candidates.end(),
                       [&](size_t a, size_t b) { return distance(a) < distance(b); });
      candidates.resize(std::min(candidates.size(), static_cast<size_t>(std::max(target.count, 1))));
      picked = candidates;
      break;
    }
  }
  if (!target.order_by.empty()) {
    for (const size_t i : picked) {
      if (!NumericAttribute(city.at(i), target.order_by)) {
        return TargetError(
            spec, target,
            absl::StrCat("order_by: ", city.at(i).id, " has no numeric attribute '", target.order_by, "'"));
      }
    }
    std::stable_sort(picked.begin(), picked.end(), [&](size_t a, size_t b) {
      return *NumericAttribute(city.at(a), target.order_by) < *NumericAttribute(city.at(b), target.order_by);
    });
  }
  return picked;
}

// The point `distance_m` from (lat, lon) towards `bearing` (radians from north), to 6 decimals.
common::LatLon Offset(double lat, double lon, double distance_m, double bearing) {
  const double dlat = distance_m * std::cos(bearing) / common::kEarthRadiusMeters * kDegPerRad;
  const double dlon =
      distance_m * std::sin(bearing) / (common::kEarthRadiusMeters * std::cos(lat / kDegPerRad)) * kDegPerRad;
  return {std::round((lat + dlat) * 1e6) / 1e6, std::round((lon + dlon) * 1e6) / 1e6};
}

// A point min_m..max_m from asset `index` (inside a district) to which that
// asset is nearer than any other of its kind, by kNearestMargin: the
// farthest of the draws that qualify; the range halved when none does; the
// asset's own place at worst.
constexpr double kNearestMargin = 0.75;
common::LatLon PlaceKeepingNearest(const City& city, size_t index, double min_m, double max_m, SimRng& rng) {
  const CityAsset& asset = city.at(index);
  const common::DistrictMap& map = city.params().Districts();
  std::vector<size_t> others;
  for (size_t i = 0; i < city.size(); ++i) {
    if (i != index && city.at(i).kind == asset.kind) others.push_back(i);
  }
  for (int pass = 0; pass < 4; ++pass) {
    std::optional<common::LatLon> best;
    double best_m = -1;
    for (int i = 0; i < kPlaceTries; ++i) {
      const double d = rng.UniformReal(min_m, max_m);
      const common::LatLon q = Offset(asset.lat, asset.lon, d, rng.UniformReal(0, 2 * kPi));
      if (map.Locate(q.lat, q.lon) <= 0) continue;
      const double own = common::DistanceMeters(q.lat, q.lon, asset.lat, asset.lon);
      bool nearest = true;
      for (const size_t o : others) {
        if (own >= kNearestMargin * common::DistanceMeters(q.lat, q.lon, city.at(o).lat, city.at(o).lon)) {
          nearest = false;
          break;
        }
      }
      if (nearest && own > best_m) {
        best = q;
        best_m = own;
      }
    }
    if (best) return *best;
    min_m /= 2;
    max_m /= 2;
  }
  return {asset.lat, asset.lon};
}

}  // namespace

std::optional<double> PlannedRamp::ValueAt(milliseconds elapsed) const {
  if (elapsed < start || elapsed >= end) return std::nullopt;
  const auto lerp = [](double a, double b, milliseconds t, milliseconds t0, milliseconds t1) {
    if (t1 <= t0) return b;
    const double f = static_cast<double>((t - t0).count()) / static_cast<double>((t1 - t0).count());
    return std::round((a + (b - a) * f) * 10) / 10;
  };
  if (elapsed < up_end) return lerp(from, to, elapsed, start, up_end);
  if (elapsed < hold_end) return to;
  return lerp(to, from, elapsed, hold_end, end);
}

bool PlannedRamp::Past(double value) const {
  if (!mark) return false;
  return above ? value >= *mark : value <= *mark;
}

absl::StatusOr<Scenario> MakeScenario(const City& city, const ScenarioSpec& spec, const PlanParams& params) {
  if (!(params.speed > 0)) return absl::InvalidArgumentError("speed must be positive");
  Scenario scenario;
  scenario.name = spec.name;
  scenario.description = spec.description;
  scenario.daily_calls = spec.daily_calls;
  scenario.readings_speed = std::min(params.speed, spec.readings_speed_max.value_or(params.speed));

  for (const auto& target : spec.targets) {
    auto assets = Resolve(city, spec, target, params, scenario.resolved);
    if (!assets.ok()) return assets.status();
    scenario.resolved[target.name] = std::move(*assets);
  }

  const common::DistrictMap& map = city.params().Districts();
  milliseconds previous{0};
  milliseconds last{0};
  size_t fault_id = 0;
  for (size_t s = 0; s < spec.steps.size(); ++s) {
    const StepSpec& step = spec.steps[s];
    const milliseconds at = std::max(Scaled(step.at, params.speed), previous + step.min_wall_gap);
    previous = at;
    last = std::max(last, at);
    const auto found = scenario.resolved.find(step.target);
    if (found == scenario.resolved.end()) {
      return absl::InvalidArgumentError(absl::StrCat(spec.source, ":", step.line, ": steps[", s, "].target: '",
                                                     step.target, "' is not a target of the scenario"));
    }
    const std::vector<size_t>& assets = found->second;
    std::string say = step.say;

    switch (step.action) {
      case StepAction::kFault: {
        const FaultSpec& f = step.fault;
        for (const size_t index : assets) {
          const CityAsset& asset = city.at(index);
          const auto& children = city.ChildrenOf(asset.id);
          ScenarioStep raise;
          raise.at = at;
          raise.asset_id = asset.id;
          raise.fault = f.type;
          raise.detail = f.detail.empty() ? absl::StrCat("city-sim: ", FaultName(f.type), " (scenario ", spec.name, ")")
                                          : absl::StrCat("city-sim: ", f.detail);
          if (f.silence) {
            raise.affected.push_back(index);
            raise.affected.insert(raise.affected.end(), children.begin(), children.end());
          }
          if (f.children_type != v1::FAULT_TYPE_UNSPECIFIED) {
            raise.reporting_children = children;
            raise.children_fault = f.children_type;
            raise.children_detail =
                absl::StrCat("city-sim: ", FaultName(f.children_type), " reported",
                             f.children_via.empty() ? "" : absl::StrCat(" by ", f.children_via), " (", asset.id, ": ",
                             f.detail.empty() ? FaultName(f.type) : f.detail, ")");
          }
          raise.fault_id = fault_id++;
          raise.until_repaired = f.until_repaired;
          const milliseconds children_at =
              at + std::max(Scaled(f.children_after, params.speed), f.children_min_wall_gap);
          if (!raise.reporting_children.empty() && children_at > at) {
            ScenarioStep later = raise;
            later.children_only = true;
            later.at = children_at;
            later.affected.clear();
            scenario.steps.push_back(std::move(later));
          }
          ScenarioStep clear = raise;
          clear.cleared = true;
          clear.at = at + Scaled(f.duration, params.speed);
          clear.detail = absl::StrCat("city-sim: ", FaultName(f.type), " over (scenario ", spec.name, ")");
          last = std::max(last, f.until_repaired ? at : clear.at);
          scenario.steps.push_back(std::move(raise));
          scenario.steps.push_back(std::move(clear));
          if (step.say.empty()) {
            say = absl::StrCat(FaultName(f.type), " at ",
                               assets.size() == 1 ? asset.id : absl::StrCat(assets.size(), " assets"),
                               f.until_repaired ? " until a crew repairs it" : "");
          }
        }
        break;
      }
      case StepAction::kCall: {
        const CallSpec& c = step.call;
        SimRng rng(params.seed ^ kCallsSalt ^ (static_cast<uint64_t>(s) << 32));
        const size_t n = c.count > 0 ? static_cast<size_t>(c.count) : assets.size();
        for (size_t k = 0; k < n; ++k) {
          const CityAsset& asset = city.at(assets[k % assets.size()]);
          ScenarioCall call;
          call.at = at + Scaled(c.every * static_cast<int64_t>(k), params.speed);
          call.category = c.category;
          call.description = c.descriptions.empty() ? std::string() : c.descriptions[k % c.descriptions.size()];
          call.channel = c.channels.empty() ? calls::v1::REQUEST_CHANNEL_PHONE : c.channels[k % c.channels.size()];
          call.about = asset.id;
          common::LatLon p{asset.lat, asset.lon};
          if (c.max_m > 0 && c.keep_nearest) {
            p = PlaceKeepingNearest(city, assets[k % assets.size()], c.min_m, c.max_m, rng);
          } else if (c.max_m > 0) {
            bool placed = false;
            for (int i = 0; i < kPlaceTries && !placed; ++i) {
              const common::LatLon q =
                  Offset(asset.lat, asset.lon, rng.UniformReal(c.min_m, c.max_m), rng.UniformReal(0, 2 * kPi));
              if (map.Locate(q.lat, q.lon) > 0) {
                p = q;
                placed = true;
              }
            }
          }
          call.lat = p.lat;
          call.lon = p.lon;
          call.district = map.Locate(p.lat, p.lon);
          if (call.district <= 0) call.district = asset.district;
          last = std::max(last, call.at);
          scenario.calls.push_back(std::move(call));
        }
        if (step.say.empty()) {
          say = absl::StrCat(n, " resident call(s) about ", c.category, " near ", city.at(assets.front()).id,
                             assets.size() > 1 ? absl::StrCat(" and ", assets.size() - 1, " more") : "");
        }
        break;
      }
      case StepAction::kRamp: {
        const RampSpec& r = step.ramp;
        const TargetSpec* target = nullptr;
        for (const auto& t : spec.targets) {
          if (t.name == step.target) target = &t;
        }
        double lo = 0, hi = 0;
        const bool by_value = target != nullptr && !target->order_by.empty();
        if (by_value) {
          lo = *NumericAttribute(city.at(assets.front()), target->order_by);
          hi = *NumericAttribute(city.at(assets.back()), target->order_by);
        }
        for (size_t k = 0; k < assets.size(); ++k) {
          double fraction = 0;
          if (by_value && hi > lo) {
            fraction = (*NumericAttribute(city.at(assets[k]), target->order_by) - lo) / (hi - lo);
          } else if (!by_value && assets.size() > 1) {
            fraction = static_cast<double>(k) / static_cast<double>(assets.size() - 1);
          }
          PlannedRamp ramp;
          ramp.asset = assets[k];
          ramp.metric = r.metric;
          ramp.from = r.from;
          ramp.to = r.to;
          ramp.start = at + Scaled(milliseconds(static_cast<int64_t>(
                                       std::llround(fraction * static_cast<double>(r.stagger.count())))),
                                   params.speed);
          ramp.up_end = ramp.start + Scaled(r.over, params.speed);
          ramp.hold_end = ramp.up_end + Scaled(r.hold, params.speed);
          ramp.end = ramp.hold_end + Scaled(r.back_over, params.speed);
          ramp.mark = r.mark;
          ramp.above = r.above;
          ramp.fault = r.fault;
          ramp.detail = r.detail;
          last = std::max(last, ramp.end);
          scenario.ramps.push_back(std::move(ramp));
        }
        if (step.say.empty()) {
          say = absl::StrCat(r.metric, " of ", assets.size(), " asset(s) from ", r.from, " to ", r.to);
        }
        break;
      }
    }
    scenario.notes.push_back({at, absl::StrCat(say, " [", step.target, ": ", city.at(assets.front()).id,
                                               assets.size() > 1 ? absl::StrCat(" +", assets.size() - 1) : "", "]")});
  }
  std::stable_sort(scenario.steps.begin(), scenario.steps.end(),
                   [](const ScenarioStep& a, const ScenarioStep& b) { return a.at < b.at; });
  scenario.raise_step.assign(fault_id, 0);
  for (size_t i = 0; i < scenario.steps.size(); ++i) {
    if (!scenario.steps[i].cleared && !scenario.steps[i].children_only) {
      scenario.raise_step[scenario.steps[i].fault_id] = i;
    }
  }
  std::stable_sort(scenario.calls.begin(), scenario.calls.end(),
                   [](const ScenarioCall& a, const ScenarioCall& b) { return a.at < b.at; });
  if (spec.duration.count() > 0) scenario.end = std::max(Scaled(spec.duration, params.speed), last);
  return scenario;
}

std::optional<size_t> FindRepaired(const City& city, const Scenario& scenario, const std::set<size_t>& open,
                                   const std::string& incident_asset, std::optional<std::pair<double, double>> where) {
  if (!incident_asset.empty()) {
    for (const size_t id : open) {
      if (id >= scenario.raise_step.size()) continue;
      const ScenarioStep& raise = scenario.steps[scenario.raise_step[id]];
      if (raise.asset_id == incident_asset) return id;
      for (const auto* list : {&raise.affected, &raise.reporting_children}) {
        for (const size_t index : *list) {
          if (city.at(index).id == incident_asset) return id;
        }
      }
    }
  }
  if (!where) return std::nullopt;
  std::optional<size_t> best;
  double best_m = kRepairRadiusM;
  for (const size_t id : open) {
    if (id >= scenario.raise_step.size()) continue;
    const int64_t index = city.IndexOf(scenario.steps[scenario.raise_step[id]].asset_id);
    if (index < 0) continue;
    const CityAsset& asset = city.at(static_cast<size_t>(index));
    const double d = common::DistanceMeters(where->first, where->second, asset.lat, asset.lon);
    if (d <= best_m) {
      best_m = d;
      best = id;
    }
  }
  return best;
}

}  // namespace cityops::sim
