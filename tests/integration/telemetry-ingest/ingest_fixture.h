#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "cityops/common/clock.h"
#include "cityops/telemetry/v1/telemetry_ingest.grpc.pb.h"
#include "cityops_test_support.h"
#include "service_fixture.h"
#include "service_process.h"

namespace cityops::testing {

namespace tv1 = ::cityops::telemetry::v1;

// A fresh schema and prefixed topics, and telemetry-ingest running on them.
class IngestFixture : public ServiceFixture {
 public:
  explicit IngestFixture(std::vector<std::string> extra_args = {});
  ~IngestFixture() override;

  tv1::TelemetryIngest::Stub& stub() { return *stub_; }

 protected:
  void OnStarted() override;

 private:
  std::unique_ptr<tv1::TelemetryIngest::Stub> stub_;
};

tv1::Asset Cabinet(const std::string& id, int district = 3);
tv1::Asset LightPoint(const std::string& id, const std::string& cabinet, int district = 3);
tv1::Reading MakeReading(const std::string& asset, const std::string& metric, double value, common::TimePoint t);

// Streams the batches over one StreamReadings call; returns the answers.
std::vector<tv1::BatchAck> StreamBatches(tv1::TelemetryIngest::Stub& stub,
                                         const std::vector<tv1::ReadingBatch>& batches);

// (asset, metric, time in ns) of each reading record on the readings topic.
using ReadingKey = std::tuple<std::string, std::string, int64_t>;
std::vector<ReadingKey> ReadingKeysOnTopic(const std::string& topic);
ReadingKey KeyOf(const tv1::Reading& reading);

// Fault events on the faults topic, in order.
std::vector<tv1::FaultEvent> FaultEventsOnTopic(const std::string& topic);

}  // namespace cityops::testing
