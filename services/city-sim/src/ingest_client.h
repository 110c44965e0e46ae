#pragma once

// The simulator's unary calls to telemetry-ingest: waiting for it, registering
// the city, reporting faults. gRPC errors come back as absl::Status.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "city.h"
#include "cityops/telemetry/v1/telemetry_ingest.grpc.pb.h"

namespace cityops::sim {

struct RegisterSummary {
  uint64_t registered = 0;
  uint64_t unchanged = 0;
  uint64_t calls = 0;
};

class IngestClient {
 public:
  explicit IngestClient(std::shared_ptr<grpc::Channel> channel);

  telemetry::v1::TelemetryIngest::Stub& stub() { return *stub_; }

  // Waits until the channel connects (or `stop` turns true, or the timeout passes).
  absl::Status WaitConnected(std::chrono::milliseconds timeout, const std::atomic<bool>& stop);

  // RegisterAssets in the city's order (parents first), `chunk` assets per
  // call (at most 5,000); UNAVAILABLE calls are retried a few times.
  absl::StatusOr<RegisterSummary> RegisterCity(const City& city, size_t chunk, const std::atomic<bool>& stop);

  absl::Status ReportFault(const telemetry::v1::FaultReport& report);

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<telemetry::v1::TelemetryIngest::Stub> stub_;
};

}  // namespace cityops::sim
