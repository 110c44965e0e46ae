#pragma once

#include <set>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/statusor.h"
#include "cityops/common/clock.h"
#include "cityops/common/kafka.h"
#include "cityops/common/paging.h"
#include "cityops/common/pg.h"
#include "cityops/incidents/v1/incident_correlation.pb.h"
#include "domain/topology.h"

namespace cityops::incidents {

// A ListIncidents filter, checked (ValidateFilter) and ready for SQL.
struct ListQuery {
  v1::IncidentFilter filter;
  int page_size = 100;
  // Where the previous page ended (opened_at, id).
  common::PageCursor after;
};

// INVALID_ARGUMENT naming the field for a filter that cannot be answered:
// unknown enum values, an inverted bounding box or time range, a page size
// outside 1..500 (0 means 100), a page token this service did not write.
absl::StatusOr<ListQuery> MakeListQuery(const v1::ListIncidentsRequest& request);
absl::Status ValidateFilter(const v1::IncidentFilter& filter);
// Whether an incident passes a (valid) filter: the watch stream's test.
bool Matches(const v1::IncidentFilter& filter, const v1::Incident& incident);

// The service's tables (see migrations/0001_init.sql). Statements that take a
// transaction run inside the caller's; the others take their own.
class IncidentStore {
 public:
  explicit IncidentStore(common::PgPool& pool) : pool_(pool) {}

  absl::StatusOr<std::vector<AssetInfo>> LoadTopology();
  // Open and acknowledged incidents, and those resolved since `resolved_since`.
  absl::StatusOr<std::vector<v1::Incident>> LoadHeld(common::TimePoint resolved_since);
  absl::StatusOr<int64_t> NextNumber();
  absl::StatusOr<v1::Incident> Get(const std::string& id);
  absl::StatusOr<v1::ListIncidentsResponse> List(const ListQuery& query);

  static void Save(pqxx::work& tx, const std::vector<const v1::Incident*>& incidents);
  static void SaveTopology(pqxx::work& tx, const std::vector<AssetInfo>& assets, const std::vector<bool>& retired);

 private:
  common::PgPool& pool_;
};

}  // namespace cityops::incidents
