#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/statusor.h"
#include "cityops/lighting/v1/lighting.pb.h"
#include "domain/energy.h"
#include "domain/model.h"

// The service's tables (migrations/0001_init.sql), as named statements over a
// transaction. Everything the desk holds in memory can be loaded back from
// them; libpqxx exceptions are the caller's transaction's (PgPool maps them).
namespace cityops::lighting::store {

struct PointRow {
  LightPoint point;
  bool retired = false;
  int64_t version = 0;
};

struct Schedule {
  std::vector<DimmingProfile> profiles;
  std::string default_profile;  // empty: none stored yet
  std::vector<std::pair<Scope, std::string>> assignments;
  std::vector<CalendarException> exceptions;
  std::vector<Override> overrides;  // live ones: not cancelled, not expired
  int64_t last_override_number = 0;
};

struct CommandedRow {
  std::string point_id;
  uint8_t level = 0;
  TimePoint at{};
  bool confirmed = false;
  bool reported = false;
};

struct MeterRow {
  std::string point_id;
  TimePoint last_at{};
  double last_w = 0;
};

// The light points in service (not retired).
std::vector<LightPoint> LoadPoints(pqxx::work& tx);
// Newer versions win (a replayed asset event changes nothing).
void UpsertPoints(pqxx::work& tx, const std::vector<PointRow>& rows);

absl::StatusOr<Schedule> LoadSchedule(pqxx::work& tx, TimePoint now);
void SaveProfile(pqxx::work& tx, const DimmingProfile& profile, bool is_default);
void SaveAssignment(pqxx::work& tx, const Scope& group, const std::string& profile_id);
void SaveException(pqxx::work& tx, const CalendarException& exception);
void DeleteException(pqxx::work& tx, const std::string& id);
void SaveOverride(pqxx::work& tx, const Override& override_, int64_t number);
void CancelOverride(pqxx::work& tx, const std::string& id, TimePoint at, const std::string& by);
// The stored override (cancelled or not), for answers.
std::optional<v1::Override> GetOverride(pqxx::work& tx, const std::string& id);

std::vector<CommandedRow> LoadCommanded(pqxx::work& tx);
// These points were commanded to these levels at `at` (waiting for confirmation).
void SaveCommanded(pqxx::work& tx, const std::vector<std::string>& point_ids, const std::vector<int>& levels,
                   TimePoint at);
void SetConfirmed(pqxx::work& tx, const std::vector<std::string>& point_ids);
// Reported as not applied (at `at`), or its report cleared (nullopt).
void SetReported(pqxx::work& tx, const std::vector<std::string>& point_ids, std::optional<TimePoint> at);

std::vector<MeterRow> LoadMeters(pqxx::work& tx);
void SaveMeters(pqxx::work& tx, const std::vector<MeterRow>& meters);
std::vector<DistrictDayEnergy> LoadEnergy(pqxx::work& tx);
void SaveEnergy(pqxx::work& tx, const std::vector<DistrictDayEnergy>& days);

void Audit(pqxx::work& tx, const std::string& actor, const std::string& action, const std::string& target_id,
           const std::string& detail);
std::vector<v1::AuditEntry> ListAudit(pqxx::work& tx, int limit);

}  // namespace cityops::lighting::store
