#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "absl/status/statusor.h"
#include "cityops/common/broadcast.h"
#include "cityops/common/clock.h"
#include "cityops/common/consumer_loop.h"
#include "cityops/common/pg.h"
#include "cityops/lighting/v1/lighting.pb.h"
#include "domain/city_index.h"
#include "domain/confirmation.h"
#include "domain/energy_meter.h"
#include "domain/lighting_config.h"
#include "domain/planner.h"
#include "fault_reporter.h"

namespace cityops::lighting {

// Committed commands, to this process's WatchCommands streams.
using CommandFeed = common::Broadcast<v1::LightingCommand>;

// A light point's reading, as the readings feed hands it over.
struct PointReading {
  std::string point_id;
  bool is_level = false;  // level_pct; otherwise power_w
  double value = 0;
  TimePoint at;
};

// The one writer of lighting: the city's light points (from the asset
// registry topic), the planner, what was commanded and confirmed, and the
// energy meter, under one lock. Each change (asset events, readings, an
// operator's command, the clock's tick) is one transaction, with the commands
// through the outbox; a failed transaction reloads everything from storage.
// Every tick plans the whole city and sends the difference, grouped per
// cabinet; points that do not confirm their level in time are reported to
// telemetry ingest as COMMAND_NOT_APPLIED faults (cleared when they do).
class LightingDesk final : public common::BatchHandler {
 public:
  LightingDesk(common::PgPool& pool, const LightingConfig& config, FaultReporter& faults, common::Clock& clock,
               CommandFeed& feed, std::string assets_topic, std::chrono::milliseconds rebuild_quiet,
               prometheus::Registry& metrics);

  absl::Status Load();

  // Asset events (cityops.telemetry.assets.v1): the light points.
  absl::StatusOr<size_t> Apply(const std::vector<common::ConsumedMessage>& messages) override;
  // Plans, commands, checks confirmations, reports faults.
  absl::Status Tick() override;

  // Level and power readings of light points; returns how many were used.
  absl::StatusOr<size_t> ApplyReadings(const std::vector<PointReading>& readings);
  // What every cabinet was last commanded, as commands (a field gateway that
  // starts watching takes these first): per cabinet section, one level for
  // all or the list of points; points never commanded are left out.
  std::vector<v1::LightingCommand> CurrentCommands();
  // The light points' ids (a snapshot, renewed when the city is rebuilt).
  std::shared_ptr<const std::unordered_set<std::string>> PointIds();

  // An operator's change: `change` checks and applies it to the planner (and
  // returns its error, nothing changed then) and adds what to store to `tx`
  // ops. Stored in one transaction with the audit entry; the city is planned
  // again at once.
  struct Context {
    Planner& planner;
    const CityIndex& city;
    TimePoint now;
    std::vector<std::function<void(pqxx::work&)>> writes;
    int64_t NextOverrideNumber() { return ++next_override_number; }
    int64_t& next_override_number;
  };
  using Change = std::function<absl::Status(Context&)>;
  absl::Status Execute(const Change& change);

  // Reads under the lock.
  template <typename Fn>
  auto Read(Fn fn) {
    std::lock_guard lock(mutex_);
    return fn(planner_ ? &*planner_ : nullptr, city_.get(), meter_.get(), clock_.Now());
  }

 private:
  struct PendingReport {
    std::string point_id;
    bool cleared = false;
    std::string detail;
    TimePoint at;
  };

  absl::Status LoadLocked();
  void ReloadAfterFailure();
  // Plans the city at `now` and sends what changed (locked).
  absl::Status PlanAndCommand(TimePoint now);
  // Sends the pending fault reports (unlocked) and records those that went.
  void SendReports();
  void UpdateGauges(TimePoint now);

  common::PgPool& pool_;
  const LightingConfig& config_;
  FaultReporter& faults_;
  common::Clock& clock_;
  CommandFeed& feed_;
  std::string assets_topic_;
  std::chrono::milliseconds rebuild_quiet_;

  std::mutex mutex_;
  std::unique_ptr<CityIndex> city_;
  std::optional<Planner> planner_;
  std::unique_ptr<CommandState> commands_;
  std::unique_ptr<ConfirmationTracker> tracker_;
  std::unique_ptr<EnergyMeter> meter_;
  CityLevels levels_;
  CommandBatch batch_;
  int64_t next_override_number_ = 0;
  uint64_t command_sequence_ = 0;
  std::optional<std::chrono::steady_clock::time_point> assets_changed_;
  std::shared_ptr<const std::unordered_set<std::string>> point_ids_;
  std::vector<PendingReport> pending_reports_;
  std::chrono::steady_clock::time_point next_energy_gauge_{};

  prometheus::Counter& commands_sent_;
  prometheus::Counter& points_commanded_;
  prometheus::Gauge& not_at_level_;
  prometheus::Gauge& light_points_;
  prometheus::Histogram& planning_;
  prometheus::Family<prometheus::Gauge>& energy_today_;
  prometheus::Family<prometheus::Counter>& faults_reported_;
  prometheus::Counter& report_failures_;
  prometheus::Family<prometheus::Counter>& readings_;
  prometheus::Family<prometheus::Counter>& set_aside_;
  prometheus::Counter& failures_;
};

}  // namespace cityops::lighting
