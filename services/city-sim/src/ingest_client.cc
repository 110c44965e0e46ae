#include "ingest_client.h"

#include <algorithm>
#include <thread>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "cityops/common/status.h"

namespace cityops::sim {

namespace v1 = telemetry::v1;

namespace {

constexpr auto kRegisterDeadline = std::chrono::seconds(120);
constexpr auto kReportDeadline = std::chrono::seconds(10);
constexpr int kAttempts = 5;
constexpr size_t kMaxChunk = 5000;

std::chrono::system_clock::time_point DeadlineIn(std::chrono::milliseconds d) {
  return std::chrono::system_clock::now() + d;
}

}  // namespace

IngestClient::IngestClient(std::shared_ptr<grpc::Channel> channel)
    : channel_(std::move(channel)), stub_(v1::TelemetryIngest::NewStub(channel_)) {}

absl::Status IngestClient::WaitConnected(std::chrono::milliseconds timeout, const std::atomic<bool>& stop) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!stop.load()) {
    if (channel_->WaitForConnected(DeadlineIn(std::chrono::milliseconds(500)))) return absl::OkStatus();
    if (std::chrono::steady_clock::now() >= deadline) {
      return absl::UnavailableError("telemetry-ingest does not answer (is it running, on the address given?)");
    }
  }
  return absl::CancelledError("stopped");
}

absl::StatusOr<RegisterSummary> IngestClient::RegisterCity(const City& city, size_t chunk,
                                                           const std::atomic<bool>& stop) {
  chunk = std::clamp<size_t>(chunk, 1, kMaxChunk);
  RegisterSummary summary;
  const auto& assets = city.assets();
  for (size_t begin = 0; begin < assets.size(); begin += chunk) {
    const size_t end = std::min(assets.size(), begin + chunk);
    v1::RegisterAssetsRequest request;
    for (size_t i = begin; i < end; ++i) *request.add_assets() = ToProto(assets[i]);
    for (int attempt = 1;; ++attempt) {
      if (stop.load()) return absl::CancelledError("stopped while registering");
      grpc::ClientContext context;
      context.set_deadline(DeadlineIn(kRegisterDeadline));
      v1::RegisterAssetsResponse response;
      const grpc::Status status = stub_->RegisterAssets(&context, request, &response);
      if (status.ok()) {
        summary.registered += response.registered();
        summary.unchanged += response.unchanged();
        ++summary.calls;
        break;
      }
      const absl::Status error = common::FromGrpcStatus(status);
      const bool transient = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                             status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
      if (!transient || attempt >= kAttempts) {
        return absl::Status(error.code(), absl::StrCat("RegisterAssets (assets ", begin + 1, "..", end,
                                                       "): ", std::string(error.message())));
      }
      spdlog::warn("RegisterAssets (assets {}..{}) failed, retrying: {}", begin + 1, end, error.ToString());
      std::this_thread::sleep_for(std::chrono::seconds(attempt));
    }
  }
  return summary;
}

absl::Status IngestClient::ReportFault(const v1::FaultReport& report) {
  v1::ReportFaultRequest request;
  *request.mutable_report() = report;
  for (int attempt = 1;; ++attempt) {
    grpc::ClientContext context;
    context.set_deadline(DeadlineIn(kReportDeadline));
    v1::ReportFaultResponse response;
    const grpc::Status status = stub_->ReportFault(&context, request, &response);
    if (status.ok()) return absl::OkStatus();
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE || attempt >= 3) return common::FromGrpcStatus(status);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

}  // namespace cityops::sim
