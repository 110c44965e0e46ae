#include "crews.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_join.h"

namespace cityops::sim {

namespace {

const std::vector<CrewSkillShare> kMix = {
    {"roads", 40, 1},
    {"refuse", 35, 1},
    {"street_lighting", 30, 2},
    {"green_spaces", 30, 1},
    {"traffic_signals", 20, 1},
    {"municipal_police", 20, 1},
    {"building_security", 15, 2},
    {"network_fibre", 10, 1},
    {"fleet", 5, 1},
};

// How many crews of each trade (kMix's order) among `n`, and the trades that
// must go to crews as a second one (when n is below the minimums' sum).
std::pair<std::vector<int>, std::vector<size_t>> Apportion(int n) {
  int total = 0;
  for (const auto& share : kMix) total += share.per_dijon;
  std::vector<int> counts(kMix.size(), 0);
  std::vector<std::pair<double, size_t>> remainders;
  int given = 0;
  for (size_t s = 0; s < kMix.size(); ++s) {
    const double exact = static_cast<double>(n) * kMix[s].per_dijon / total;
    counts[s] = static_cast<int>(std::floor(exact));
    given += counts[s];
    remainders.emplace_back(exact - std::floor(exact), s);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = 0; given < n; ++i, ++given) ++counts[remainders[i % remainders.size()].second];

  // The minimums, taken from the trade with the most to spare (first in the
  // mix on a tie); what cannot be taken becomes a second trade.
  std::vector<size_t> extra;
  for (size_t s = 0; s < kMix.size(); ++s) {
    while (counts[s] < kMix[s].at_least) {
      size_t donor = kMix.size();
      int spare = 0;
      for (size_t t = 0; t < kMix.size(); ++t) {
        const int t_spare = counts[t] - kMix[t].at_least;
        if (t != s && t_spare > spare) {
          spare = t_spare;
          donor = t;
        }
      }
      if (donor == kMix.size()) {
        extra.insert(extra.end(), static_cast<size_t>(kMix[s].at_least - counts[s]), s);
        break;
      }
      --counts[donor];
      ++counts[s];
    }
  }
  return {counts, extra};
}

}  // namespace

const std::vector<CrewSkillShare>& CrewSkillMix() { return kMix; }

std::vector<CrewPlan> PlanCrews(const City& city) {
  std::vector<const CityAsset*> vehicles;
  for (const auto& asset : city.assets()) {
    if (asset.kind == telemetry::v1::ASSET_KIND_CREW_VEHICLE) vehicles.push_back(&asset);
  }
  const int n = static_cast<int>(vehicles.size());
  const auto apportioned = Apportion(n);
  const std::vector<int>& counts = apportioned.first;
  const std::vector<size_t>& extra = apportioned.second;

  // Spread each trade evenly along the fleet: trade s's k-th crew stands at
  // (k + 0.5) / counts[s]; crews take the trades in that order.
  std::vector<std::pair<double, size_t>> slots;
  for (size_t s = 0; s < kMix.size(); ++s) {
    for (int k = 0; k < counts[s]; ++k) slots.emplace_back((k + 0.5) / counts[s], s);
  }
  std::stable_sort(slots.begin(), slots.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

  std::vector<std::vector<std::string>> trades(static_cast<size_t>(n));
  for (size_t i = 0; i < slots.size() && i < trades.size(); ++i) {
    trades[i].emplace_back(kMix[slots[i].second].skill);
  }
  // Second trades go to crews of the largest trades first, one each, in the
  // fleet's order.
  std::vector<size_t> by_trade_size(trades.size());
  for (size_t i = 0; i < by_trade_size.size(); ++i) by_trade_size[i] = i;
  std::stable_sort(by_trade_size.begin(), by_trade_size.end(),
                   [&](size_t a, size_t b) { return counts[slots[a].second] > counts[slots[b].second]; });
  for (size_t e = 0; e < extra.size() && !by_trade_size.empty(); ++e) {
    trades[by_trade_size[e % by_trade_size.size()]].emplace_back(kMix[extra[e]].skill);
  }

  std::vector<CrewPlan> crews;
  crews.reserve(vehicles.size());
  for (size_t i = 0; i < vehicles.size(); ++i) {
    CrewPlan crew;
    crew.vehicle_id = vehicles[i]->id;
    crew.id = "crew-" + vehicles[i]->id;
    crew.name = "Crew " + std::to_string(i + 1) + " (" + absl::StrJoin(trades[i], ", ") + ")";
    crew.skills = trades[i];
    crew.skills.emplace_back("general");
    crew.lat = vehicles[i]->lat;
    crew.lon = vehicles[i]->lon;
    crews.push_back(std::move(crew));
  }
  return crews;
}

double CrewTravelSeconds(double eta_s) {
  if (!(eta_s >= kMinCrewTravelS)) return kMinCrewTravelS;  // also NaN
  return std::min(eta_s, kMaxCrewTravelS);
}

void CrewBoard::AddCrew(const std::string& crew_id) { crews_.try_emplace(crew_id); }

std::string CrewBoard::Drop(const std::string& crew_id) {
  State& state = crews_.at(crew_id);
  std::string dropped = std::move(state.order_id);
  state.order_id.clear();
  if (!dropped.empty()) holder_.erase(dropped);
  return dropped;
}

std::optional<CrewBoard::Taken> CrewBoard::OnAssigned(const std::string& crew_id, const std::string& order_id) {
  const auto it = crews_.find(crew_id);
  if (it == crews_.end() || order_id.empty()) return std::nullopt;
  State& state = it->second;
  if (state.order_id == order_id) return std::nullopt;
  Taken taken;
  // Taken from an order it still held (PREEMPTED not seen: the watch missed
  // it), or from the one PREEMPTED took from it just before.
  taken.preempted_from = state.order_id.empty() ? state.preempted_from : state.order_id;
  if (!taken.preempted_from.empty()) ++preempted_;
  Drop(crew_id);
  state.preempted_from.clear();
  state.order_id = order_id;
  state.generation = next_generation_++;
  holder_[order_id] = crew_id;
  taken.generation = state.generation;
  return taken;
}

std::optional<std::string> CrewBoard::OnPreempted(const std::string& order_id) {
  const auto it = holder_.find(order_id);
  if (it == holder_.end()) return std::nullopt;
  const std::string crew_id = it->second;
  Drop(crew_id);
  crews_.at(crew_id).preempted_from = order_id;
  return crew_id;
}

std::optional<std::string> CrewBoard::OnCancelled(const std::string& order_id, const std::string& crew_id) {
  std::string holder;
  if (const auto it = holder_.find(order_id); it != holder_.end()) {
    holder = it->second;
  } else if (const auto c = crews_.find(crew_id); c != crews_.end() && c->second.order_id == order_id) {
    holder = crew_id;
  }
  if (holder.empty()) return std::nullopt;
  Drop(holder);
  crews_.at(holder).preempted_from.clear();
  return holder;
}

void CrewBoard::OnCompleted(const std::string& crew_id, const std::string& order_id) {
  const auto it = crews_.find(crew_id);
  if (it == crews_.end() || it->second.order_id != order_id) return;
  Drop(crew_id);
}

bool CrewBoard::Holds(const std::string& crew_id, const std::string& order_id, uint64_t generation) const {
  const auto it = crews_.find(crew_id);
  return it != crews_.end() && it->second.order_id == order_id && it->second.generation == generation;
}

std::string CrewBoard::OrderOf(const std::string& crew_id) const {
  const auto it = crews_.find(crew_id);
  return it == crews_.end() ? std::string() : it->second.order_id;
}

}  // namespace cityops::sim
