#pragma once

#include <chrono>

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "absl/status/statusor.h"
#include "asset_registry.h"
#include "cityops/common/clock.h"
#include "cityops/common/periodic.h"
#include "cityops/common/pg.h"
#include "domain/fault_tracker.h"
#include "fault_publisher.h"

namespace cityops::telemetry {

// Every scan interval, finds the assets not heard for three times their
// reporting interval (or never heard since registration) and raises one
// SILENT fault each, through the outbox. Several instances may scan at once:
// rows are locked with SKIP LOCKED, so each asset is handled by one.
class SilenceMonitor {
 public:
  SilenceMonitor(common::PgPool& pool, AssetRegistry& registry, const FaultTracker& tracker, FaultPublisher& publisher,
                 const common::Clock& clock, std::chrono::milliseconds interval, prometheus::Registry& metrics);
  ~SilenceMonitor();

  // One scan; returns how many assets went silent.
  absl::StatusOr<size_t> ScanOnce();
  void Start();
  void Stop();

 private:
  common::PgPool& pool_;
  AssetRegistry& registry_;
  const FaultTracker& tracker_;
  FaultPublisher& publisher_;
  const common::Clock& clock_;
  std::chrono::milliseconds interval_;
  prometheus::Gauge& silent_;
  common::PeriodicTask task_;
};

}  // namespace cityops::telemetry
