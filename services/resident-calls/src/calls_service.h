#pragma once

#include <grpcpp/grpcpp.h>

#include "cityops/calls/v1/resident_calls.grpc.pb.h"
#include "request_book.h"

// cityops.calls.v1.ResidentCalls over the request book. Errors:
// INVALID_ARGUMENT (bad category, place, text, status value, paging),
// NOT_FOUND (unknown request), FAILED_PRECONDITION (a transition the rules
// refuse, linking to a closed request), UNAVAILABLE (the database). Personal
// data is returned only when the metadata "cityops-role" names an allowed role.
namespace cityops::calls {

// The metadata key the gateway sets from the user's token.
inline constexpr const char* kRoleMetadata = "cityops-role";

class CallsService final : public v1::ResidentCalls::Service {
 public:
  explicit CallsService(RequestBook& book) : book_(book) {}

  grpc::Status ListCategories(grpc::ServerContext*, const v1::ListCategoriesRequest*,
                              v1::ListCategoriesResponse*) override;
  grpc::Status SuggestDuplicates(grpc::ServerContext*, const v1::SuggestDuplicatesRequest*,
                                 v1::SuggestDuplicatesResponse*) override;
  grpc::Status CreateRequest(grpc::ServerContext*, const v1::CreateRequestRequest*,
                             v1::CreateRequestResponse*) override;
  grpc::Status GetRequest(grpc::ServerContext*, const v1::GetRequestRequest*, v1::RequestDetail*) override;
  grpc::Status ListRequests(grpc::ServerContext*, const v1::ListRequestsRequest*, v1::ListRequestsResponse*) override;
  grpc::Status ChangeStatus(grpc::ServerContext*, const v1::ChangeStatusRequest*, v1::RequestDetail*) override;
  grpc::Status AddNote(grpc::ServerContext*, const v1::AddNoteRequest*, v1::RequestDetail*) override;
  grpc::Status GetStatistics(grpc::ServerContext*, const v1::GetStatisticsRequest*, v1::Statistics*) override;

 private:
  bool MaySeePersonalData(const grpc::ServerContext* context) const;

  RequestBook& book_;
};

}  // namespace cityops::calls
