#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/statusor.h"
#include "cityops/common/paging.h"
#include "cityops/common/pg.h"
#include "cityops/dispatch/v1/crew_dispatch.pb.h"
#include "domain/model.h"

namespace cityops::dispatch {

struct OrderQuery {
  std::vector<v1::WorkOrderStatus> statuses;  // empty: the active ones
  std::string crew_id;
  std::string incident_id;
  int page_size = 100;
  common::PageCursor after;
};

// INVALID_ARGUMENT for unknown statuses, a page size outside 0..500, a page
// token this service did not write.
absl::StatusOr<OrderQuery> MakeOrderQuery(const v1::ListWorkOrdersRequest& request);

// The service's tables (migrations/0001_init.sql).
class DispatchStore {
 public:
  explicit DispatchStore(common::PgPool& pool) : pool_(pool) {}

  absl::StatusOr<std::vector<Crew>> LoadCrews();
  absl::StatusOr<std::vector<WorkOrder>> LoadActiveOrders();
  absl::StatusOr<int64_t> NextNumber();
  absl::StatusOr<v1::WorkOrder> GetOrder(const std::string& id);
  absl::StatusOr<v1::ListWorkOrdersResponse> ListOrders(const OrderQuery& query);

  static void SaveCrews(pqxx::work& tx, const std::vector<Crew>& crews);
  static void SaveOrders(pqxx::work& tx, const std::vector<WorkOrder>& orders);

 private:
  common::PgPool& pool_;
};

}  // namespace cityops::dispatch
