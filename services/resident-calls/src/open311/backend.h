#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cityops/calls/v1/resident_calls.grpc.pb.h"
#include "cityops/calls/v1/resident_calls.pb.h"

// What the Open311 adapter needs from resident calls, in the contract's own
// messages, so that whoever serves Open311 (resident calls today, the gateway
// later) plugs in its way of reaching the requests.
namespace cityops::calls::open311 {

class RequestsBackend {
 public:
  virtual ~RequestsBackend() = default;
  virtual absl::StatusOr<v1::ListCategoriesResponse> ListCategories() = 0;
  virtual absl::StatusOr<v1::CreateRequestResponse> CreateRequest(const v1::CreateRequestRequest& request) = 0;
  virtual absl::StatusOr<v1::RequestDetail> GetRequest(const std::string& id) = 0;
  virtual absl::StatusOr<v1::ListRequestsResponse> ListRequests(const v1::ListRequestsRequest& request) = 0;
};

// Role the adapter's calls carry in the "cityops-role" metadata: one that is
// not given residents' personal data.
inline constexpr char kIntegrationRole[] = "integration";

// The backend over the ResidentCalls gRPC service (a stub of a channel, or a
// fake stub in tests). Every call has a deadline and carries
// "cityops-role: integration"; gRPC errors keep their code and message.
class GrpcRequestsBackend final : public RequestsBackend {
 public:
  explicit GrpcRequestsBackend(std::shared_ptr<v1::ResidentCalls::StubInterface> stub,
                               std::chrono::milliseconds deadline = std::chrono::seconds(5));

  absl::StatusOr<v1::ListCategoriesResponse> ListCategories() override;
  absl::StatusOr<v1::CreateRequestResponse> CreateRequest(const v1::CreateRequestRequest& request) override;
  absl::StatusOr<v1::RequestDetail> GetRequest(const std::string& id) override;
  absl::StatusOr<v1::ListRequestsResponse> ListRequests(const v1::ListRequestsRequest& request) override;

 private:
  void Prepare(grpc::ClientContext& context) const;

  std::shared_ptr<v1::ResidentCalls::StubInterface> stub_;
  std::chrono::milliseconds deadline_;
};

}  // namespace cityops::calls::open311
