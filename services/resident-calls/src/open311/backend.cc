#include "open311/backend.h"

#include <utility>

#include "cityops/common/status.h"

namespace cityops::calls::open311 {

GrpcRequestsBackend::GrpcRequestsBackend(std::shared_ptr<v1::ResidentCalls::StubInterface> stub,
                                         std::chrono::milliseconds deadline)
    : stub_(std::move(stub)), deadline_(deadline) {}

void GrpcRequestsBackend::Prepare(grpc::ClientContext& context) const {
  context.set_deadline(std::chrono::system_clock::now() + deadline_);
  context.AddMetadata("cityops-role", kIntegrationRole);
}

absl::StatusOr<v1::ListCategoriesResponse> GrpcRequestsBackend::ListCategories() {
  grpc::ClientContext context;
  Prepare(context);
  v1::ListCategoriesResponse response;
  const grpc::Status status = stub_->ListCategories(&context, v1::ListCategoriesRequest(), &response);
  if (!status.ok()) return common::FromGrpcStatus(status);
  return response;
}

absl::StatusOr<v1::CreateRequestResponse> GrpcRequestsBackend::CreateRequest(const v1::CreateRequestRequest& request) {
  grpc::ClientContext context;
  Prepare(context);
  v1::CreateRequestResponse response;
  const grpc::Status status = stub_->CreateRequest(&context, request, &response);
  if (!status.ok()) return common::FromGrpcStatus(status);
  return response;
}

absl::StatusOr<v1::RequestDetail> GrpcRequestsBackend::GetRequest(const std::string& id) {
  grpc::ClientContext context;
  Prepare(context);
  v1::GetRequestRequest request;
  request.set_id(id);
  v1::RequestDetail response;
  const grpc::Status status = stub_->GetRequest(&context, request, &response);
  if (!status.ok()) return common::FromGrpcStatus(status);
  return response;
}

absl::StatusOr<v1::ListRequestsResponse> GrpcRequestsBackend::ListRequests(const v1::ListRequestsRequest& request) {
  grpc::ClientContext context;
  Prepare(context);
  v1::ListRequestsResponse response;
  const grpc::Status status = stub_->ListRequests(&context, request, &response);
  if (!status.ok()) return common::FromGrpcStatus(status);
  return response;
}

}  // namespace cityops::calls::open311
