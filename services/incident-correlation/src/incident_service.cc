#include "incident_service.h"

#include "absl/strings/str_cat.h"
#include "cityops/common/status.h"

namespace cityops::incidents {
namespace {

constexpr size_t kMaxActor = 128;
constexpr size_t kMaxText = 4000;

absl::Status CheckId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("id is required");
  if (id.size() > 64) return absl::InvalidArgumentError("id is longer than 64 characters");
  return absl::OkStatus();
}

absl::Status CheckText(const std::string& value, const char* field, bool required, size_t max) {
  if (required && value.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  if (value.size() > max) return absl::InvalidArgumentError(absl::StrCat(field, " is longer than ", max, " bytes"));
  return absl::OkStatus();
}

}  // namespace

grpc::Status IncidentService::GetIncident(grpc::ServerContext*, const v1::GetIncidentRequest* request,
                                          v1::Incident* response) {
  if (auto s = CheckId(request->id()); !s.ok()) return common::ToGrpcStatus(s);
  auto incident = store_.Get(request->id());
  if (!incident.ok()) return common::ToGrpcStatus(incident.status());
  *response = std::move(*incident);
  return grpc::Status::OK;
}

grpc::Status IncidentService::ListIncidents(grpc::ServerContext*, const v1::ListIncidentsRequest* request,
                                            v1::ListIncidentsResponse* response) {
  auto query = MakeListQuery(*request);
  if (!query.ok()) return common::ToGrpcStatus(query.status());
  auto page = store_.List(*query);
  if (!page.ok()) return common::ToGrpcStatus(page.status());
  *response = std::move(*page);
  return grpc::Status::OK;
}

grpc::Status IncidentService::Run(const std::string& id, const std::string& actor, const IncidentDesk::Command& command,
                                  v1::Incident* out) {
  if (auto s = CheckId(id); !s.ok()) return common::ToGrpcStatus(s);
  if (auto s = CheckText(actor, "actor", true, kMaxActor); !s.ok()) return common::ToGrpcStatus(s);
  auto incident = desk_.Execute(id, command);
  if (!incident.ok()) return common::ToGrpcStatus(incident.status());
  *out = std::move(*incident);
  return grpc::Status::OK;
}

grpc::Status IncidentService::AcknowledgeIncident(grpc::ServerContext*, const v1::AcknowledgeIncidentRequest* r,
                                                  v1::Incident* response) {
  return Run(
      r->id(), r->actor(),
      [&](Correlator& c, Changes& changes, common::TimePoint now) {
        return c.Acknowledge(r->id(), r->actor(), now, changes);
      },
      response);
}

grpc::Status IncidentService::AssignIncident(grpc::ServerContext*, const v1::AssignIncidentRequest* r,
                                             v1::Incident* response) {
  if (auto s = CheckText(r->owner(), "owner", true, kMaxActor); !s.ok()) return common::ToGrpcStatus(s);
  if (auto s = CheckText(r->note(), "note", false, kMaxText); !s.ok()) return common::ToGrpcStatus(s);
  return Run(
      r->id(), r->actor(),
      [&](Correlator& c, Changes& changes, common::TimePoint now) {
        return c.Assign(r->id(), r->actor(), r->owner(), r->note(), now, changes);
      },
      response);
}

grpc::Status IncidentService::AddNote(grpc::ServerContext*, const v1::AddNoteRequest* r, v1::Incident* response) {
  if (auto s = CheckText(r->text(), "text", true, kMaxText); !s.ok()) return common::ToGrpcStatus(s);
  return Run(
      r->id(), r->actor(),
      [&](Correlator& c, Changes& changes, common::TimePoint now) {
        return c.AddNote(r->id(), r->actor(), r->text(), now, changes);
      },
      response);
}

grpc::Status IncidentService::ResolveIncident(grpc::ServerContext*, const v1::ResolveIncidentRequest* r,
                                              v1::Incident* response) {
  if (auto s = CheckText(r->note(), "note", false, kMaxText); !s.ok()) return common::ToGrpcStatus(s);
  return Run(
      r->id(), r->actor(),
      [&](Correlator& c, Changes& changes, common::TimePoint now) {
        return c.Resolve(r->id(), r->actor(), r->note(), now, changes);
      },
      response);
}

grpc::Status IncidentService::ReopenIncident(grpc::ServerContext*, const v1::ReopenIncidentRequest* r,
                                             v1::Incident* response) {
  if (auto s = CheckText(r->reason(), "reason", false, kMaxText); !s.ok()) return common::ToGrpcStatus(s);
  return Run(
      r->id(), r->actor(),
      [&](Correlator& c, Changes& changes, common::TimePoint now) {
        return c.Reopen(r->id(), r->actor(), r->reason(), now, changes);
      },
      response);
}

grpc::Status IncidentService::WatchIncidents(grpc::ServerContext* context, const v1::WatchIncidentsRequest* request,
                                             grpc::ServerWriter<v1::IncidentEvent>* writer) {
  if (auto s = ValidateFilter(request->filter()); !s.ok()) return common::ToGrpcStatus(s);
  auto subscription = hub_.Subscribe();
  // Headers go out now, so the client knows the watch is in place.
  writer->SendInitialMetadata();
  while (!context->IsCancelled()) {
    auto event = subscription->Next(std::chrono::milliseconds(500));
    if (!event) {
      if (subscription->dropped()) {
        return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "watcher fell too far behind; watch again");
      }
      continue;
    }
    if (!Matches(request->filter(), event->incident())) continue;
    if (!writer->Write(*event)) break;
  }
  hub_.Unsubscribe(subscription);
  return grpc::Status::OK;
}

}  // namespace cityops::incidents
