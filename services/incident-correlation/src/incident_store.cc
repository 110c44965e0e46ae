#include "incident_store.h"

#include <algorithm>
#include <charconv>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cityops/common/proto_time.h"
#include "cityops/common/status.h"

namespace cityops::incidents {
namespace {

using common::FromProtoTime;
using common::ToPgTimestamp;

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 500;

constexpr const char* kSelectTopology =
    "SELECT asset_id, kind, parent_id, district, lat, lon, version FROM topology WHERE NOT retired";
constexpr const char* kSelectHeld =
    "SELECT body FROM incidents WHERE status IN (1, 2) OR (status = 3 AND resolved_at >= $1::timestamptz)";
constexpr const char* kSelectMaxId = "SELECT max(id) FROM incidents";
constexpr const char* kSelectOne = "SELECT body FROM incidents WHERE id = $1";
constexpr const char* kSaveIncidents =
    "INSERT INTO incidents (id, status, priority, rule, district, lat, lon, asset_id, opened_at, updated_at, "
    "resolved_at, version, body) "
    "SELECT * FROM unnest($1::text[], $2::smallint[], $3::smallint[], $4::smallint[], $5::int[], $6::float8[], "
    "$7::float8[], $8::text[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[], $12::bigint[], "
    "$13::bytea[]) "
    "ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, priority = EXCLUDED.priority, "
    "district = EXCLUDED.district, lat = EXCLUDED.lat, lon = EXCLUDED.lon, updated_at = EXCLUDED.updated_at, "
    "resolved_at = EXCLUDED.resolved_at, version = EXCLUDED.version, body = EXCLUDED.body";
constexpr const char* kSaveTopology =
    "INSERT INTO topology (asset_id, kind, parent_id, district, lat, lon, version, retired) "
    "SELECT * FROM unnest($1::text[], $2::smallint[], $3::text[], $4::int[], $5::float8[], $6::float8[], "
    "$7::bigint[], $8::bool[]) "
    "ON CONFLICT (asset_id) DO UPDATE SET kind = EXCLUDED.kind, parent_id = EXCLUDED.parent_id, "
    "district = EXCLUDED.district, lat = EXCLUDED.lat, lon = EXCLUDED.lon, version = EXCLUDED.version, "
    "retired = EXCLUDED.retired WHERE topology.version <= EXCLUDED.version";

absl::StatusOr<v1::Incident> Decode(const pqxx::field& field) {
  v1::Incident incident;
  const pqxx::binarystring bytes(field);
  if (!incident.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("an incident row does not decode");
  }
  return incident;
}

// An SQL array literal of numbers ("{1,2,3}").
template <typename T>
std::string NumberArray(const std::vector<T>& values) {
  return absl::StrCat("{", absl::StrJoin(values, ","), "}");
}

// Doubles in full (shortest exact) precision: StrCat would round to 6 digits.
std::string Num(double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

std::string NumberArray(const std::vector<double>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += Num(values[i]);
  }
  out += '}';
  return out;
}

std::string NullableTimestampArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += values[i].empty() ? "NULL" : absl::StrCat("\"", values[i], "\"");
  }
  out += '}';
  return out;
}

bool HasTime(const google::protobuf::Timestamp& t) { return t.seconds() != 0 || t.nanos() != 0; }

template <typename Enum>
absl::Status CheckEnums(const google::protobuf::RepeatedField<int>& values, bool (*valid)(int), const char* field) {
  for (int v : values) {
    if (!valid(v) || v == 0) return absl::InvalidArgumentError(absl::StrCat("filter.", field, ": unknown value ", v));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateFilter(const v1::IncidentFilter& filter) {
  if (auto s = CheckEnums<v1::IncidentStatus>(filter.statuses(), v1::IncidentStatus_IsValid, "statuses"); !s.ok()) {
    return s;
  }
  if (auto s = CheckEnums<v1::Priority>(filter.priorities(), v1::Priority_IsValid, "priorities"); !s.ok()) return s;
  for (int d : filter.districts()) {
    if (d < 0 || d > 10000)
      return absl::InvalidArgumentError(absl::StrCat("filter.districts: ", d, " is not a district"));
  }
  if (filter.has_within()) {
    const auto& sw = filter.within().south_west();
    const auto& ne = filter.within().north_east();
    for (const auto* p : {&sw, &ne}) {
      if (!(p->lat() >= -90 && p->lat() <= 90 && p->lon() >= -180 && p->lon() <= 180)) {
        return absl::InvalidArgumentError("filter.within: coordinates out of range");
      }
    }
    if (sw.lat() > ne.lat() || sw.lon() > ne.lon()) {
      return absl::InvalidArgumentError("filter.within: south_west must be south and west of north_east");
    }
  }
  if (HasTime(filter.opened_after()) && HasTime(filter.opened_before()) &&
      FromProtoTime(filter.opened_after()) >= FromProtoTime(filter.opened_before())) {
    return absl::InvalidArgumentError("filter: opened_after must be before opened_before");
  }
  return absl::OkStatus();
}

absl::StatusOr<ListQuery> MakeListQuery(const v1::ListIncidentsRequest& request) {
  if (auto s = ValidateFilter(request.filter()); !s.ok()) return s;
  ListQuery query;
  query.filter = request.filter();
  CITYOPS_ASSIGN_OR_RETURN(query.page_size, common::PageSize(request.page_size(), kDefaultPageSize, kMaxPageSize));
  CITYOPS_ASSIGN_OR_RETURN(query.after, common::ParsePageToken(request.page_token(), "INC-"));
  return query;
}

bool Matches(const v1::IncidentFilter& filter, const v1::Incident& incident) {
  auto contains = [](const auto& list, int value) {
    return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
  };
  if (!contains(filter.statuses(), incident.status())) return false;
  if (!contains(filter.priorities(), incident.priority())) return false;
  if (!contains(filter.districts(), incident.district())) return false;
  if (filter.has_within()) {
    const auto& sw = filter.within().south_west();
    const auto& ne = filter.within().north_east();
    const auto& p = incident.location();
    if (p.lat() < sw.lat() || p.lat() > ne.lat() || p.lon() < sw.lon() || p.lon() > ne.lon()) return false;
  }
  const auto opened = FromProtoTime(incident.opened_at());
  if (HasTime(filter.opened_after()) && opened < FromProtoTime(filter.opened_after())) return false;
  if (HasTime(filter.opened_before()) && opened >= FromProtoTime(filter.opened_before())) return false;
  return true;
}

absl::StatusOr<std::vector<AssetInfo>> IncidentStore::LoadTopology() {
  std::vector<AssetInfo> assets;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    for (const auto& row : tx.exec(kSelectTopology)) {
      AssetInfo& a = assets.emplace_back();
      a.id = row[0].as<std::string>();
      a.kind = static_cast<telemetry::v1::AssetKind>(row[1].as<int>());
      a.parent_id = row[2].as<std::string>();
      a.district = row[3].as<int>();
      a.lat = row[4].as<double>();
      a.lon = row[5].as<double>();
      a.version = row[6].as<int64_t>();
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return assets;
}

absl::StatusOr<std::vector<v1::Incident>> IncidentStore::LoadHeld(common::TimePoint resolved_since) {
  std::vector<v1::Incident> incidents;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    for (const auto& row : tx.exec_params(kSelectHeld, ToPgTimestamp(resolved_since))) {
      auto incident = Decode(row[0]);
      if (!incident.ok()) return incident.status();
      incidents.push_back(std::move(*incident));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return incidents;
}

absl::StatusOr<int64_t> IncidentStore::NextNumber() {
  int64_t next = 1;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    const auto row = tx.exec1(kSelectMaxId);
    if (row[0].is_null()) return absl::OkStatus();
    int64_t number = 0;
    CITYOPS_ASSIGN_OR_RETURN(number, common::IdNumber(row[0].as<std::string>(), "INC-"));
    next = number + 1;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return next;
}

absl::StatusOr<v1::Incident> IncidentStore::Get(const std::string& id) {
  absl::StatusOr<v1::Incident> result = absl::NotFoundError(absl::StrCat("incident ", id, " not found"));
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    const auto rows = tx.exec_params(kSelectOne, id);
    if (!rows.empty()) result = Decode(rows[0][0]);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<v1::ListIncidentsResponse> IncidentStore::List(const ListQuery& query) {
  v1::ListIncidentsResponse response;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    // Every value below is a number or a timestamp this service formatted,
    // or quoted by the driver: nothing from the caller reaches the SQL as text.
    std::vector<std::string> where;
    const auto& f = query.filter;
    if (!f.statuses().empty()) where.push_back(absl::StrCat("status IN (", absl::StrJoin(f.statuses(), ","), ")"));
    if (!f.priorities().empty()) {
      where.push_back(absl::StrCat("priority IN (", absl::StrJoin(f.priorities(), ","), ")"));
    }
    if (!f.districts().empty()) where.push_back(absl::StrCat("district IN (", absl::StrJoin(f.districts(), ","), ")"));
    if (f.has_within()) {
      const auto& sw = f.within().south_west();
      const auto& ne = f.within().north_east();
      where.push_back(absl::StrCat("lat BETWEEN ", Num(sw.lat()), " AND ", Num(ne.lat()), " AND lon BETWEEN ",
                                   Num(sw.lon()), " AND ", Num(ne.lon())));
    }
    if (HasTime(f.opened_after())) {
      where.push_back(
          absl::StrCat("opened_at >= ", tx.quote(ToPgTimestamp(FromProtoTime(f.opened_after()))), "::timestamptz"));
    }
    if (HasTime(f.opened_before())) {
      where.push_back(
          absl::StrCat("opened_at < ", tx.quote(ToPgTimestamp(FromProtoTime(f.opened_before()))), "::timestamptz"));
    }
    if (!query.after.after_id.empty()) {
      where.push_back(absl::StrCat("(opened_at, id) < (", tx.quote(ToPgTimestamp(query.after.after_time)),
                                   "::timestamptz, ", tx.quote(query.after.after_id), ")"));
    }
    std::string sql = "SELECT body FROM incidents";
    if (!where.empty()) sql += absl::StrCat(" WHERE ", absl::StrJoin(where, " AND "));
    sql += absl::StrCat(" ORDER BY opened_at DESC, id DESC LIMIT ", query.page_size + 1);
    const auto rows = tx.exec(sql);
    for (size_t i = 0; i < rows.size() && static_cast<int>(i) < query.page_size; ++i) {
      auto incident = Decode(rows[i][0]);
      if (!incident.ok()) return incident.status();
      *response.add_incidents() = std::move(*incident);
    }
    if (static_cast<int>(rows.size()) > query.page_size && response.incidents_size() > 0) {
      const v1::Incident& last = *response.incidents().rbegin();
      response.set_next_page_token(common::MakePageToken(FromProtoTime(last.opened_at()), last.id()));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return response;
}

void IncidentStore::Save(pqxx::work& tx, const std::vector<const v1::Incident*>& incidents) {
  if (incidents.empty()) return;
  std::vector<std::string> ids, asset_ids, opened, updated, resolved, bodies;
  std::vector<int> statuses, priorities, rules, districts;
  std::vector<double> lats, lons;
  std::vector<int64_t> versions;
  for (const v1::Incident* i : incidents) {
    ids.push_back(i->id());
    statuses.push_back(i->status());
    priorities.push_back(i->priority());
    rules.push_back(i->rule());
    districts.push_back(i->district());
    lats.push_back(i->location().lat());
    lons.push_back(i->location().lon());
    asset_ids.push_back(i->asset_id());
    opened.push_back(ToPgTimestamp(FromProtoTime(i->opened_at())));
    updated.push_back(ToPgTimestamp(FromProtoTime(i->updated_at())));
    resolved.push_back(i->has_resolved_at() ? ToPgTimestamp(FromProtoTime(i->resolved_at())) : std::string());
    versions.push_back(i->version());
    bodies.push_back(i->SerializeAsString());
  }
  tx.exec_params(kSaveIncidents, common::PgTextArray(ids), NumberArray(statuses), NumberArray(priorities),
                 NumberArray(rules), NumberArray(districts), NumberArray(lats), NumberArray(lons),
                 common::PgTextArray(asset_ids), common::PgTextArray(opened), common::PgTextArray(updated),
                 NullableTimestampArray(resolved), NumberArray(versions), common::PgByteaArray(bodies));
}

void IncidentStore::SaveTopology(pqxx::work& tx, const std::vector<AssetInfo>& assets,
                                 const std::vector<bool>& retired) {
  if (assets.empty()) return;
  std::vector<std::string> ids, parents, retired_text;
  std::vector<int> kinds, districts;
  std::vector<double> lats, lons;
  std::vector<int64_t> versions;
  for (size_t i = 0; i < assets.size(); ++i) {
    const AssetInfo& a = assets[i];
    ids.push_back(a.id);
    parents.push_back(a.parent_id);
    kinds.push_back(a.kind);
    districts.push_back(a.district);
    lats.push_back(a.lat);
    lons.push_back(a.lon);
    versions.push_back(a.version);
    retired_text.push_back(retired[i] ? "t" : "f");
  }
  tx.exec_params(kSaveTopology, common::PgTextArray(ids), NumberArray(kinds), common::PgTextArray(parents),
                 NumberArray(districts), NumberArray(lats), NumberArray(lons), NumberArray(versions),
                 NumberArray(retired_text));
}

}  // namespace cityops::incidents
