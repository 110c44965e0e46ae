#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "absl/status/statusor.h"
#include "asset_registry.h"
#include "cityops/common/clock.h"
#include "cityops/common/kafka.h"
#include "cityops/telemetry/v1/telemetry_ingest.pb.h"
#include "domain/validation.h"

namespace cityops::telemetry {

// Validates what the field sends and publishes it on the readings topic keyed
// by asset id. A batch is all or nothing: rejected whole when one reading is
// bad, acknowledged only once Kafka confirmed every reading in it.
class ReadingsIntake {
 public:
  struct Options {
    std::string readings_topic;  // full name (with the prefix)
    ValidationLimits limits;
    std::chrono::milliseconds delivery_timeout{30000};
    // Where position readings may be.
    CityBounds bounds;
  };

  // A batch on its way: either answered at once (rejected) or waiting for Kafka.
  struct Pending {
    uint64_t batch_id = 0;
    uint32_t count = 0;
    std::shared_ptr<common::DeliveryLatch> latch;
    std::optional<v1::BatchAck> answer;
  };

  ReadingsIntake(AssetRegistry& registry, common::KafkaProducer& producer, const common::Clock& clock, Options options,
                 prometheus::Registry& metrics);

  Pending Submit(const v1::ReadingBatch& batch);
  // Waits for Kafka's confirmation of a submitted batch and makes its answer.
  v1::BatchAck Complete(Pending& pending);

  // Publishes one self-reported fault; returns its record id once Kafka confirmed it.
  absl::StatusOr<std::string> ReportFault(const v1::FaultReport& report);

 private:
  std::string NextRecordId();

  AssetRegistry& registry_;
  common::KafkaProducer& producer_;
  const common::Clock& clock_;
  Options options_;
  std::string instance_;
  std::atomic<uint64_t> sequence_{0};
  prometheus::Counter& accepted_;
  prometheus::Family<prometheus::Counter>& rejected_;
  prometheus::Counter& batches_failed_;
  prometheus::Histogram& batch_size_;
  prometheus::Family<prometheus::Counter>& fault_reports_;
};

}  // namespace cityops::telemetry
