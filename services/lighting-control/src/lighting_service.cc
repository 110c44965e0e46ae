#include "lighting_service.h"

#include "absl/strings/str_cat.h"
#include "cityops/common/proto_time.h"
#include "cityops/common/status.h"
#include "codec.h"
#include "lighting_store.h"

namespace cityops::lighting {
namespace {

using common::CheckId;
using common::ToGrpcStatus;

constexpr int kMaxListedLevels = 1000;
constexpr int kMaxReportDays = 366;

absl::Status CheckActor(const std::string& actor) {
  if (actor.empty()) return absl::InvalidArgumentError("actor: required (who asks)");
  if (actor.size() > 128) return absl::InvalidArgumentError("actor: at most 128 characters");
  return absl::OkStatus();
}

absl::Status CheckText(const std::string& text, const char* field, size_t max) {
  if (text.size() > max) return absl::InvalidArgumentError(absl::StrCat(field, ": at most ", max, " characters"));
  if (text.find('\0') != std::string::npos) return absl::InvalidArgumentError(absl::StrCat(field, ": contains NUL"));
  return absl::OkStatus();
}

bool HasTime(const google::protobuf::Timestamp& t) { return t.seconds() != 0 || t.nanos() != 0; }

}  // namespace

v1::DimmingProfile LightingService::ProfileWithGroups(const Planner& planner, const DimmingProfile& profile) const {
  v1::DimmingProfile out = ToProto(profile);
  for (const auto& [group, id] : planner.Assignments()) {
    if (id == profile.id) *out.add_assigned_to() = ToProto(group);
  }
  return out;
}

grpc::Status LightingService::SaveProfile(const v1::DimmingProfile& in, const std::string& actor, bool create,
                                          v1::DimmingProfile* response) {
  if (auto s = CheckActor(actor); !s.ok()) return ToGrpcStatus(s);
  if (auto s = CheckId(in.id(), "profile.id"); !s.ok()) return ToGrpcStatus(s);
  if (auto s = CheckText(in.name(), "profile.name", 128); !s.ok()) return ToGrpcStatus(s);
  auto profile = FromProto(in);
  if (!profile.ok()) return ToGrpcStatus(profile.status());
  auto s = desk_.Execute([&](LightingDesk::Context& c) -> absl::Status {
    const bool exists = c.planner.FindProfile(profile->id) != nullptr;
    if (create && exists) return absl::AlreadyExistsError(absl::StrCat("profile ", profile->id, " exists"));
    if (!create && !exists) return absl::NotFoundError(absl::StrCat("profile ", profile->id, " not found"));
    CITYOPS_RETURN_IF_ERROR(c.planner.UpsertProfile(*profile));
    const DimmingProfile stored = *profile;
    c.writes.push_back([stored, actor, create](pqxx::work& tx) {
      store::SaveProfile(tx, stored, false);
      store::Audit(tx, actor, create ? "profile.create" : "profile.update", stored.id,
                   ToProto(stored).ShortDebugString());
    });
    return absl::OkStatus();
  });
  if (!s.ok()) return ToGrpcStatus(s);
  *response = desk_.Read([&](const Planner* planner, const CityIndex*, const EnergyMeter*, TimePoint) {
    return ProfileWithGroups(*planner, *planner->FindProfile(profile->id));
  });
  return grpc::Status::OK;
}

grpc::Status LightingService::CreateProfile(grpc::ServerContext*, const v1::CreateProfileRequest* request,
                                            v1::DimmingProfile* response) {
  return SaveProfile(request->profile(), request->actor(), true, response);
}

grpc::Status LightingService::UpdateProfile(grpc::ServerContext*, const v1::UpdateProfileRequest* request,
                                            v1::DimmingProfile* response) {
  return SaveProfile(request->profile(), request->actor(), false, response);
}

grpc::Status LightingService::AssignProfile(grpc::ServerContext*, const v1::AssignProfileRequest* request,
                                            v1::DimmingProfile* response) {
  if (auto s = CheckActor(request->actor()); !s.ok()) return ToGrpcStatus(s);
  if (auto s = CheckId(request->profile_id(), "profile_id"); !s.ok()) return ToGrpcStatus(s);
  auto group = FromProto(request->scope(), "scope");
  if (!group.ok()) return ToGrpcStatus(group.status());
  if (!group->is_group()) {
    return ToGrpcStatus(
        absl::InvalidArgumentError("scope: a profile goes to a group (cabinet, street, road class, district, city)"));
  }
  const std::string& actor = request->actor();
  const std::string& profile_id = request->profile_id();
  auto s = desk_.Execute([&](LightingDesk::Context& c) -> absl::Status {
    CITYOPS_RETURN_IF_ERROR(c.planner.AssignProfile(*group, profile_id));
    const Scope scope = *group;
    c.writes.push_back([scope, profile_id, actor](pqxx::work& tx) {
      store::SaveAssignment(tx, scope, profile_id);
      store::Audit(tx, actor, "profile.assign", profile_id, ScopeName(scope));
    });
    return absl::OkStatus();
  });
  if (!s.ok()) return ToGrpcStatus(s);
  *response = desk_.Read([&](const Planner* planner, const CityIndex*, const EnergyMeter*, TimePoint) {
    return ProfileWithGroups(*planner, *planner->FindProfile(profile_id));
  });
  return grpc::Status::OK;
}

grpc::Status LightingService::ListProfiles(grpc::ServerContext*, const v1::ListProfilesRequest*,
                                           v1::ListProfilesResponse* response) {
  desk_.Read([&](const Planner* planner, const CityIndex*, const EnergyMeter*, TimePoint) {
    if (planner == nullptr) return 0;
    for (const auto& p : planner->profiles()) *response->add_profiles() = ProfileWithGroups(*planner, p);
    return 0;
  });
  return grpc::Status::OK;
}

grpc::Status LightingService::CreateException(grpc::ServerContext*, const v1::CreateExceptionRequest* request,
                                              v1::CalendarException* response) {
  if (auto s = CheckActor(request->actor()); !s.ok()) return ToGrpcStatus(s);
  v1::CalendarException in = request->exception();
  const std::string& actor = request->actor();
  if (in.id().empty()) {
    in.set_id(absl::StrCat("EXC-", std::chrono::duration_cast<std::chrono::microseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count()));
  }
  if (auto s = CheckId(in.id(), "exception.id"); !s.ok()) return ToGrpcStatus(s);
  if (auto s = CheckText(in.reason(), "exception.reason", 256); !s.ok()) return ToGrpcStatus(s);
  auto exception = FromProto(in);
  if (!exception.ok()) return ToGrpcStatus(exception.status());
  auto s = desk_.Execute([&](LightingDesk::Context& c) -> absl::Status {
    CITYOPS_RETURN_IF_ERROR(c.planner.AddException(*exception));
    const CalendarException stored = *exception;
    c.writes.push_back([stored, actor](pqxx::work& tx) {
      store::SaveException(tx, stored);
      store::Audit(tx, actor, "exception.create", stored.id, ToProto(stored).ShortDebugString());
    });
    return absl::OkStatus();
  });
  if (!s.ok()) return ToGrpcStatus(s);
  *response = ToProto(*exception);
  return grpc::Status::OK;
}

grpc::Status LightingService::DeleteException(grpc::ServerContext*, const v1::DeleteExceptionRequest* request,
                                              v1::CalendarException* response) {
  if (auto s = CheckActor(request->actor()); !s.ok()) return ToGrpcStatus(s);
  if (auto s = CheckId(request->id(), "id"); !s.ok()) return ToGrpcStatus(s);
  const std::string& id = request->id();
  const std::string& actor = request->actor();
  auto s = desk_.Execute([&](LightingDesk::Context& c) -> absl::Status {
    for (const auto& e : c.planner.exceptions()) {
      if (e.id == id) *response = ToProto(e);
    }
    CITYOPS_RETURN_IF_ERROR(c.planner.RemoveException(id));
    c.writes.push_back([id, actor](pqxx::work& tx) {
      store::DeleteException(tx, id);
      store::Audit(tx, actor, "exception.delete", id, "");
    });
    return absl::OkStatus();
  });
  return ToGrpcStatus(s);
}

grpc::Status LightingService::ListExceptions(grpc::ServerContext*, const v1::ListExceptionsRequest*,
                                             v1::ListExceptionsResponse* response) {
  desk_.Read([&](const Planner* planner, const CityIndex*, const EnergyMeter*, TimePoint) {
    if (planner == nullptr) return 0;
    for (const auto& e : planner->exceptions()) *response->add_exceptions() = ToProto(e);
    return 0;
  });
  return grpc::Status::OK;
}

grpc::Status LightingService::CreateOverride(grpc::ServerContext*, const v1::CreateOverrideRequest* request,
                                             v1::Override* response) {
  if (auto s = CheckActor(request->actor()); !s.ok()) return ToGrpcStatus(s);
  if (auto s = CheckText(request->override().reason(), "override.reason", 256); !s.ok()) return ToGrpcStatus(s);
  if (request->override().reason().empty()) {
    return ToGrpcStatus(absl::InvalidArgumentError("override.reason: required (why)"));
  }
  auto asked = FromProto(request->override());
  if (!asked.ok()) return ToGrpcStatus(asked.status());
  const std::string& actor = request->actor();
  Override created;
  auto s = desk_.Execute([&](LightingDesk::Context& c) -> absl::Status {
    Override o = *asked;
    if (!HasTime(request->override().start())) o.start = c.now;
    o.created_by = actor;
    const int64_t number = c.NextOverrideNumber();
    o.id = absl::StrCat("OVR-", number);
    CITYOPS_RETURN_IF_ERROR(c.planner.AddOverride(o, c.now));
    c.writes.push_back([o, number, actor](pqxx::work& tx) {
      store::SaveOverride(tx, o, number);
      store::Audit(tx, actor, "override.create", o.id, ToProto(o).ShortDebugString());
    });
    created = o;
    return absl::OkStatus();
  });
  if (!s.ok()) return ToGrpcStatus(s);
  *response = ToProto(created);
  return grpc::Status::OK;
}

grpc::Status LightingService::CancelOverride(grpc::ServerContext*, const v1::CancelOverrideRequest* request,
                                             v1::Override* response) {
  if (auto s = CheckActor(request->actor()); !s.ok()) return ToGrpcStatus(s);
  if (auto s = CheckId(request->id(), "id"); !s.ok()) return ToGrpcStatus(s);
  const std::string& id = request->id();
  const std::string& actor = request->actor();
  auto s = desk_.Execute([&](LightingDesk::Context& c) -> absl::Status {
    CITYOPS_RETURN_IF_ERROR(c.planner.CancelOverride(id));
    const TimePoint at = c.now;
    c.writes.push_back([id, actor, at](pqxx::work& tx) {
      store::CancelOverride(tx, id, at, actor);
      store::Audit(tx, actor, "override.cancel", id, "");
    });
    return absl::OkStatus();
  });
  if (!s.ok()) return ToGrpcStatus(s);
  std::optional<v1::Override> stored;
  auto read = pool_.WithTransaction([&](pqxx::work& tx) {
    stored = store::GetOverride(tx, id);
    return absl::OkStatus();
  });
  if (!read.ok()) return ToGrpcStatus(read);
  if (stored) *response = *stored;
  return grpc::Status::OK;
}

grpc::Status LightingService::ListActiveOverrides(grpc::ServerContext*, const v1::ListActiveOverridesRequest*,
                                                  v1::ListActiveOverridesResponse* response) {
  desk_.Read([&](const Planner* planner, const CityIndex*, const EnergyMeter*, TimePoint now) {
    if (planner == nullptr) return 0;
    for (const auto& o : planner->ActiveOverrides(now)) *response->add_overrides() = ToProto(o);
    return 0;
  });
  return grpc::Status::OK;
}

grpc::Status LightingService::GetEffectiveLevel(grpc::ServerContext*, const v1::GetEffectiveLevelRequest* request,
                                                v1::GetEffectiveLevelResponse* response) {
  auto scope = FromProto(request->scope(), "scope");
  if (!scope.ok()) return ToGrpcStatus(scope.status());
  auto s = desk_.Read([&](const Planner* planner, const CityIndex* city, const EnergyMeter*, TimePoint now) {
    if (planner == nullptr) return absl::UnavailableError("lighting control is loading");
    if (!city->Knows(*scope)) return absl::NotFoundError(absl::StrCat(ScopeName(*scope), " is not in the city"));
    const TimePoint at = HasTime(request->at()) ? common::FromProtoTime(request->at()) : now;
    int total = 0;
    for (PointIndex p = 0; p < city->point_count(); ++p) {
      if (!city->Covers(*scope, p)) continue;
      if (++total > kMaxListedLevels) continue;
      const Planner::Decision why = planner->Explain(p, at);
      auto* level = response->add_levels();
      level->set_point_id(city->point_id(p));
      level->set_level(why.level);
      switch (why.source) {
        case Planner::Decision::Source::kOverride:
          level->set_source(absl::StrCat("override ", why.override_id));
          break;
        case Planner::Decision::Source::kException:
          level->set_source(absl::StrCat("exception ", why.exception_id, " (profile ", why.profile_id, ")"));
          break;
        case Planner::Decision::Source::kGroupProfile:
          level->set_source(absl::StrCat("profile ", why.profile_id, " of ", ScopeName(why.group)));
          break;
        case Planner::Decision::Source::kDefaultProfile:
          level->set_source(absl::StrCat("default profile ", why.profile_id));
          break;
      }
    }
    response->set_total(total);
    return absl::OkStatus();
  });
  return ToGrpcStatus(s);
}

grpc::Status LightingService::GetEnergyReport(grpc::ServerContext*, const v1::GetEnergyReportRequest* request,
                                              v1::GetEnergyReportResponse* response) {
  auto first = ParseDate(request->first_date(), "first_date");
  if (!first.ok()) return ToGrpcStatus(first.status());
  auto last = ParseDate(request->last_date(), "last_date");
  if (!last.ok()) return ToGrpcStatus(last.status());
  if (*last < *first) return ToGrpcStatus(absl::InvalidArgumentError("last_date: before first_date"));
  if (DaysFromCivil(*last) - DaysFromCivil(*first) >= kMaxReportDays) {
    return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat("at most ", kMaxReportDays, " days in one report")));
  }
  auto s = desk_.Read([&](const Planner*, const CityIndex* city, const EnergyMeter* meter, TimePoint) {
    if (city == nullptr) return absl::UnavailableError("lighting control is loading");
    std::vector<int> districts;
    for (DistrictSlot d = 0; d < city->district_count(); ++d) {
      const int number = city->district(d).number;
      if (request->district() == 0 || request->district() == number) districts.push_back(number);
    }
    if (request->district() != 0 && districts.empty()) {
      return absl::NotFoundError(absl::StrCat("district ", request->district(), " has no light points"));
    }
    for (int district : districts) {
      for (CivilDate day = *first; day <= *last; day = AddDays(day, 1)) {
        const DistrictDayEnergy e = meter->Report(district, day);
        auto* out = response->add_days();
        out->set_district(district);
        out->set_date(FormatDate(day));
        out->set_measured_wh(e.energy.measured_wh);
        out->set_estimated_wh(e.energy.estimated_wh);
        out->set_baseline_wh(e.baseline_wh);
        out->set_saved_pct(e.savings_pct());
        out->set_light_points(static_cast<int>(e.points));
      }
    }
    return absl::OkStatus();
  });
  return ToGrpcStatus(s);
}

grpc::Status LightingService::ListAudit(grpc::ServerContext*, const v1::ListAuditRequest* request,
                                        v1::ListAuditResponse* response) {
  if (request->limit() < 0 || request->limit() > 1000) {
    return ToGrpcStatus(absl::InvalidArgumentError("limit: 0 (default 100) to 1,000"));
  }
  const int limit = request->limit() == 0 ? 100 : request->limit();
  auto s = pool_.WithTransaction([&](pqxx::work& tx) {
    for (auto& e : store::ListAudit(tx, limit)) *response->add_entries() = std::move(e);
    return absl::OkStatus();
  });
  return ToGrpcStatus(s);
}

grpc::Status LightingService::WatchCommands(grpc::ServerContext* context, const v1::WatchCommandsRequest* request,
                                            grpc::ServerWriter<v1::LightingCommand>* writer) {
  if (!request->cabinet_id().empty()) {
    if (auto s = CheckId(request->cabinet_id(), "cabinet_id"); !s.ok()) return ToGrpcStatus(s);
  }
  // Subscribed first, then the state: a command committed in between comes
  // twice, which sets the same level again.
  auto subscription = feed_.Subscribe();
  writer->SendInitialMetadata();
  for (const auto& command : desk_.CurrentCommands()) {
    if (!request->cabinet_id().empty() && command.cabinet_id() != request->cabinet_id()) continue;
    if (!writer->Write(command)) {
      feed_.Unsubscribe(subscription);
      return grpc::Status::OK;
    }
  }
  while (!context->IsCancelled()) {
    auto command = subscription->Next(std::chrono::milliseconds(500));
    if (!command) {
      if (subscription->dropped()) {
        feed_.Unsubscribe(subscription);
        return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "watcher fell too far behind; watch again");
      }
      continue;
    }
    if (!request->cabinet_id().empty() && command->cabinet_id() != request->cabinet_id()) continue;
    if (!writer->Write(*command)) break;
  }
  feed_.Unsubscribe(subscription);
  return grpc::Status::OK;
}

}  // namespace cityops::lighting
