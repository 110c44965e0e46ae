#include "fault_reporter.h"

#include "absl/strings/str_cat.h"
#include "cityops/common/proto_time.h"
#include "cityops/common/status.h"

namespace cityops::lighting {

namespace tv1 = telemetry::v1;

IngestFaultReporter::IngestFaultReporter(const std::shared_ptr<grpc::Channel>& channel)
    : stub_(tv1::TelemetryIngest::NewStub(channel)) {}

absl::Status IngestFaultReporter::Report(const std::string& point_id, bool cleared, const std::string& detail,
                                         common::TimePoint at) {
  tv1::ReportFaultRequest request;
  auto* report = request.mutable_report();
  report->set_asset_id(point_id);
  report->set_type(tv1::FAULT_TYPE_COMMAND_NOT_APPLIED);
  *report->mutable_time() = common::ToProtoTime(at);
  report->set_cleared(cleared);
  report->set_detail(detail.substr(0, 500));
  tv1::ReportFaultResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  const grpc::Status status = stub_->ReportFault(&context, request, &response);
  if (status.ok()) return absl::OkStatus();
  const absl::Status failed = common::FromGrpcStatus(status);
  return absl::Status(failed.code(), absl::StrCat("telemetry ingest ReportFault ", point_id, ": ", failed.message()));
}

}  // namespace cityops::lighting
