#pragma once

#include <grpcpp/grpcpp.h>

#include "cityops/incidents/v1/incident_correlation.grpc.pb.h"
#include "event_hub.h"
#include "incident_desk.h"
#include "incident_store.h"

namespace cityops::incidents {

// The gRPC edge: checks the request, reads from the store or runs a command
// on the desk, and maps Status to grpc::Status.
class IncidentService final : public v1::IncidentCorrelation::Service {
 public:
  IncidentService(IncidentDesk& desk, IncidentStore& store, EventHub& hub) : desk_(desk), store_(store), hub_(hub) {}

  grpc::Status GetIncident(grpc::ServerContext*, const v1::GetIncidentRequest*, v1::Incident*) override;
  grpc::Status ListIncidents(grpc::ServerContext*, const v1::ListIncidentsRequest*,
                             v1::ListIncidentsResponse*) override;
  grpc::Status AcknowledgeIncident(grpc::ServerContext*, const v1::AcknowledgeIncidentRequest*, v1::Incident*) override;
  grpc::Status AssignIncident(grpc::ServerContext*, const v1::AssignIncidentRequest*, v1::Incident*) override;
  grpc::Status AddNote(grpc::ServerContext*, const v1::AddNoteRequest*, v1::Incident*) override;
  grpc::Status ResolveIncident(grpc::ServerContext*, const v1::ResolveIncidentRequest*, v1::Incident*) override;
  grpc::Status ReopenIncident(grpc::ServerContext*, const v1::ReopenIncidentRequest*, v1::Incident*) override;
  grpc::Status WatchIncidents(grpc::ServerContext*, const v1::WatchIncidentsRequest*,
                              grpc::ServerWriter<v1::IncidentEvent>*) override;

 private:
  grpc::Status Run(const std::string& id, const std::string& actor, const IncidentDesk::Command& command,
                   v1::Incident* out);

  IncidentDesk& desk_;
  IncidentStore& store_;
  EventHub& hub_;
};

}  // namespace cityops::incidents
