#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "cityops/calls/v1/resident_calls.pb.h"
#include "cityops/common/clock.h"
#include "cityops/common/paging.h"
#include "domain/duplicates.h"
#include "domain/statistics.h"

// SQL of resident calls' schema, each function inside the caller's
// transaction (libpqxx exceptions go up to PgPool::WithTransaction, which
// turns them into Status).
namespace cityops::calls::store {

inline constexpr const char* kIdPrefix = "RQ-";

// "RQ-00000042" from the schema's sequence.
std::string NextId(pqxx::work& tx);

void Insert(pqxx::work& tx, const v1::ResidentRequest& request, const std::string& idempotency_key);
// Status, times, note, link, callers and version from `request`.
void Update(pqxx::work& tx, const v1::ResidentRequest& request);
// nullopt when unknown; `lock` takes the row for the transaction.
std::optional<v1::ResidentRequest> Load(pqxx::work& tx, const std::string& id, bool lock);
std::optional<std::string> IdForKey(pqxx::work& tx, const std::string& idempotency_key);
// The ones of `ids` that exist, locked, by id.
std::map<std::string, v1::ResidentRequest> LoadMany(pqxx::work& tx, const std::vector<std::string>& ids);

void AddHistory(pqxx::work& tx, const std::string& id, const v1::StatusChange& change);
void AddNote(pqxx::work& tx, const std::string& id, const v1::RequestNote& note);
void AddResident(pqxx::work& tx, const std::string& id, const v1::Resident& resident, common::TimePoint at);
bool HasPersonalData(const v1::Resident& resident);

// History, notes and (when asked) residents of a request.
void FillDetail(pqxx::work& tx, v1::RequestDetail& detail, bool with_personal_data);

struct ListQuery {
  v1::RequestStatus status = v1::REQUEST_STATUS_UNSPECIFIED;
  std::string category;
  int district = 0;
  std::optional<common::TimePoint> created_from, created_to, updated_from;
  std::vector<std::string> ids;
  common::PageCursor after;
  int limit = 50;
};
// Newest first; at most limit + 1 rows (the extra one says there is a next page).
std::vector<v1::ResidentRequest> List(pqxx::work& tx, const ListQuery& query);

// Open requests whose location is inside the box.
std::vector<v1::ResidentRequest> OpenInBox(pqxx::work& tx, const SearchBox& box);

// Deletes the personal data of requests closed at or before `cutoff`, marks
// them purged; returns how many requests.
int64_t PurgePersonalData(pqxx::work& tx, common::TimePoint cutoff);

// What statistics count, for requests created in [from, to), counted in groups.
GroupedCounts CountRequests(pqxx::work& tx, common::TimePoint from, common::TimePoint to);

}  // namespace cityops::calls::store
