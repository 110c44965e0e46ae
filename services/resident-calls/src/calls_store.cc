#include "calls_store.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "cityops/common/pg.h"
#include "cityops/common/proto_time.h"

namespace cityops::calls::store {

namespace {

using common::FromEpochMicros;
using common::ToPgTimestamp;

constexpr const char* kColumns =
    "id, category, description, lat, lon, address, district, channel, status, recorded_by, "
    "(extract(epoch from created_at) * 1000000)::int8, (extract(epoch from updated_at) * 1000000)::int8, "
    "(extract(epoch from expected_at) * 1000000)::int8, (extract(epoch from closed_at) * 1000000)::int8, "
    "status_note, incident_id, linked_known, callers, version";

v1::ResidentRequest FromRow(const pqxx::row& row) {
  v1::ResidentRequest r;
  r.set_id(row[0].as<std::string>());
  r.set_category(row[1].as<std::string>());
  r.set_description(row[2].as<std::string>());
  r.mutable_location()->set_lat(row[3].as<double>());
  r.mutable_location()->set_lon(row[4].as<double>());
  r.set_address(row[5].as<std::string>());
  r.set_district(row[6].as<int>());
  r.set_channel(static_cast<v1::RequestChannel>(row[7].as<int>()));
  r.set_status(static_cast<v1::RequestStatus>(row[8].as<int>()));
  r.set_recorded_by(row[9].as<std::string>());
  *r.mutable_created_at() = common::ToProtoTime(FromEpochMicros(row[10].as<int64_t>()));
  *r.mutable_updated_at() = common::ToProtoTime(FromEpochMicros(row[11].as<int64_t>()));
  *r.mutable_expected_at() = common::ToProtoTime(FromEpochMicros(row[12].as<int64_t>()));
  if (!row[13].is_null()) *r.mutable_closed_at() = common::ToProtoTime(FromEpochMicros(row[13].as<int64_t>()));
  r.set_status_note(row[14].as<std::string>());
  r.set_incident_id(row[15].as<std::string>());
  r.set_linked_to_known_incident(row[16].as<bool>());
  r.set_callers(row[17].as<int>());
  r.set_version(row[18].as<int64_t>());
  return r;
}

std::string Time(const google::protobuf::Timestamp& t) { return ToPgTimestamp(common::FromProtoTime(t)); }

// NULL when unset.
std::optional<std::string> ClosedAt(const v1::ResidentRequest& r) {
  if (!r.has_closed_at()) return std::nullopt;
  return Time(r.closed_at());
}

}  // namespace

std::string NextId(pqxx::work& tx) {
  const auto n = tx.exec1("SELECT nextval('request_number')")[0].as<int64_t>();
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%s%08lld", kIdPrefix, static_cast<long long>(n));
  return buf;
}

void Insert(pqxx::work& tx, const v1::ResidentRequest& r, const std::string& idempotency_key) {
  std::optional<std::string> key;
  if (!idempotency_key.empty()) key = idempotency_key;
  tx.exec_params(
      "INSERT INTO requests (id, category, description, lat, lon, address, district, channel, status, recorded_by, "
      "created_at, updated_at, expected_at, closed_at, status_note, incident_id, linked_known, callers, version, "
      "idempotency_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, "
      "$19, $20)",
      r.id(), r.category(), r.description(), r.location().lat(), r.location().lon(), r.address(), r.district(),
      static_cast<int>(r.channel()), static_cast<int>(r.status()), r.recorded_by(), Time(r.created_at()),
      Time(r.updated_at()), Time(r.expected_at()), ClosedAt(r), r.status_note(), r.incident_id(),
      r.linked_to_known_incident(), r.callers(), r.version(), key);
}

void Update(pqxx::work& tx, const v1::ResidentRequest& r) {
  tx.exec_params(
      "UPDATE requests SET status = $2, updated_at = $3, closed_at = $4, status_note = $5, incident_id = $6, "
      "linked_known = $7, callers = $8, version = $9 WHERE id = $1",
      r.id(), static_cast<int>(r.status()), Time(r.updated_at()), ClosedAt(r), r.status_note(), r.incident_id(),
      r.linked_to_known_incident(), r.callers(), r.version());
}

std::optional<v1::ResidentRequest> Load(pqxx::work& tx, const std::string& id, bool lock) {
  const auto rows =
      tx.exec_params(absl::StrCat("SELECT ", kColumns, " FROM requests WHERE id = $1", lock ? " FOR UPDATE" : ""), id);
  if (rows.empty()) return std::nullopt;
  return FromRow(rows[0]);
}

std::optional<std::string> IdForKey(pqxx::work& tx, const std::string& idempotency_key) {
  const auto rows = tx.exec_params("SELECT id FROM requests WHERE idempotency_key = $1", idempotency_key);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

std::map<std::string, v1::ResidentRequest> LoadMany(pqxx::work& tx, const std::vector<std::string>& ids) {
  std::map<std::string, v1::ResidentRequest> out;
  if (ids.empty()) return out;
  for (const auto& row : tx.exec_params(
           absl::StrCat("SELECT ", kColumns, " FROM requests WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE"),
           common::PgTextArray(ids))) {
    auto r = FromRow(row);
    out.emplace(r.id(), std::move(r));
  }
  return out;
}

void AddHistory(pqxx::work& tx, const std::string& id, const v1::StatusChange& change) {
  tx.exec_params("INSERT INTO status_history (request_id, status, note, actor, at) VALUES ($1, $2, $3, $4, $5)", id,
                 static_cast<int>(change.status()), change.note(), change.actor(), Time(change.at()));
}

void AddNote(pqxx::work& tx, const std::string& id, const v1::RequestNote& note) {
  tx.exec_params("INSERT INTO notes (request_id, text, author, public, at) VALUES ($1, $2, $3, $4, $5)", id,
                 note.text(), note.author(), note.public_(), Time(note.at()));
}

bool HasPersonalData(const v1::Resident& r) {
  return !r.first_name().empty() || !r.last_name().empty() || !r.phone().empty() || !r.email().empty();
}

void AddResident(pqxx::work& tx, const std::string& id, const v1::Resident& r, common::TimePoint at) {
  tx.exec_params(
      "INSERT INTO residents (request_id, first_name, last_name, phone, email, added_at) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      id, r.first_name(), r.last_name(), r.phone(), r.email(), ToPgTimestamp(at));
}

void FillDetail(pqxx::work& tx, v1::RequestDetail& detail, bool with_personal_data) {
  const std::string& id = detail.request().id();
  for (const auto& row :
       tx.exec_params("SELECT status, note, actor, (extract(epoch from at) * 1000000)::int8 FROM status_history "
                      "WHERE request_id = $1 ORDER BY seq",
                      id)) {
    v1::StatusChange& c = *detail.add_history();
    c.set_status(static_cast<v1::RequestStatus>(row[0].as<int>()));
    c.set_note(row[1].as<std::string>());
    c.set_actor(row[2].as<std::string>());
    *c.mutable_at() = common::ToProtoTime(FromEpochMicros(row[3].as<int64_t>()));
  }
  for (const auto& row :
       tx.exec_params("SELECT text, author, public, (extract(epoch from at) * 1000000)::int8 FROM notes "
                      "WHERE request_id = $1 ORDER BY seq",
                      id)) {
    v1::RequestNote& n = *detail.add_notes();
    n.set_text(row[0].as<std::string>());
    n.set_author(row[1].as<std::string>());
    n.set_public_(row[2].as<bool>());
    *n.mutable_at() = common::ToProtoTime(FromEpochMicros(row[3].as<int64_t>()));
  }
  detail.set_callers(detail.request().callers());
  const auto purged = tx.exec_params("SELECT personal_data_purged FROM requests WHERE id = $1", id);
  detail.set_personal_data_purged(!purged.empty() && purged[0][0].as<bool>());
  if (!with_personal_data) return;
  for (const auto& row : tx.exec_params(
           "SELECT first_name, last_name, phone, email FROM residents WHERE request_id = $1 ORDER BY seq", id)) {
    v1::Resident& r = *detail.add_residents();
    r.set_first_name(row[0].as<std::string>());
    r.set_last_name(row[1].as<std::string>());
    r.set_phone(row[2].as<std::string>());
    r.set_email(row[3].as<std::string>());
  }
}

std::vector<v1::ResidentRequest> List(pqxx::work& tx, const ListQuery& q) {
  // Every filter is a parameter; an unset one is NULL and matches anything.
  std::optional<int> status;
  if (q.status != v1::REQUEST_STATUS_UNSPECIFIED) status = static_cast<int>(q.status);
  std::optional<std::string> category, ids, from, to, updated_from, after_time, after_id;
  if (!q.category.empty()) category = q.category;
  std::optional<int> district;
  if (q.district != 0) district = q.district;
  if (!q.ids.empty()) ids = common::PgTextArray(q.ids);
  if (q.created_from) from = ToPgTimestamp(*q.created_from);
  if (q.created_to) to = ToPgTimestamp(*q.created_to);
  if (q.updated_from) updated_from = ToPgTimestamp(*q.updated_from);
  if (!q.after.after_id.empty()) {
    after_time = ToPgTimestamp(q.after.after_time);
    after_id = q.after.after_id;
  }
  std::vector<v1::ResidentRequest> out;
  for (const auto& row : tx.exec_params(
           absl::StrCat("SELECT ", kColumns,
                        " FROM requests WHERE ($1::int IS NULL OR status = $1) AND ($2::text IS NULL OR category = $2)"
                        " AND ($3::int IS NULL OR district = $3) AND ($4::text[] IS NULL OR id = ANY($4::text[]))"
                        " AND ($5::timestamptz IS NULL OR created_at >= $5) AND ($6::timestamptz IS NULL OR "
                        "created_at < $6) AND ($7::timestamptz IS NULL OR updated_at >= $7)"
                        " AND ($8::timestamptz IS NULL OR (created_at, id) < ($8::timestamptz, $9::text))"
                        " ORDER BY created_at DESC, id DESC LIMIT $10"),
           status, category, district, ids, from, to, updated_from, after_time, after_id, q.limit + 1)) {
    out.push_back(FromRow(row));
  }
  return out;
}

std::vector<v1::ResidentRequest> OpenInBox(pqxx::work& tx, const SearchBox& box) {
  std::vector<v1::ResidentRequest> out;
  for (const auto& row :
       tx.exec_params(absl::StrCat("SELECT ", kColumns,
                                   " FROM requests WHERE status <> 4 AND lat BETWEEN $1 AND $2 AND lon BETWEEN $3 AND "
                                   "$4 ORDER BY id LIMIT 1000"),
                      box.min_lat, box.max_lat, box.min_lon, box.max_lon)) {
    out.push_back(FromRow(row));
  }
  return out;
}

int64_t PurgePersonalData(pqxx::work& tx, common::TimePoint cutoff) {
  const std::string at = ToPgTimestamp(cutoff);
  tx.exec_params(
      "DELETE FROM residents WHERE request_id IN (SELECT id FROM requests WHERE status = 4 AND NOT "
      "personal_data_purged AND closed_at <= $1)",
      at);
  const auto done = tx.exec_params(
      "UPDATE requests SET personal_data_purged = true WHERE status = 4 AND NOT personal_data_purged AND "
      "closed_at <= $1",
      at);
  return static_cast<int64_t>(done.affected_rows());
}

GroupedCounts CountRequests(pqxx::work& tx, common::TimePoint from, common::TimePoint to) {
  const std::string lo = ToPgTimestamp(from);
  const std::string hi = ToPgTimestamp(to);
  constexpr const char* kPeriod = " FROM requests WHERE created_at >= $1 AND created_at < $2";
  GroupedCounts c;
  const auto totals = tx.exec_params1(
      absl::StrCat("SELECT count(*), count(*) FILTER (WHERE status = 4), count(*) FILTER (WHERE linked_known), "
                   "coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch from closed_at - created_at)) "
                   "FILTER (WHERE status = 4), 0)",
                   kPeriod),
      lo, hi);
  c.total = totals[0].as<int64_t>();
  c.closed = totals[1].as<int64_t>();
  c.linked = totals[2].as<int64_t>();
  c.median_seconds_to_close = totals[3].as<double>();
  for (const auto& row : tx.exec_params(absl::StrCat("SELECT category, count(*)", kPeriod, " GROUP BY 1"), lo, hi)) {
    c.by_category.emplace_back(row[0].as<std::string>(), row[1].as<int64_t>());
  }
  for (const auto& row : tx.exec_params(absl::StrCat("SELECT district, count(*)", kPeriod, " GROUP BY 1"), lo, hi)) {
    c.by_district.emplace_back(row[0].as<int>(), row[1].as<int64_t>());
  }
  for (const auto& row : tx.exec_params(absl::StrCat("SELECT channel, count(*)", kPeriod, " GROUP BY 1"), lo, hi)) {
    c.by_channel.emplace_back(static_cast<v1::RequestChannel>(row[0].as<int>()), row[1].as<int64_t>());
  }
  for (const auto& row :
       tx.exec_params(absl::StrCat("SELECT (floor(extract(epoch from created_at) / ", kStatisticsSliceSeconds, ") * ",
                                   kStatisticsSliceSeconds, ")::int8, count(*)", kPeriod, " GROUP BY 1"),
                      lo, hi)) {
    c.by_slice.emplace_back(common::TimePoint(std::chrono::seconds(row[0].as<int64_t>())), row[1].as<int64_t>());
  }
  return c;
}

}  // namespace cityops::calls::store
