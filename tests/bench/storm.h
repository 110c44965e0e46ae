#pragma once

// The storm that correlation_bench and pipeline_bench play against
// incident-correlation (tests/bench/README.md, "The load: what ten times
// Dijon means here"): the simulator's city published as the service's
// topology, the storm mix and the deterministic fault scripts written from it,
// and the fault events sent for them, with the event ids by which the
// incident events name them back. One copy, so that both benches play the
// same load from the same seed.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench_support.h"
#include "city.h"
#include "cityops/common/clock.h"
#include "cityops/common/kafka.h"
#include "cityops/telemetry/v1/readings.pb.h"

namespace cityops::bench {

// The load, the benches' choice (the brief gives counts, not a fault rate): a
// severe storm at its height, in which Dijon would see 50 fault events/s,
// raised and cleared together, so 500/s at ten times Dijon.
constexpr double kDijonStormEventsPerS = 50.0;

// ------------------------------------------------------------------ the storm mix

// What a fault event is part of, for the mix and the report.
enum class Category { kCabinet, kSite, kLamp, kJunction, kBuilding, kFlood, kSnow };

struct MixEntry {
  Category category;
  const char* name;
  // Share of the raised fault events.
  double share;
};

// Raised events by what raised them; each one is cleared later (see README).
constexpr MixEntry kMix[] = {
    {Category::kCabinet, "cabinet_power_loss", 0.840},    // every lamp of a cabinet: POWER_LOSS or SILENT
    {Category::kSite, "access_point_site_down", 0.010},   // every camera of a site: COMMUNICATION_LOSS or SILENT
    {Category::kLamp, "lamp_failure", 0.135},             // one lamp: LAMP_FAILURE
    {Category::kJunction, "junction_controller", 0.005},  // DEVICE_FAILURE, POWER_LOSS or COMMUNICATION_LOSS
    {Category::kBuilding, "building_alarm", 0.007},       // FIRE_ALARM, INTRUSION or ACCESS_CONTROL
    {Category::kFlood, "flood_sensor", 0.001},            // WATER_LEVEL_HIGH
    {Category::kSnow, "snow_sensor", 0.002},              // ICE_ON_ROAD
};
constexpr size_t kCategories = sizeof(kMix) / sizeof(kMix[0]);

inline const char* CategoryName(Category c) { return kMix[static_cast<size_t>(c)].name; }

// Cabinets (and sites) failing at the same time; their children's raises interleave.
constexpr size_t kConcurrentCabinets = 32;
constexpr size_t kConcurrentSites = 2;
// Power (or the site's link) comes back 10..20 s after the last child went
// down; each child clears within 3 s of that. A single fault clears 10..30 s
// after it was raised.
constexpr double kRestoreMinS = 10, kRestoreMaxS = 20, kChildClearSpreadS = 3;
constexpr double kSingleClearMinS = 10, kSingleClearMaxS = 30;

// One fault event of a script.
struct PlannedFault {
  uint32_t asset = 0;  // index in City::assets()
  telemetry::v1::FaultType type = telemetry::v1::FAULT_TYPE_UNSPECIFIED;
  bool raised = true;
  Category category = Category::kLamp;
  double at_s = 0;        // when to send it, from the start of the phase
  int64_t raise_of = -1;  // a clearing: the index of its raise in the phase
};

// Assets taken in a fixed (seeded) order, each at most once until the list
// is used up (then again from the start: reuse, counted by the caller).
struct Pool {
  std::vector<uint32_t> items;
  size_t next = 0;
  size_t reused = 0;

  // The item and how many times the list was gone through before it.
  std::pair<uint32_t, size_t> Take() {
    const size_t pass = next / items.size();
    return {items[next++ % items.size()], pass};
  }
};

// The seed of phase `phase` of a run seeded `seed` (correlation_bench's
// storms are its odd phases, its floods the even ones; pipeline_bench plays
// phase 1, correlation_bench's first storm).
inline uint64_t PhaseSeed(uint64_t seed, uint64_t phase) { return seed * 1'000'003 + phase; }

// Writes the fault scripts of the phases from the city, one pool of assets
// per category for the whole run, so that no asset fails twice unless a pool
// runs out.
class StormWriter {
 public:
  StormWriter(const sim::City& city, uint64_t seed);

  // One phase: raises drawn from the mix at `rate` events/s for `duration_s`,
  // a clearing taking the next slot as soon as it is due; after that the
  // clearings still due, each at its time (never faster than `rate`).
  std::vector<PlannedFault> Write(double rate, double duration_s, uint64_t phase_seed);

  // {category: {"pool", "taken", "reused"}}: the assets used so far.
  json Usage() const;

 private:
  const sim::City& city_;
  std::map<Category, Pool> pools_;
};

// Counts of a script: {"events", "raised", "cleared", "events_in_storm",
// "events_in_recovery_tail" (sent at or after `duration_s`), "last_event_s",
// "raised_by_category"}.
json DescribeScript(const std::vector<PlannedFault>& script, double duration_s);

// The first bus of the city (no bus is in the storm mix), for a warm-up
// fault that no phase's counts include; nullopt when it has none.
std::optional<uint32_t> WarmupBus(const sim::City& city);

// ------------------------------------------------------------------ the topology

// How long the city took to become incident-correlation's topology.
struct TopologyLoad {
  size_t assets = 0;
  double published_s = 0;  // until Kafka acknowledged every asset event
  double loaded_s = 0;     // until the topology table held every asset
  // {"assets", "published_s", "loaded_s"}
  json ToJson() const;
};

// Publishes the city onto the assets topic as AssetEvents (REGISTERED,
// version 1, keyed by asset id, as telemetry-ingest publishes them), then
// waits until incident-correlation's `topology` table in the sandbox's schema
// holds every asset (at most 10 minutes).
TopologyLoad LoadTopology(const sim::City& city, common::KafkaProducer& producer, Sandbox& sandbox,
                          const std::string& producer_name);

// ------------------------------------------------------------------ fault events

// The fault event of a planned fault on asset `a`, not yet stamped.
telemetry::v1::FaultEvent MakeFault(const sim::CityAsset& a, const PlannedFault& f, const std::string& producer_name);

// Stamps an event as sent now: its event id, occurred_at = at = now, since =
// when its fault began (now for a raise, the raise's stamp for a clearing).
void StampFault(telemetry::v1::FaultEvent& e, const std::string& event_id, common::TimePoint now,
                common::TimePoint since);

// The event id of fault k of a phase of a run: "<run>/<phase>/<k>".
std::string FaultEventId(const std::string& run_id, int phase, size_t k);
// (phase, k) of such an id of this run; nullopt for any other id. The caller
// checks that the phase and the index exist.
std::optional<std::pair<int, size_t>> ParseFaultEventId(const std::string& run_id, const std::string& id);

}  // namespace cityops::bench
