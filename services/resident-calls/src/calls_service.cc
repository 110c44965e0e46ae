#include "calls_service.h"

#include "cityops/common/status.h"

namespace cityops::calls {

namespace {

template <typename T>
grpc::Status Reply(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return common::ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

}  // namespace

bool CallsService::MaySeePersonalData(const grpc::ServerContext* context) const {
  const auto& metadata = context->client_metadata();
  const auto it = metadata.find(kRoleMetadata);
  if (it == metadata.end()) return false;
  return book_.config().MaySeePersonalData(std::string_view(it->second.data(), it->second.size()));
}

grpc::Status CallsService::ListCategories(grpc::ServerContext*, const v1::ListCategoriesRequest*,
                                          v1::ListCategoriesResponse* response) {
  for (auto& c : book_.Categories()) *response->add_categories() = std::move(c);
  return grpc::Status::OK;
}

grpc::Status CallsService::SuggestDuplicates(grpc::ServerContext*, const v1::SuggestDuplicatesRequest* request,
                                             v1::SuggestDuplicatesResponse* response) {
  auto found = book_.SuggestDuplicates(*request);
  if (!found.ok()) return common::ToGrpcStatus(found.status());
  for (auto& c : *found) *response->add_candidates() = std::move(c);
  return grpc::Status::OK;
}

grpc::Status CallsService::CreateRequest(grpc::ServerContext* context, const v1::CreateRequestRequest* request,
                                         v1::CreateRequestResponse* response) {
  return Reply(book_.Create(*request, MaySeePersonalData(context)), response);
}

grpc::Status CallsService::GetRequest(grpc::ServerContext* context, const v1::GetRequestRequest* request,
                                      v1::RequestDetail* response) {
  return Reply(book_.Get(request->id(), MaySeePersonalData(context)), response);
}

grpc::Status CallsService::ListRequests(grpc::ServerContext*, const v1::ListRequestsRequest* request,
                                        v1::ListRequestsResponse* response) {
  return Reply(book_.List(*request), response);
}

grpc::Status CallsService::ChangeStatus(grpc::ServerContext* context, const v1::ChangeStatusRequest* request,
                                        v1::RequestDetail* response) {
  return Reply(book_.ChangeStatus(*request, MaySeePersonalData(context)), response);
}

grpc::Status CallsService::AddNote(grpc::ServerContext* context, const v1::AddNoteRequest* request,
                                   v1::RequestDetail* response) {
  return Reply(book_.AddNote(*request, MaySeePersonalData(context)), response);
}

grpc::Status CallsService::GetStatistics(grpc::ServerContext*, const v1::GetStatisticsRequest* request,
                                         v1::Statistics* response) {
  return Reply(book_.Statistics(*request), response);
}

}  // namespace cityops::calls
