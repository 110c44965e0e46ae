#pragma once

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "cityops/common/clock.h"
#include "cityops/telemetry/v1/telemetry_ingest.grpc.pb.h"

namespace cityops::lighting {

// Where a light point that did not obey its command is reported (and its
// recovery): as a COMMAND_NOT_APPLIED fault of the point, so that incident
// correlation handles it like any fault the equipment reports.
class FaultReporter {
 public:
  virtual ~FaultReporter() = default;
  virtual absl::Status Report(const std::string& point_id, bool cleared, const std::string& detail,
                              common::TimePoint at) = 0;
};

// To telemetry ingest over gRPC (ReportFault).
class IngestFaultReporter final : public FaultReporter {
 public:
  explicit IngestFaultReporter(const std::shared_ptr<grpc::Channel>& channel);
  absl::Status Report(const std::string& point_id, bool cleared, const std::string& detail,
                      common::TimePoint at) override;

 private:
  std::unique_ptr<telemetry::v1::TelemetryIngest::Stub> stub_;
};

// Nowhere (no ingest address): reports are only counted and logged.
class NoFaultReporter final : public FaultReporter {
 public:
  absl::Status Report(const std::string&, bool, const std::string&, common::TimePoint) override {
    return absl::OkStatus();
  }
};

}  // namespace cityops::lighting
