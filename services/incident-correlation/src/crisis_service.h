#pragma once

#include <grpcpp/grpcpp.h>

#include "cityops/incidents/v1/crisis.grpc.pb.h"
#include "crisis_store.h"
#include "incident_desk.h"

namespace cityops::incidents {

// The crisis desk's gRPC edge: checks the request, runs the command on the
// incident desk (the one writer) or reads the store, maps Status to
// grpc::Status. A refused command changes nothing.
class CrisisService final : public v1::CrisisDesk::Service {
 public:
  CrisisService(IncidentDesk& desk, CrisisStore& store) : desk_(desk), store_(store) {}

  grpc::Status ListPlaybooks(grpc::ServerContext*, const v1::ListPlaybooksRequest*,
                             v1::ListPlaybooksResponse*) override;
  grpc::Status ProposeCrisis(grpc::ServerContext*, const v1::ProposeCrisisRequest*, v1::Crisis*) override;
  grpc::Status DeclareCrisis(grpc::ServerContext*, const v1::DeclareCrisisRequest*, v1::Crisis*) override;
  grpc::Status DismissProposal(grpc::ServerContext*, const v1::DismissProposalRequest*, v1::Crisis*) override;
  grpc::Status ChangeCrisisScope(grpc::ServerContext*, const v1::ChangeCrisisScopeRequest*, v1::Crisis*) override;
  grpc::Status EndCrisis(grpc::ServerContext*, const v1::EndCrisisRequest*, v1::Crisis*) override;
  grpc::Status GetCrisis(grpc::ServerContext*, const v1::GetCrisisRequest*, v1::Crisis*) override;
  grpc::Status ListCrises(grpc::ServerContext*, const v1::ListCrisesRequest*, v1::ListCrisesResponse*) override;

 private:
  grpc::Status Run(const std::string& id, const IncidentDesk::CrisisCommand& command, v1::Crisis* out);

  IncidentDesk& desk_;
  CrisisStore& store_;
};

}  // namespace cityops::incidents
