#include "dispatch_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "cityops/common/proto_time.h"
#include "cityops/common/status.h"
#include "codec.h"

namespace cityops::dispatch {
namespace {

using common::ToGrpcStatus;

using common::CheckId;

// A crisis's reason for staging a crew, and who asked.
constexpr size_t kMaxReasonBytes = 512;
constexpr size_t kMaxActorBytes = 128;

absl::Status CheckSkill(const std::string& skill) {
  const bool ok = !skill.empty() && skill.size() <= 32 && std::all_of(skill.begin(), skill.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
  if (!ok) return absl::InvalidArgumentError(absl::StrCat("skill \"", skill, "\": 1 to 32 characters of [a-z0-9_]"));
  return absl::OkStatus();
}

}  // namespace

absl::Status DispatchService::CheckPosition(const common::v1::GeoPoint& p, const char* field) const {
  if (!(p.lat() >= settings_.min_lat && p.lat() <= settings_.max_lat && p.lon() >= settings_.min_lon &&
        p.lon() <= settings_.max_lon)) {
    return absl::InvalidArgumentError(absl::StrCat(field, " (", p.lat(), ", ", p.lon(), ") is outside the city"));
  }
  return absl::OkStatus();
}

grpc::Status DispatchService::UpsertCrew(grpc::ServerContext*, const v1::UpsertCrewRequest* request,
                                         v1::Crew* response) {
  const v1::Crew& in = request->crew();
  if (auto s = CheckId(in.id(), "crew.id"); !s.ok()) return ToGrpcStatus(s);
  if (in.name().size() > 128) return ToGrpcStatus(absl::InvalidArgumentError("crew.name is over 128 bytes"));
  if (!in.vehicle_id().empty()) {
    if (auto s = CheckId(in.vehicle_id(), "crew.vehicle_id"); !s.ok()) return ToGrpcStatus(s);
  }
  if (in.skills().empty() || in.skills_size() > 16) {
    return ToGrpcStatus(absl::InvalidArgumentError("crew.skills: 1 to 16 skills"));
  }
  for (const auto& skill : in.skills()) {
    if (auto s = CheckSkill(skill); !s.ok()) return ToGrpcStatus(s);
  }
  if (auto s = CheckPosition(in.home_base(), "crew.home_base"); !s.ok()) return ToGrpcStatus(s);
  if (in.has_position()) {
    if (auto s = CheckPosition(in.position(), "crew.position"); !s.ok()) return ToGrpcStatus(s);
  }
  if (in.has_shift()) {
    if (auto shift = ParseShift(in.shift()); !shift.ok()) return ToGrpcStatus(shift.status());
  }
  Crew crew = FromProto(in);
  crew.order_id.clear();
  auto s = desk_.Execute([&](Dispatcher& d, Decisions& decisions, TimePoint) { return d.UpsertCrew(crew, decisions); });
  if (!s.ok()) return ToGrpcStatus(s);
  *response = *desk_.GetCrew(in.id());
  return grpc::Status::OK;
}

grpc::Status DispatchService::GetCrew(grpc::ServerContext*, const v1::GetCrewRequest* request, v1::Crew* response) {
  if (auto s = CheckId(request->id(), "id"); !s.ok()) return ToGrpcStatus(s);
  auto crew = desk_.GetCrew(request->id());
  if (!crew) return ToGrpcStatus(absl::NotFoundError(absl::StrCat("crew ", request->id(), " not found")));
  *response = std::move(*crew);
  return grpc::Status::OK;
}

grpc::Status DispatchService::ListCrews(grpc::ServerContext*, const v1::ListCrewsRequest* request,
                                        v1::ListCrewsResponse* response) {
  std::vector<v1::CrewStatus> statuses;
  for (int s : request->statuses()) {
    if (s == 0 || !v1::CrewStatus_IsValid(s)) {
      return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat("statuses: unknown value ", s)));
    }
    statuses.push_back(static_cast<v1::CrewStatus>(s));
  }
  if (!request->skill().empty()) {
    if (auto s = CheckSkill(request->skill()); !s.ok()) return ToGrpcStatus(s);
  }
  for (auto& crew : desk_.ListCrews(statuses, request->skill())) *response->add_crews() = std::move(crew);
  return grpc::Status::OK;
}

grpc::Status DispatchService::SetCrewAvailability(grpc::ServerContext*, const v1::SetCrewAvailabilityRequest* request,
                                                  v1::Crew* response) {
  if (auto s = CheckId(request->crew_id(), "crew_id"); !s.ok()) return ToGrpcStatus(s);
  auto s = desk_.Execute([&](Dispatcher& d, Decisions& decisions, TimePoint now) {
    return d.SetAvailability(request->crew_id(), request->available(), now, decisions);
  });
  if (!s.ok()) return ToGrpcStatus(s);
  *response = *desk_.GetCrew(request->crew_id());
  return grpc::Status::OK;
}

grpc::Status DispatchService::UpdateCrewPosition(grpc::ServerContext*, const v1::UpdateCrewPositionRequest* request,
                                                 v1::Crew* response) {
  if (auto s = CheckId(request->crew_id(), "crew_id"); !s.ok()) return ToGrpcStatus(s);
  if (auto s = CheckPosition(request->position(), "position"); !s.ok()) return ToGrpcStatus(s);
  const TimePoint now = clock_.Now();
  const TimePoint at = request->has_at() ? common::FromProtoTime(request->at()) : now;
  if (at > now + std::chrono::minutes(5)) {
    return ToGrpcStatus(absl::InvalidArgumentError("at is more than 5 minutes in the future"));
  }
  auto s = desk_.Execute([&](Dispatcher& d, Decisions& decisions, TimePoint) {
    return d.SetPosition(request->crew_id(), {request->position().lat(), request->position().lon()}, at, decisions);
  });
  if (!s.ok()) return ToGrpcStatus(s);
  *response = *desk_.GetCrew(request->crew_id());
  return grpc::Status::OK;
}

grpc::Status DispatchService::StageCrew(grpc::ServerContext*, const v1::StageCrewRequest* request, v1::Crew* response) {
  if (auto s = CheckId(request->crew_id(), "crew_id"); !s.ok()) return ToGrpcStatus(s);
  if (auto s = CheckId(request->crisis_id(), "crisis_id"); !s.ok()) return ToGrpcStatus(s);
  if (request->reason().size() > kMaxReasonBytes) {
    return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat("reason is over ", kMaxReasonBytes, " bytes")));
  }
  if (request->actor().size() > kMaxActorBytes) {
    return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat("actor is over ", kMaxActorBytes, " bytes")));
  }
  CrewStaging staging;
  staging.crisis_id = request->crisis_id();
  staging.reason = request->reason();
  staging.staged_by = request->actor();
  if (request->has_position()) {
    if (auto s = CheckPosition(request->position(), "position"); !s.ok()) return ToGrpcStatus(s);
    staging.position = Point{request->position().lat(), request->position().lon()};
    staging.district = districts_.Locate(request->position().lat(), request->position().lon());
  }
  auto crew = desk_.StageCrew(request->crew_id(), staging, request->call_in());
  if (!crew.ok()) return ToGrpcStatus(crew.status());
  *response = std::move(*crew);
  return grpc::Status::OK;
}

grpc::Status DispatchService::ReleaseCrew(grpc::ServerContext*, const v1::ReleaseCrewRequest* request,
                                          v1::Crew* response) {
  if (auto s = CheckId(request->crew_id(), "crew_id"); !s.ok()) return ToGrpcStatus(s);
  if (auto s = CheckId(request->crisis_id(), "crisis_id"); !s.ok()) return ToGrpcStatus(s);
  if (request->actor().size() > kMaxActorBytes) {
    return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat("actor is over ", kMaxActorBytes, " bytes")));
  }
  auto crew = desk_.ReleaseCrew(request->crew_id(), request->crisis_id(), request->actor());
  if (!crew.ok()) return ToGrpcStatus(crew.status());
  *response = std::move(*crew);
  return grpc::Status::OK;
}

grpc::Status DispatchService::AnswerOrder(const std::string& id, v1::WorkOrder* response) {
  auto order = store_.GetOrder(id);  // committed: the store has it, finished or not
  if (!order.ok()) return ToGrpcStatus(order.status());
  *response = std::move(*order);
  return grpc::Status::OK;
}

grpc::Status DispatchService::CrewCommand(const v1::CrewWorkOrderRequest* request,
                                          absl::Status (Dispatcher::*command)(const std::string&, const std::string&,
                                                                              TimePoint, Decisions&),
                                          v1::WorkOrder* response) {
  if (auto s = CheckId(request->crew_id(), "crew_id"); !s.ok()) return ToGrpcStatus(s);
  if (auto s = CheckId(request->work_order_id(), "work_order_id"); !s.ok()) return ToGrpcStatus(s);
  auto s = desk_.Execute([&](Dispatcher& d, Decisions& decisions, TimePoint now) {
    return (d.*command)(request->crew_id(), request->work_order_id(), now, decisions);
  });
  if (!s.ok()) return ToGrpcStatus(s);
  return AnswerOrder(request->work_order_id(), response);
}

grpc::Status DispatchService::AcceptWorkOrder(grpc::ServerContext*, const v1::CrewWorkOrderRequest* r,
                                              v1::WorkOrder* out) {
  return CrewCommand(r, &Dispatcher::Accept, out);
}
grpc::Status DispatchService::DeclineWorkOrder(grpc::ServerContext*, const v1::CrewWorkOrderRequest* r,
                                               v1::WorkOrder* out) {
  return CrewCommand(r, &Dispatcher::Decline, out);
}
grpc::Status DispatchService::ArriveAtWorkOrder(grpc::ServerContext*, const v1::CrewWorkOrderRequest* r,
                                                v1::WorkOrder* out) {
  return CrewCommand(r, &Dispatcher::Arrive, out);
}
grpc::Status DispatchService::CompleteWorkOrder(grpc::ServerContext*, const v1::CrewWorkOrderRequest* r,
                                                v1::WorkOrder* out) {
  return CrewCommand(r, &Dispatcher::Complete, out);
}

grpc::Status DispatchService::AssignWorkOrder(grpc::ServerContext*, const v1::AssignWorkOrderRequest* request,
                                              v1::WorkOrder* response) {
  if (auto s = CheckId(request->work_order_id(), "work_order_id"); !s.ok()) return ToGrpcStatus(s);
  if (auto s = CheckId(request->crew_id(), "crew_id"); !s.ok()) return ToGrpcStatus(s);
  if (request->actor().empty() || request->actor().size() > 128) {
    return ToGrpcStatus(absl::InvalidArgumentError("actor is required (at most 128 bytes)"));
  }
  auto s = desk_.Execute([&](Dispatcher& d, Decisions& decisions, TimePoint now) {
    return d.AssignManually(request->work_order_id(), request->crew_id(), request->actor(), request->override_skill(),
                            now, decisions);
  });
  if (!s.ok()) return ToGrpcStatus(s);
  return AnswerOrder(request->work_order_id(), response);
}

grpc::Status DispatchService::GetWorkOrder(grpc::ServerContext*, const v1::GetWorkOrderRequest* request,
                                           v1::WorkOrder* response) {
  if (auto s = CheckId(request->id(), "id"); !s.ok()) return ToGrpcStatus(s);
  return AnswerOrder(request->id(), response);
}

grpc::Status DispatchService::ListWorkOrders(grpc::ServerContext*, const v1::ListWorkOrdersRequest* request,
                                             v1::ListWorkOrdersResponse* response) {
  auto query = MakeOrderQuery(*request);
  if (!query.ok()) return ToGrpcStatus(query.status());
  auto page = store_.ListOrders(*query);
  if (!page.ok()) return ToGrpcStatus(page.status());
  *response = std::move(*page);
  return grpc::Status::OK;
}

grpc::Status DispatchService::WatchAssignments(grpc::ServerContext* context, const v1::WatchAssignmentsRequest* request,
                                               grpc::ServerWriter<v1::AssignmentEvent>* writer) {
  if (!request->crew_id().empty()) {
    if (auto s = CheckId(request->crew_id(), "crew_id"); !s.ok()) return ToGrpcStatus(s);
  }
  auto subscription = feed_.Subscribe();
  writer->SendInitialMetadata();
  while (!context->IsCancelled()) {
    auto event = subscription->Next(std::chrono::milliseconds(500));
    if (!event) {
      if (subscription->dropped()) {
        feed_.Unsubscribe(subscription);
        return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "watcher fell too far behind; watch again");
      }
      continue;
    }
    if (!request->crew_id().empty() && event->crew_id() != request->crew_id() &&
        event->work_order().crew_id() != request->crew_id()) {
      continue;
    }
    if (!writer->Write(*event)) break;
  }
  feed_.Unsubscribe(subscription);
  return grpc::Status::OK;
}

}  // namespace cityops::dispatch
