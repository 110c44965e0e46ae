#pragma once

#include "absl/status/status.h"
#include "cityops/common/clock.h"
#include "cityops/common/periodic.h"
#include "cityops/common/pg.h"

namespace cityops::telemetry {

// The reading history is partitioned by UTC day (readings_YYYYMMDD). This
// keeps partitions from 8 days back (the oldest reading accepted is 7 days
// old) to 2 days ahead, and drops those older than the retention.
class HistoryRetention {
 public:
  HistoryRetention(common::PgPool& pool, const common::Clock& clock, int retention_days);
  absl::Status RunOnce();
  void Start();  // at once, then hourly
  void Stop();

 private:
  common::PgPool& pool_;
  const common::Clock& clock_;
  int retention_days_;
  common::PeriodicTask task_;
};

}  // namespace cityops::telemetry
