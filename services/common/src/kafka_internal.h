#pragma once

// Shared by the Kafka adapters of the common library (not a public header).

#include <memory>
#include <string>
#include <string_view>

#include <librdkafka/rdkafkacpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cityops/common/kafka.h"

namespace cityops::common::kafka_internal {

// Routes librdkafka's log and error events to KafkaSettings::log_sink or spdlog.
class EventBridge final : public RdKafka::EventCb {
 public:
  explicit EventBridge(KafkaSettings settings);
  void event_cb(RdKafka::Event& event) override;

 private:
  KafkaSettings settings_;
};

// Status code for a librdkafka error.
absl::StatusCode CodeFor(RdKafka::ErrorCode err);
absl::Status ToStatus(RdKafka::ErrorCode err, std::string_view context);

// A global configuration with bootstrap, client id, the given defaults, then
// settings.extra; the event callback is `bridge` (which must outlive the handle).
absl::StatusOr<std::unique_ptr<RdKafka::Conf>> MakeConf(
    const KafkaSettings& settings, const std::vector<std::pair<std::string, std::string>>& defaults,
    EventBridge* bridge);

// "telemetry-ingest" -> "cityops_telemetry_ingest_".
std::string MetricPrefix(std::string_view service);

}  // namespace cityops::common::kafka_internal
