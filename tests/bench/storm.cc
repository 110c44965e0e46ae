#include "storm.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <queue>
#include <random>
#include <stdexcept>
#include <thread>

#include "cityops/common/proto_time.h"
#include "cityops/common/topic_names.h"
#include "cityops/telemetry/v1/assets.pb.h"

namespace cityops::bench {

namespace tv1 = telemetry::v1;

// ------------------------------------------------------------------ the storm mix

StormWriter::StormWriter(const sim::City& city, uint64_t seed) : city_(city) {
  std::mt19937_64 rng(seed * 7919 + 17);
  std::vector<uint32_t> cabinets;
  for (size_t i = 0; i < city.size(); ++i) {
    const auto& a = city.at(i);
    const auto index = static_cast<uint32_t>(i);
    switch (a.kind) {
      case tv1::ASSET_KIND_CONTROL_CABINET:
        if (!city.ChildrenOf(a.id).empty()) cabinets.push_back(index);
        break;
      case tv1::ASSET_KIND_ACCESS_POINT_SITE:
        if (!city.ChildrenOf(a.id).empty()) pools_[Category::kSite].items.push_back(index);
        break;
      case tv1::ASSET_KIND_TRAFFIC_CONTROLLER:
        pools_[Category::kJunction].items.push_back(index);
        break;
      case tv1::ASSET_KIND_BUILDING_ALARM_PANEL:
        pools_[Category::kBuilding].items.push_back(index);
        break;
      case tv1::ASSET_KIND_FLOOD_SENSOR:
        pools_[Category::kFlood].items.push_back(index);
        break;
      case tv1::ASSET_KIND_SNOW_SENSOR:
        pools_[Category::kSnow].items.push_back(index);
        break;
      default:
        break;
    }
  }
  // Half the cabinets lose power (whole), the other half's lamps fail one
  // at a time: one lamp per cabinet per pass, so that single failures never
  // add up to a topology incident.
  std::shuffle(cabinets.begin(), cabinets.end(), rng);
  const size_t half = (cabinets.size() + 1) / 2;
  pools_[Category::kCabinet].items.assign(cabinets.begin(), cabinets.begin() + static_cast<std::ptrdiff_t>(half));
  pools_[Category::kLamp].items.assign(cabinets.begin() + static_cast<std::ptrdiff_t>(half), cabinets.end());
  if (pools_[Category::kLamp].items.empty()) pools_[Category::kLamp].items = pools_[Category::kCabinet].items;
  for (auto& [category, pool] : pools_) {
    if (category != Category::kCabinet && category != Category::kLamp)
      std::shuffle(pool.items.begin(), pool.items.end(), rng);
  }
}

std::vector<PlannedFault> StormWriter::Write(double rate, double duration_s, uint64_t phase_seed) {
  std::mt19937_64 rng(phase_seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  auto uniform = [&](double lo, double hi) { return lo + (hi - lo) * unit(rng); };
  struct Due {
    double at_s;
    int64_t raise;
    bool operator>(const Due& other) const { return at_s > other.at_s; }
  };
  std::priority_queue<Due, std::vector<Due>, std::greater<>> clears;
  struct Episode {
    std::vector<size_t> children;  // shuffled
    size_t next = 0;
    tv1::FaultType type;
    Category category;
    std::vector<int64_t> raises;
  };
  std::vector<Episode> cabinets, sites;
  std::vector<PlannedFault> out;
  const double slot = 1.0 / rate;

  auto close = [&](Episode& e, double t) {
    const double restore = t + uniform(kRestoreMinS, kRestoreMaxS);
    for (int64_t r : e.raises) clears.push({restore + uniform(0, kChildClearSpreadS), r});
  };
  auto raise_child = [&](std::vector<Episode>& active, size_t concurrent, Category category, double t) {
    if (active.size() < concurrent) {
      const auto [parent, pass] = pools_[category].Take();
      if (pass > 0) ++pools_[category].reused;
      Episode e;
      for (size_t c : city_.ChildrenOf(city_.at(parent).id)) e.children.push_back(c);
      std::shuffle(e.children.begin(), e.children.end(), rng);
      const bool silent = unit(rng) < 0.5;
      e.type = category == Category::kCabinet ? (silent ? tv1::FAULT_TYPE_SILENT : tv1::FAULT_TYPE_POWER_LOSS)
                                              : (silent ? tv1::FAULT_TYPE_SILENT : tv1::FAULT_TYPE_COMMUNICATION_LOSS);
      e.category = category;
      active.push_back(std::move(e));
    }
    const size_t pick = std::uniform_int_distribution<size_t>(0, active.size() - 1)(rng);
    Episode& e = active[pick];
    PlannedFault f;
    f.asset = static_cast<uint32_t>(e.children[e.next++]);
    f.type = e.type;
    f.category = category;
    f.at_s = t;
    e.raises.push_back(static_cast<int64_t>(out.size()));
    out.push_back(f);
    if (e.next == e.children.size()) {
      close(e, t);
      active[pick] = std::move(active.back());
      active.pop_back();
    }
  };
  auto raise_single = [&](Category category, double t) {
    PlannedFault f;
    f.category = category;
    f.at_s = t;
    const auto [asset, pass] = pools_[category].Take();
    if (category != Category::kLamp && pass > 0) ++pools_[category].reused;
    switch (category) {
      case Category::kLamp: {
        const auto& lamps = city_.ChildrenOf(city_.at(asset).id);
        f.asset = static_cast<uint32_t>(lamps[pass % lamps.size()]);
        if (pass >= lamps.size()) ++pools_[category].reused;
        f.type = tv1::FAULT_TYPE_LAMP_FAILURE;
        break;
      }
      case Category::kJunction: {
        static constexpr tv1::FaultType kTypes[] = {tv1::FAULT_TYPE_DEVICE_FAILURE, tv1::FAULT_TYPE_POWER_LOSS,
                                                    tv1::FAULT_TYPE_COMMUNICATION_LOSS};
        f.asset = asset;
        f.type = kTypes[std::uniform_int_distribution<int>(0, 2)(rng)];
        break;
      }
      case Category::kBuilding: {
        static constexpr tv1::FaultType kTypes[] = {tv1::FAULT_TYPE_FIRE_ALARM, tv1::FAULT_TYPE_INTRUSION,
                                                    tv1::FAULT_TYPE_ACCESS_CONTROL};
        f.asset = asset;
        f.type = kTypes[std::uniform_int_distribution<int>(0, 2)(rng)];
        break;
      }
      case Category::kFlood:
        f.asset = asset;
        f.type = tv1::FAULT_TYPE_WATER_LEVEL_HIGH;
        break;
      default:
        f.asset = asset;
        f.type = tv1::FAULT_TYPE_ICE_ON_ROAD;
        break;
    }
    clears.push({t + uniform(kSingleClearMinS, kSingleClearMaxS), static_cast<int64_t>(out.size())});
    out.push_back(f);
  };
  auto clear = [&](double t) {
    const Due d = clears.top();
    clears.pop();
    PlannedFault f = out[static_cast<size_t>(d.raise)];
    f.raised = false;
    f.at_s = t;
    f.raise_of = d.raise;
    out.push_back(f);
  };

  double t = 0;
  for (size_t k = 0; t < duration_s; ++k, t = static_cast<double>(k) * slot) {
    if (!clears.empty() && clears.top().at_s <= t) {
      clear(t);
      continue;
    }
    double u = unit(rng);
    size_t c = 0;
    while (c + 1 < kCategories && u >= kMix[c].share) u -= kMix[c++].share;
    const Category category = kMix[c].category;
    if (category == Category::kCabinet) {
      raise_child(cabinets, kConcurrentCabinets, category, t);
    } else if (category == Category::kSite) {
      raise_child(sites, kConcurrentSites, category, t);
    } else {
      raise_single(category, t);
    }
  }
  // The storm is over: the cabinets and sites still going down come back.
  for (auto& e : cabinets) close(e, t);
  for (auto& e : sites) close(e, t);
  while (!clears.empty()) {
    t = std::max(t, clears.top().at_s);
    clear(t);
    t += slot;
  }
  return out;
}

json StormWriter::Usage() const {
  json used = json::object();
  for (const auto& [category, pool] : pools_) {
    used[CategoryName(category)] = {{"pool", pool.items.size()}, {"taken", pool.next}, {"reused", pool.reused}};
  }
  return used;
}

json DescribeScript(const std::vector<PlannedFault>& script, double duration_s) {
  size_t raised = 0, in_storm = 0;
  std::map<std::string, size_t> by_category;
  for (const auto& f : script) {
    if (f.raised) {
      ++raised;
      ++by_category[CategoryName(f.category)];
    }
    if (f.at_s < duration_s) ++in_storm;
  }
  return {{"events", script.size()},
          {"raised", raised},
          {"cleared", script.size() - raised},
          {"events_in_storm", in_storm},
          {"events_in_recovery_tail", script.size() - in_storm},
          {"last_event_s", script.empty() ? 0.0 : Round3(script.back().at_s)},
          {"raised_by_category", by_category}};
}

std::optional<uint32_t> WarmupBus(const sim::City& city) {
  for (size_t i = 0; i < city.size(); ++i) {
    if (city.at(i).kind == tv1::ASSET_KIND_BUS) return static_cast<uint32_t>(i);
  }
  return std::nullopt;
}

// ------------------------------------------------------------------ the topology

json TopologyLoad::ToJson() const {
  return {{"assets", assets}, {"published_s", Round3(published_s)}, {"loaded_s", Round3(loaded_s)}};
}

TopologyLoad LoadTopology(const sim::City& city, common::KafkaProducer& producer, Sandbox& sandbox,
                          const std::string& producer_name) {
  const auto started = SteadyClock::now();
  const auto now = common::ToProtoTime(std::chrono::system_clock::now());
  common::DeliveryLatch latch(city.size());
  const std::string topic = sandbox.Topic(topics::kTelemetryAssets);
  tv1::AssetEvent e;
  for (const auto& a : city.assets()) {
    e.Clear();
    e.mutable_meta()->set_event_id("asset-" + a.id + "-1");
    *e.mutable_meta()->mutable_occurred_at() = now;
    e.mutable_meta()->set_producer(producer_name);
    e.set_change(tv1::ASSET_CHANGE_REGISTERED);
    *e.mutable_asset() = sim::ToProto(a);
    e.mutable_asset()->set_version(1);
    *e.mutable_asset()->mutable_updated_at() = now;
    ProduceWaiting(producer, topic, a.id, e.SerializeAsString(),
                   [&latch](const common::DeliveryResult& r) { latch.Done(r); });
  }
  if (auto s = latch.Wait(std::chrono::minutes(5)); !s.ok()) throw std::runtime_error("asset events: " + s.ToString());
  const double published_s = Seconds(SteadyClock::now() - started);
  const std::string count_sql = "SELECT count(*) FROM " + sandbox.admin().quote_name(sandbox.schema()) + ".topology";
  size_t loaded = 0;
  while (loaded < city.size()) {
    if (SteadyClock::now() - started > std::chrono::minutes(10)) {
      throw std::runtime_error("incident-correlation's topology holds " + std::to_string(loaded) + " of " +
                               std::to_string(city.size()) + " assets after 10 minutes");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    loaded = std::stoull(sandbox.Scalar(count_sql));
  }
  return {city.size(), published_s, Seconds(SteadyClock::now() - started)};
}

// ------------------------------------------------------------------ fault events

tv1::FaultEvent MakeFault(const sim::CityAsset& a, const PlannedFault& f, const std::string& producer_name) {
  tv1::FaultEvent e;
  e.mutable_meta()->set_producer(producer_name);
  e.set_asset_id(a.id);
  e.set_asset_kind(a.kind);
  e.set_parent_id(a.parent_id);
  e.set_district(a.district);
  e.mutable_location()->set_lat(a.lat);
  e.mutable_location()->set_lon(a.lon);
  e.set_type(f.type);
  e.set_state(f.raised ? tv1::FAULT_STATE_RAISED : tv1::FAULT_STATE_CLEARED);
  e.set_source(f.type == tv1::FAULT_TYPE_SILENT ? tv1::FAULT_SOURCE_SILENCE : tv1::FAULT_SOURCE_SELF_REPORTED);
  return e;
}

void StampFault(tv1::FaultEvent& e, const std::string& event_id, common::TimePoint now, common::TimePoint since) {
  e.mutable_meta()->set_event_id(event_id);
  const auto ts = common::ToProtoTime(now);
  *e.mutable_meta()->mutable_occurred_at() = ts;
  *e.mutable_at() = ts;
  *e.mutable_since() = common::ToProtoTime(since);
}

std::string FaultEventId(const std::string& run_id, int phase, size_t k) {
  return run_id + "/" + std::to_string(phase) + "/" + std::to_string(k);
}

std::optional<std::pair<int, size_t>> ParseFaultEventId(const std::string& run_id, const std::string& id) {
  if (id.size() <= run_id.size() + 1 || id.compare(0, run_id.size(), run_id) != 0 || id[run_id.size()] != '/') {
    return std::nullopt;
  }
  const auto slash = id.find('/', run_id.size() + 1);
  if (slash == std::string::npos) return std::nullopt;
  const int phase = std::atoi(id.c_str() + run_id.size() + 1);
  const size_t k = std::strtoull(id.c_str() + slash + 1, nullptr, 10);
  return std::make_pair(phase, k);
}

}  // namespace cityops::bench
