#pragma once

#include <grpcpp/grpcpp.h>

#include "cityops/common/districts.h"
#include "cityops/dispatch/v1/crew_dispatch.grpc.pb.h"
#include "dispatch_desk.h"
#include "dispatch_store.h"
#include "settings.h"

namespace cityops::dispatch {

// The gRPC edge: checks each request, runs it on the desk or reads the store,
// and maps Status to grpc::Status.
class DispatchService final : public v1::CrewDispatch::Service {
 public:
  // `districts` locates staging points (StageCrew).
  DispatchService(DispatchDesk& desk, DispatchStore& store, AssignmentFeed& feed, const DispatchSettings& settings,
                  common::Clock& clock, const common::DistrictMap& districts = common::DistrictMap::Dijon())
      : desk_(desk), store_(store), feed_(feed), settings_(settings), clock_(clock), districts_(districts) {}

  grpc::Status UpsertCrew(grpc::ServerContext*, const v1::UpsertCrewRequest*, v1::Crew*) override;
  grpc::Status GetCrew(grpc::ServerContext*, const v1::GetCrewRequest*, v1::Crew*) override;
  grpc::Status ListCrews(grpc::ServerContext*, const v1::ListCrewsRequest*, v1::ListCrewsResponse*) override;
  grpc::Status SetCrewAvailability(grpc::ServerContext*, const v1::SetCrewAvailabilityRequest*, v1::Crew*) override;
  grpc::Status UpdateCrewPosition(grpc::ServerContext*, const v1::UpdateCrewPositionRequest*, v1::Crew*) override;
  grpc::Status StageCrew(grpc::ServerContext*, const v1::StageCrewRequest*, v1::Crew*) override;
  grpc::Status ReleaseCrew(grpc::ServerContext*, const v1::ReleaseCrewRequest*, v1::Crew*) override;
  grpc::Status AcceptWorkOrder(grpc::ServerContext*, const v1::CrewWorkOrderRequest*, v1::WorkOrder*) override;
  grpc::Status DeclineWorkOrder(grpc::ServerContext*, const v1::CrewWorkOrderRequest*, v1::WorkOrder*) override;
  grpc::Status ArriveAtWorkOrder(grpc::ServerContext*, const v1::CrewWorkOrderRequest*, v1::WorkOrder*) override;
  grpc::Status CompleteWorkOrder(grpc::ServerContext*, const v1::CrewWorkOrderRequest*, v1::WorkOrder*) override;
  grpc::Status AssignWorkOrder(grpc::ServerContext*, const v1::AssignWorkOrderRequest*, v1::WorkOrder*) override;
  grpc::Status GetWorkOrder(grpc::ServerContext*, const v1::GetWorkOrderRequest*, v1::WorkOrder*) override;
  grpc::Status ListWorkOrders(grpc::ServerContext*, const v1::ListWorkOrdersRequest*,
                              v1::ListWorkOrdersResponse*) override;
  grpc::Status WatchAssignments(grpc::ServerContext*, const v1::WatchAssignmentsRequest*,
                                grpc::ServerWriter<v1::AssignmentEvent>*) override;

 private:
  absl::Status CheckPosition(const common::v1::GeoPoint& p, const char* field) const;
  grpc::Status CrewCommand(const v1::CrewWorkOrderRequest* request,
                           absl::Status (Dispatcher::*command)(const std::string&, const std::string&, TimePoint,
                                                               Decisions&),
                           v1::WorkOrder* response);
  grpc::Status AnswerOrder(const std::string& id, v1::WorkOrder* response);

  DispatchDesk& desk_;
  DispatchStore& store_;
  AssignmentFeed& feed_;
  const DispatchSettings& settings_;
  common::Clock& clock_;
  const common::DistrictMap& districts_;
};

}  // namespace cityops::dispatch
