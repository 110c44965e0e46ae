#pragma once

#include "cityops/common/clock.h"
#include "cityops/common/pg.h"
#include "cityops/lighting/v1/lighting_control.grpc.pb.h"
#include "lighting_desk.h"

namespace cityops::lighting {

// cityops.lighting.v1.LightingControl: checks each request, then hands it to
// the desk (changes) or reads under its lock. Errors: INVALID_ARGUMENT (bad
// level, scope, dates, expiry...), NOT_FOUND (unknown profile, group, override,
// point), ALREADY_EXISTS (a profile id taken), FAILED_PRECONDITION (overlapping
// exceptions are INVALID_ARGUMENT, as the domain says).
class LightingService final : public v1::LightingControl::Service {
 public:
  LightingService(LightingDesk& desk, common::PgPool& pool, CommandFeed& feed)
      : desk_(desk), pool_(pool), feed_(feed) {}

  grpc::Status CreateProfile(grpc::ServerContext*, const v1::CreateProfileRequest*, v1::DimmingProfile*) override;
  grpc::Status UpdateProfile(grpc::ServerContext*, const v1::UpdateProfileRequest*, v1::DimmingProfile*) override;
  grpc::Status AssignProfile(grpc::ServerContext*, const v1::AssignProfileRequest*, v1::DimmingProfile*) override;
  grpc::Status ListProfiles(grpc::ServerContext*, const v1::ListProfilesRequest*, v1::ListProfilesResponse*) override;
  grpc::Status CreateException(grpc::ServerContext*, const v1::CreateExceptionRequest*,
                               v1::CalendarException*) override;
  grpc::Status DeleteException(grpc::ServerContext*, const v1::DeleteExceptionRequest*,
                               v1::CalendarException*) override;
  grpc::Status ListExceptions(grpc::ServerContext*, const v1::ListExceptionsRequest*,
                              v1::ListExceptionsResponse*) override;
  grpc::Status CreateOverride(grpc::ServerContext*, const v1::CreateOverrideRequest*, v1::Override*) override;
  grpc::Status CancelOverride(grpc::ServerContext*, const v1::CancelOverrideRequest*, v1::Override*) override;
  grpc::Status ListActiveOverrides(grpc::ServerContext*, const v1::ListActiveOverridesRequest*,
                                   v1::ListActiveOverridesResponse*) override;
  grpc::Status GetEffectiveLevel(grpc::ServerContext*, const v1::GetEffectiveLevelRequest*,
                                 v1::GetEffectiveLevelResponse*) override;
  grpc::Status GetEnergyReport(grpc::ServerContext*, const v1::GetEnergyReportRequest*,
                               v1::GetEnergyReportResponse*) override;
  grpc::Status ListAudit(grpc::ServerContext*, const v1::ListAuditRequest*, v1::ListAuditResponse*) override;
  grpc::Status WatchCommands(grpc::ServerContext*, const v1::WatchCommandsRequest*,
                             grpc::ServerWriter<v1::LightingCommand>*) override;

 private:
  // A new or changed profile (create: must not exist; update: must).
  grpc::Status SaveProfile(const v1::DimmingProfile& in, const std::string& actor, bool create,
                           v1::DimmingProfile* response);
  v1::DimmingProfile ProfileWithGroups(const Planner& planner, const DimmingProfile& profile) const;

  LightingDesk& desk_;
  common::PgPool& pool_;
  CommandFeed& feed_;
};

}  // namespace cityops::lighting
