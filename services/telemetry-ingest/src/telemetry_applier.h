#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "absl/status/statusor.h"
#include "asset_registry.h"
#include "cityops/common/kafka.h"
#include "cityops/common/pg.h"
#include "domain/fault_tracker.h"
#include "fault_publisher.h"

namespace cityops::telemetry {

// Consumes the readings topic and, per poll, in one database transaction:
// appends the readings to the history (COPY), runs the fault state machine of
// each asset touched and updates its latest state, puts fault events in the
// outbox, and records the consumed offsets. Kafka offsets are committed after
// that transaction; a record already applied (offset below the recorded one)
// is skipped, so a replay after a crash applies nothing twice.
class TelemetryApplier {
 public:
  struct Options {
    std::string readings_topic;  // full name
    size_t batch = 5000;
    std::chrono::milliseconds poll_timeout{200};
  };

  TelemetryApplier(common::PgPool& pool, common::KafkaConsumer& consumer, AssetRegistry& registry,
                   const FaultTracker& tracker, FaultPublisher& publisher, Options options,
                   prometheus::Registry& metrics);
  ~TelemetryApplier();

  // One poll and its transaction. A failed transaction keeps its messages and
  // retries them on the next call. Returns the number of records applied.
  absl::StatusOr<size_t> RunOnce();

  void Start();
  void Stop();

 private:
  absl::StatusOr<size_t> Apply(const std::vector<common::ConsumedMessage>& messages,
                               std::vector<FaultTransition>& transitions);

  common::PgPool& pool_;
  common::KafkaConsumer& consumer_;
  AssetRegistry& registry_;
  const FaultTracker& tracker_;
  FaultPublisher& publisher_;
  Options options_;
  std::vector<common::ConsumedMessage> pending_;
  std::atomic<bool> running_{false};
  std::thread thread_;
  prometheus::Counter& applied_;
  prometheus::Counter& skipped_replayed_;
  prometheus::Family<prometheus::Counter>& dropped_;
  prometheus::Counter& failures_;
  prometheus::Histogram& apply_seconds_;
};

}  // namespace cityops::telemetry
