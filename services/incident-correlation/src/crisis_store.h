#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/statusor.h"
#include "cityops/common/clock.h"
#include "cityops/common/paging.h"
#include "cityops/common/pg.h"
#include "cityops/incidents/v1/crisis.pb.h"

namespace cityops::incidents {

// A ListCrises request, checked (INVALID_ARGUMENT naming the field otherwise).
struct CrisisListQuery {
  std::vector<int> statuses;
  int page_size = 20;
  common::PageCursor after;
};
absl::StatusOr<CrisisListQuery> MakeCrisisListQuery(const v1::ListCrisesRequest& request);

// The crises table (migrations/0002_crises.sql).
class CrisisStore {
 public:
  explicit CrisisStore(common::PgPool& pool) : pool_(pool) {}

  // Crises that can still change (proposed, active, or with actions to undo)
  // and those settled since `settled_since`.
  absl::StatusOr<std::vector<v1::Crisis>> LoadLive(common::TimePoint settled_since);
  absl::StatusOr<int64_t> NextNumber();
  absl::StatusOr<v1::Crisis> Get(const std::string& id);
  absl::StatusOr<v1::ListCrisesResponse> List(const CrisisListQuery& query);

  static void Save(pqxx::work& tx, const std::vector<const v1::Crisis*>& crises);

 private:
  common::PgPool& pool_;
};

// No action left to apply or undo, and ended or dismissed.
bool Settled(const v1::Crisis& crisis);

}  // namespace cityops::incidents
