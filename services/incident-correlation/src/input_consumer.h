#pragma once

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "absl/status/statusor.h"
#include "cityops/common/clock.h"
#include "cityops/common/kafka.h"
#include "incident_desk.h"

namespace cityops::incidents {

// The one thread that feeds the desk: polls the fault, request and asset
// topics, applies each batch in one transaction, and commits the Kafka
// offsets only after it; between polls it ticks the clock rules and, now and
// then, forgets applied event ids older than the retention.
class InputConsumer {
 public:
  struct Options {
    size_t batch = 2000;
    std::chrono::milliseconds poll_timeout{100};
    std::chrono::milliseconds tick_interval{1000};
    std::chrono::hours applied_events_retention{8 * 24};
  };

  InputConsumer(common::KafkaConsumer& consumer, IncidentDesk& desk, IncidentStore& store, common::Clock& clock,
                Options options, prometheus::Registry& metrics);
  ~InputConsumer();

  // One poll, its transaction and the offset commit; a failed transaction
  // keeps the messages for the next call. Returns the inputs applied.
  absl::StatusOr<size_t> RunOnce();

  void Start();
  void Stop();

 private:
  common::KafkaConsumer& consumer_;
  IncidentDesk& desk_;
  IncidentStore& store_;
  common::Clock& clock_;
  Options options_;
  std::vector<common::ConsumedMessage> pending_;
  std::chrono::steady_clock::time_point next_tick_{};
  std::chrono::steady_clock::time_point next_prune_{};
  std::atomic<bool> running_{false};
  std::thread thread_;
  prometheus::Gauge& lag_;
};

}  // namespace cityops::incidents
