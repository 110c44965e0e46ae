#include "lighting_store.h"

#include "absl/strings/str_cat.h"
#include "cityops/common/pg.h"
#include "cityops/common/proto_time.h"
#include "codec.h"

namespace cityops::lighting::store {
namespace {

using common::FromEpochMicros;
using common::PgBoolArray;
using common::PgByteaArray;
using common::PgNumberArray;
using common::PgTextArray;
using common::ToPgTimestamp;

constexpr const char* kSelectPoints =
    "SELECT id, cabinet_id, district, street, rated_w, baseline_w, road_class FROM light_points WHERE NOT retired "
    "ORDER BY id";
constexpr const char* kUpsertPoints =
    "INSERT INTO light_points (id, cabinet_id, district, street, rated_w, baseline_w, retired, version, road_class) "
    "SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::float8[], $6::float8[], $7::bool[], "
    "$8::int8[], $9::text[]) "
    "ON CONFLICT (id) DO UPDATE SET cabinet_id = EXCLUDED.cabinet_id, district = EXCLUDED.district, "
    "street = EXCLUDED.street, rated_w = EXCLUDED.rated_w, baseline_w = EXCLUDED.baseline_w, "
    "road_class = EXCLUDED.road_class, "
    "retired = EXCLUDED.retired, version = EXCLUDED.version, updated_at = now() "
    "WHERE light_points.version < EXCLUDED.version";
constexpr const char* kMicros = "(extract(epoch from {}) * 1000000)::int8";

std::string Micros(const char* column) {
  std::string out = kMicros;
  out.replace(out.find("{}"), 2, column);
  return out;
}

template <typename Message>
bool Decode(const pqxx::field& field, Message& out) {
  const pqxx::binarystring bytes(field);
  return out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

}  // namespace

std::vector<LightPoint> LoadPoints(pqxx::work& tx) {
  std::vector<LightPoint> points;
  for (const auto& row : tx.exec(kSelectPoints)) {
    LightPoint p;
    p.id = row[0].as<std::string>();
    p.cabinet_id = row[1].as<std::string>();
    p.district = row[2].as<int>();
    p.street = row[3].as<std::string>();
    p.rated_w = row[4].as<double>();
    p.baseline_w = row[5].as<double>();
    p.road_class = row[6].as<std::string>();
    points.push_back(std::move(p));
  }
  return points;
}

void UpsertPoints(pqxx::work& tx, const std::vector<PointRow>& rows) {
  if (rows.empty()) return;
  std::vector<std::string> ids, cabinets, streets, road_classes;
  std::vector<bool> retired;
  std::vector<int> districts;
  std::vector<double> rated, baseline;
  std::vector<int64_t> versions;
  for (const auto& r : rows) {
    ids.push_back(r.point.id);
    cabinets.push_back(r.point.cabinet_id);
    districts.push_back(r.point.district);
    streets.push_back(r.point.street);
    road_classes.push_back(r.point.road_class);
    rated.push_back(r.point.rated_w);
    baseline.push_back(r.point.baseline_w);
    retired.push_back(r.retired);
    versions.push_back(r.version);
  }
  tx.exec_params(kUpsertPoints, PgTextArray(ids), PgTextArray(cabinets), PgNumberArray(districts), PgTextArray(streets),
                 PgNumberArray(rated), PgNumberArray(baseline), PgBoolArray(retired), PgNumberArray(versions),
                 PgTextArray(road_classes));
}

absl::StatusOr<Schedule> LoadSchedule(pqxx::work& tx, TimePoint now) {
  Schedule schedule;
  for (const auto& row : tx.exec("SELECT body, is_default FROM profiles ORDER BY id")) {
    v1::DimmingProfile proto;
    if (!Decode(row[0], proto)) return absl::DataLossError("a stored profile does not decode");
    auto profile = FromProto(proto);
    if (!profile.ok()) return profile.status();
    if (row[1].as<bool>()) schedule.default_profile = profile->id;
    schedule.profiles.push_back(std::move(*profile));
  }
  for (const auto& row : tx.exec("SELECT scope, profile_id FROM profile_assignments ORDER BY scope_key")) {
    v1::Scope proto;
    if (!Decode(row[0], proto)) return absl::DataLossError("a stored assignment does not decode");
    auto scope = FromProto(proto, "scope");
    if (!scope.ok()) return scope.status();
    schedule.assignments.emplace_back(*scope, row[1].as<std::string>());
  }
  for (const auto& row : tx.exec("SELECT body FROM calendar_exceptions ORDER BY id")) {
    v1::CalendarException proto;
    if (!Decode(row[0], proto)) return absl::DataLossError("a stored exception does not decode");
    auto exception = FromProto(proto);
    if (!exception.ok()) return exception.status();
    schedule.exceptions.push_back(std::move(*exception));
  }
  for (const auto& row : tx.exec_params(
           "SELECT body FROM overrides WHERE cancelled_at IS NULL AND expiry > $1::timestamptz ORDER BY number",
           ToPgTimestamp(now))) {
    v1::Override proto;
    if (!Decode(row[0], proto)) return absl::DataLossError("a stored override does not decode");
    auto o = FromProto(proto);
    if (!o.ok()) return o.status();
    schedule.overrides.push_back(std::move(*o));
  }
  const auto last = tx.exec("SELECT coalesce(max(number), 0) FROM overrides");
  schedule.last_override_number = last[0][0].as<int64_t>();
  return schedule;
}

void SaveProfile(pqxx::work& tx, const DimmingProfile& profile, bool is_default) {
  tx.exec_params(
      "INSERT INTO profiles (id, body, is_default) SELECT * FROM unnest($1::text[], $2::bytea[], $3::bool[]) "
      "ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body, is_default = profiles.is_default OR EXCLUDED.is_default, "
      "updated_at = now()",
      PgTextArray({profile.id}), PgByteaArray({ToProto(profile).SerializeAsString()}), PgBoolArray({is_default}));
}

void SaveAssignment(pqxx::work& tx, const Scope& group, const std::string& profile_id) {
  tx.exec_params(
      "INSERT INTO profile_assignments (scope_key, scope, profile_id) "
      "SELECT * FROM unnest($1::text[], $2::bytea[], $3::text[]) "
      "ON CONFLICT (scope_key) DO UPDATE SET profile_id = EXCLUDED.profile_id",
      PgTextArray({ScopeKey(group)}), PgByteaArray({ToProto(group).SerializeAsString()}), PgTextArray({profile_id}));
}

void SaveException(pqxx::work& tx, const CalendarException& exception) {
  tx.exec_params("INSERT INTO calendar_exceptions (id, body) SELECT * FROM unnest($1::text[], $2::bytea[])",
                 PgTextArray({exception.id}), PgByteaArray({ToProto(exception).SerializeAsString()}));
}

void DeleteException(pqxx::work& tx, const std::string& id) {
  tx.exec_params("DELETE FROM calendar_exceptions WHERE id = $1", id);
}

void SaveOverride(pqxx::work& tx, const Override& o, int64_t number) {
  tx.exec_params(
      "INSERT INTO overrides (id, number, body, expiry) "
      "SELECT * FROM unnest($1::text[], $2::int8[], $3::bytea[], $4::timestamptz[])",
      PgTextArray({o.id}), PgNumberArray(std::vector<int64_t>{number}), PgByteaArray({ToProto(o).SerializeAsString()}),
      PgTextArray({ToPgTimestamp(o.expiry.value_or(o.start))}));
}

void CancelOverride(pqxx::work& tx, const std::string& id, TimePoint at, const std::string& by) {
  const auto rows = tx.exec_params("SELECT body FROM overrides WHERE id = $1", id);
  if (rows.empty()) return;
  v1::Override proto;
  if (!Decode(rows[0][0], proto)) return;
  *proto.mutable_cancelled_at() = common::ToProtoTime(at);
  proto.set_cancelled_by(by);
  tx.exec_params("UPDATE overrides SET cancelled_at = $2::timestamptz, body = ($3::bytea[])[1] WHERE id = $1", id,
                 ToPgTimestamp(at), PgByteaArray({proto.SerializeAsString()}));
}

std::optional<v1::Override> GetOverride(pqxx::work& tx, const std::string& id) {
  const auto rows = tx.exec_params("SELECT body FROM overrides WHERE id = $1", id);
  if (rows.empty()) return std::nullopt;
  v1::Override proto;
  if (!Decode(rows[0][0], proto)) return std::nullopt;
  return proto;
}

std::vector<CommandedRow> LoadCommanded(pqxx::work& tx) {
  std::vector<CommandedRow> out;
  for (const auto& row : tx.exec("SELECT point_id, level, " + Micros("commanded_at") +
                                 ", confirmed, reported_at IS NOT NULL FROM commanded_levels")) {
    CommandedRow r;
    r.point_id = row[0].as<std::string>();
    r.level = static_cast<uint8_t>(row[1].as<int>());
    r.at = FromEpochMicros(row[2].as<int64_t>());
    r.confirmed = row[3].as<bool>();
    r.reported = row[4].as<bool>();
    out.push_back(std::move(r));
  }
  return out;
}

void SaveCommanded(pqxx::work& tx, const std::vector<std::string>& point_ids, const std::vector<int>& levels,
                   TimePoint at) {
  if (point_ids.empty()) return;
  tx.exec_params(
      "INSERT INTO commanded_levels (point_id, level, commanded_at, confirmed, reported_at) "
      "SELECT p, l, $3::timestamptz, false, NULL FROM unnest($1::text[], $2::int2[]) AS u(p, l) "
      "ON CONFLICT (point_id) DO UPDATE SET level = EXCLUDED.level, commanded_at = EXCLUDED.commanded_at, "
      "confirmed = false",
      PgTextArray(point_ids), PgNumberArray(levels), ToPgTimestamp(at));
}

void SetConfirmed(pqxx::work& tx, const std::vector<std::string>& point_ids) {
  if (point_ids.empty()) return;
  tx.exec_params("UPDATE commanded_levels SET confirmed = true WHERE point_id = ANY($1::text[])",
                 PgTextArray(point_ids));
}

void SetReported(pqxx::work& tx, const std::vector<std::string>& point_ids, std::optional<TimePoint> at) {
  if (point_ids.empty()) return;
  if (at) {
    tx.exec_params("UPDATE commanded_levels SET reported_at = $2::timestamptz WHERE point_id = ANY($1::text[])",
                   PgTextArray(point_ids), ToPgTimestamp(*at));
  } else {
    tx.exec_params("UPDATE commanded_levels SET reported_at = NULL WHERE point_id = ANY($1::text[])",
                   PgTextArray(point_ids));
  }
}

std::vector<MeterRow> LoadMeters(pqxx::work& tx) {
  std::vector<MeterRow> out;
  for (const auto& row : tx.exec("SELECT point_id, " + Micros("last_at") + ", last_w FROM point_meters")) {
    out.push_back({row[0].as<std::string>(), FromEpochMicros(row[1].as<int64_t>()), row[2].as<double>()});
  }
  return out;
}

void SaveMeters(pqxx::work& tx, const std::vector<MeterRow>& meters) {
  if (meters.empty()) return;
  std::vector<std::string> ids, ats;
  std::vector<double> watts;
  for (const auto& m : meters) {
    ids.push_back(m.point_id);
    ats.push_back(ToPgTimestamp(m.last_at));
    watts.push_back(m.last_w);
  }
  tx.exec_params(
      "INSERT INTO point_meters (point_id, last_at, last_w) "
      "SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::float8[]) "
      "ON CONFLICT (point_id) DO UPDATE SET last_at = EXCLUDED.last_at, last_w = EXCLUDED.last_w",
      PgTextArray(ids), PgTextArray(ats), PgNumberArray(watts));
}

std::vector<DistrictDayEnergy> LoadEnergy(pqxx::work& tx) {
  std::vector<DistrictDayEnergy> out;
  for (const auto& row : tx.exec("SELECT district, to_char(day, 'YYYY-MM-DD'), measured_wh, estimated_wh, "
                                 "measured_s, estimated_s FROM energy_days")) {
    DistrictDayEnergy d;
    d.district = row[0].as<int>();
    auto day = ParseDate(row[1].as<std::string>());
    if (!day.ok()) continue;
    d.day = *day;
    d.energy.measured_wh = row[2].as<double>();
    d.energy.estimated_wh = row[3].as<double>();
    d.energy.measured_s = row[4].as<double>();
    d.energy.estimated_s = row[5].as<double>();
    out.push_back(d);
  }
  return out;
}

void SaveEnergy(pqxx::work& tx, const std::vector<DistrictDayEnergy>& days) {
  if (days.empty()) return;
  std::vector<int> districts;
  std::vector<std::string> dates;
  std::vector<double> mwh, ewh, ms, es;
  for (const auto& d : days) {
    districts.push_back(d.district);
    dates.push_back(FormatDate(d.day));
    mwh.push_back(d.energy.measured_wh);
    ewh.push_back(d.energy.estimated_wh);
    ms.push_back(d.energy.measured_s);
    es.push_back(d.energy.estimated_s);
  }
  tx.exec_params(
      "INSERT INTO energy_days (district, day, measured_wh, estimated_wh, measured_s, estimated_s) "
      "SELECT * FROM unnest($1::int[], $2::date[], $3::float8[], $4::float8[], $5::float8[], $6::float8[]) "
      "ON CONFLICT (district, day) DO UPDATE SET measured_wh = EXCLUDED.measured_wh, "
      "estimated_wh = EXCLUDED.estimated_wh, measured_s = EXCLUDED.measured_s, estimated_s = EXCLUDED.estimated_s",
      PgNumberArray(districts), PgTextArray(dates), PgNumberArray(mwh), PgNumberArray(ewh), PgNumberArray(ms),
      PgNumberArray(es));
}

void Audit(pqxx::work& tx, const std::string& actor, const std::string& action, const std::string& target_id,
           const std::string& detail) {
  tx.exec_params("INSERT INTO audit (actor, action, target_id, detail) VALUES ($1, $2, $3, $4)", actor, action,
                 target_id, detail);
}

std::vector<v1::AuditEntry> ListAudit(pqxx::work& tx, int limit) {
  std::vector<v1::AuditEntry> out;
  for (const auto& row : tx.exec_params(
           "SELECT id, " + Micros("at") + ", actor, action, target_id, detail FROM audit ORDER BY id DESC LIMIT $1",
           limit)) {
    v1::AuditEntry e;
    e.set_id(row[0].as<int64_t>());
    *e.mutable_at() = common::ToProtoTime(FromEpochMicros(row[1].as<int64_t>()));
    e.set_actor(row[2].as<std::string>());
    e.set_action(row[3].as<std::string>());
    e.set_target_id(row[4].as<std::string>());
    e.set_detail(row[5].as<std::string>());
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace cityops::lighting::store
