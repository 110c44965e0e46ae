#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "absl/status/statusor.h"
#include "cityops/common/kafka.h"

namespace cityops::common {

// What a consumer loop feeds: a batch applied in one transaction (a failed
// one keeps its messages for the next call), a periodic tick, and rarer
// housekeeping.
class BatchHandler {
 public:
  virtual ~BatchHandler() = default;
  // Returns how many inputs were applied.
  virtual absl::StatusOr<size_t> Apply(const std::vector<ConsumedMessage>& messages) = 0;
  virtual absl::Status Tick() { return absl::OkStatus(); }
  virtual void Housekeeping() {}
};

struct ConsumerLoopOptions {
  size_t batch = 2000;
  std::chrono::milliseconds poll_timeout{100};
  std::chrono::milliseconds tick_interval{1000};
  std::chrono::milliseconds housekeeping_interval{std::chrono::hours(1)};
};

// The one thread that polls, applies each batch, and commits the Kafka
// offsets only after the handler's transaction committed; between polls it
// ticks, measures the lag (cityops_<service>_consumer_lag_messages), and now
// and then runs the housekeeping.
class ConsumerLoop {
 public:
  ConsumerLoop(KafkaConsumer& consumer, BatchHandler& handler, ConsumerLoopOptions options,
               prometheus::Registry& metrics, std::string_view metric_service);
  ~ConsumerLoop();

  // One round (tests); returns the inputs applied.
  absl::StatusOr<size_t> RunOnce();
  void Start();
  void Stop();

 private:
  KafkaConsumer& consumer_;
  BatchHandler& handler_;
  ConsumerLoopOptions options_;
  std::vector<ConsumedMessage> pending_;
  std::chrono::steady_clock::time_point next_tick_{};
  std::chrono::steady_clock::time_point next_housekeeping_{};
  std::atomic<bool> running_{false};
  std::thread thread_;
  prometheus::Gauge& lag_;
};

}  // namespace cityops::common
