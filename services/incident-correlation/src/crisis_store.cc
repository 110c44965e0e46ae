#include "crisis_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cityops/common/proto_time.h"
#include "cityops/common/status.h"

namespace cityops::incidents {
namespace {

using common::FromProtoTime;
using common::ToPgTimestamp;

constexpr int kDefaultPageSize = 20;
constexpr int kMaxPageSize = 100;
constexpr std::string_view kIdPrefix = "CRI-";

constexpr const char* kSelectLive = "SELECT body FROM crises WHERE NOT settled OR updated_at >= $1::timestamptz";
constexpr const char* kSelectNext = "SELECT coalesce(max(number), 0) + 1 FROM crises";
constexpr const char* kSelectOne = "SELECT body FROM crises WHERE id = $1";
constexpr const char* kSave =
    "INSERT INTO crises (id, number, playbook, status, settled, proposed_at, updated_at, version, body) "
    "SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::smallint[], $5::bool[], $6::timestamptz[], "
    "$7::timestamptz[], $8::bigint[], $9::bytea[]) "
    "ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, settled = EXCLUDED.settled, "
    "updated_at = EXCLUDED.updated_at, version = EXCLUDED.version, body = EXCLUDED.body";

absl::StatusOr<v1::Crisis> Decode(const pqxx::field& field) {
  v1::Crisis crisis;
  const pqxx::binarystring bytes(field);
  if (!crisis.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("a crisis row does not decode");
  }
  return crisis;
}

template <typename T>
std::string NumberArray(const std::vector<T>& values) {
  return absl::StrCat("{", absl::StrJoin(values, ","), "}");
}

}  // namespace

bool Settled(const v1::Crisis& crisis) {
  if (crisis.status() != v1::CRISIS_STATUS_ENDED && crisis.status() != v1::CRISIS_STATUS_DISMISSED) return false;
  return std::none_of(crisis.actions().begin(), crisis.actions().end(), [](const v1::CrisisAction& a) {
    return a.state() == v1::CRISIS_ACTION_STATE_PENDING || a.state() == v1::CRISIS_ACTION_STATE_REVERTING;
  });
}

absl::StatusOr<CrisisListQuery> MakeCrisisListQuery(const v1::ListCrisesRequest& request) {
  CrisisListQuery query;
  for (int s : request.statuses()) {
    if (s == v1::CRISIS_STATUS_UNSPECIFIED || !v1::CrisisStatus_IsValid(s)) {
      return absl::InvalidArgumentError(absl::StrCat("statuses: unknown crisis status ", s));
    }
    query.statuses.push_back(s);
  }
  auto size = common::PageSize(request.page_size(), kDefaultPageSize, kMaxPageSize);
  if (!size.ok()) return absl::InvalidArgumentError(absl::StrCat("page_size: ", size.status().message()));
  query.page_size = *size;
  CITYOPS_ASSIGN_OR_RETURN(query.after, common::ParsePageToken(request.page_token(), kIdPrefix));
  return query;
}

absl::StatusOr<std::vector<v1::Crisis>> CrisisStore::LoadLive(common::TimePoint settled_since) {
  std::vector<v1::Crisis> out;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    out.clear();
    for (const auto& row : tx.exec_params(kSelectLive, ToPgTimestamp(settled_since))) {
      auto crisis = Decode(row[0]);
      if (!crisis.ok()) return crisis.status();
      out.push_back(std::move(*crisis));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<int64_t> CrisisStore::NextNumber() {
  int64_t next = 1;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    next = tx.exec(kSelectNext)[0][0].as<int64_t>();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return next;
}

absl::StatusOr<v1::Crisis> CrisisStore::Get(const std::string& id) {
  absl::StatusOr<v1::Crisis> result = absl::NotFoundError(absl::StrCat("no crisis ", id));
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    const auto rows = tx.exec_params(kSelectOne, id);
    if (!rows.empty()) result = Decode(rows[0][0]);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<v1::ListCrisesResponse> CrisisStore::List(const CrisisListQuery& query) {
  v1::ListCrisesResponse response;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    // Numbers this service checked, or values quoted by the driver.
    std::vector<std::string> where;
    if (!query.statuses.empty()) where.push_back(absl::StrCat("status IN (", absl::StrJoin(query.statuses, ","), ")"));
    if (!query.after.after_id.empty()) {
      where.push_back(absl::StrCat("(proposed_at, id) < (", tx.quote(ToPgTimestamp(query.after.after_time)),
                                   "::timestamptz, ", tx.quote(query.after.after_id), ")"));
    }
    std::string sql = "SELECT body FROM crises";
    if (!where.empty()) sql += absl::StrCat(" WHERE ", absl::StrJoin(where, " AND "));
    sql += absl::StrCat(" ORDER BY proposed_at DESC, id DESC LIMIT ", query.page_size + 1);
    const auto rows = tx.exec(sql);
    for (size_t i = 0; i < rows.size() && static_cast<int>(i) < query.page_size; ++i) {
      auto crisis = Decode(rows[i][0]);
      if (!crisis.ok()) return crisis.status();
      *response.add_crises() = std::move(*crisis);
    }
    if (static_cast<int>(rows.size()) > query.page_size && response.crises_size() > 0) {
      const v1::Crisis& last = *response.crises().rbegin();
      response.set_next_page_token(common::MakePageToken(FromProtoTime(last.proposed_at()), last.id()));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return response;
}

void CrisisStore::Save(pqxx::work& tx, const std::vector<const v1::Crisis*>& crises) {
  if (crises.empty()) return;
  std::vector<std::string> ids, playbooks, settled, proposed, updated, bodies;
  std::vector<int64_t> numbers, versions;
  std::vector<int> statuses;
  for (const v1::Crisis* c : crises) {
    ids.push_back(c->id());
    auto number = common::IdNumber(c->id(), kIdPrefix);
    numbers.push_back(number.ok() ? *number : 0);
    playbooks.push_back(c->playbook());
    statuses.push_back(c->status());
    settled.push_back(Settled(*c) ? "true" : "false");
    proposed.push_back(ToPgTimestamp(FromProtoTime(c->proposed_at())));
    updated.push_back(ToPgTimestamp(FromProtoTime(c->updated_at())));
    versions.push_back(c->version());
    bodies.push_back(c->SerializeAsString());
  }
  tx.exec_params(kSave, common::PgTextArray(ids), NumberArray(numbers), common::PgTextArray(playbooks),
                 NumberArray(statuses), common::PgTextArray(settled), common::PgTextArray(proposed),
                 common::PgTextArray(updated), NumberArray(versions), common::PgByteaArray(bodies));
}

}  // namespace cityops::incidents
