#include "dispatch_store.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cityops/common/proto_time.h"
#include "cityops/common/status.h"
#include "codec.h"

namespace cityops::dispatch {
namespace {

using common::ToPgTimestamp;

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 500;
// Queued, assigned, accepted, on site.
constexpr const char* kActiveStatuses = "1,2,3,4";

constexpr const char* kSelectCrews = "SELECT body FROM crews";
constexpr const char* kSelectActive = "SELECT body FROM work_orders WHERE status IN (1, 2, 3, 4)";
constexpr const char* kSelectMaxId = "SELECT max(id) FROM work_orders";
constexpr const char* kSelectOrder = "SELECT body FROM work_orders WHERE id = $1";
constexpr const char* kSaveCrews =
    "INSERT INTO crews (id, status, crisis_id, body) "
    "SELECT * FROM unnest($1::text[], $2::smallint[], $3::text[], $4::bytea[]) "
    "ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, crisis_id = EXCLUDED.crisis_id, body = EXCLUDED.body, "
    "updated_at = now()";
constexpr const char* kSaveOrders =
    "INSERT INTO work_orders (id, incident_id, status, priority, crew_id, created_at, version, body) "
    "SELECT * FROM unnest($1::text[], $2::text[], $3::smallint[], $4::smallint[], $5::text[], $6::timestamptz[], "
    "$7::bigint[], $8::bytea[]) "
    "ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, priority = EXCLUDED.priority, "
    "crew_id = EXCLUDED.crew_id, version = EXCLUDED.version, body = EXCLUDED.body";

template <typename Message>
absl::StatusOr<Message> Decode(const pqxx::field& field) {
  Message message;
  const pqxx::binarystring bytes(field);
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("a stored row does not decode");
  }
  return message;
}

}  // namespace

absl::StatusOr<OrderQuery> MakeOrderQuery(const v1::ListWorkOrdersRequest& request) {
  OrderQuery query;
  for (int s : request.statuses()) {
    if (s == 0 || !v1::WorkOrderStatus_IsValid(s)) {
      return absl::InvalidArgumentError(absl::StrCat("statuses: unknown value ", s));
    }
    query.statuses.push_back(static_cast<v1::WorkOrderStatus>(s));
  }
  if (request.crew_id().size() > 64 || request.incident_id().size() > 64) {
    return absl::InvalidArgumentError("crew_id and incident_id are at most 64 characters");
  }
  query.crew_id = request.crew_id();
  query.incident_id = request.incident_id();
  CITYOPS_ASSIGN_OR_RETURN(query.page_size, common::PageSize(request.page_size(), kDefaultPageSize, kMaxPageSize));
  CITYOPS_ASSIGN_OR_RETURN(query.after, common::ParsePageToken(request.page_token(), "WO-"));
  return query;
}

absl::StatusOr<std::vector<Crew>> DispatchStore::LoadCrews() {
  std::vector<Crew> crews;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    for (const auto& row : tx.exec(kSelectCrews)) {
      auto crew = Decode<v1::Crew>(row[0]);
      if (!crew.ok()) return crew.status();
      crews.push_back(FromProto(*crew));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return crews;
}

absl::StatusOr<std::vector<WorkOrder>> DispatchStore::LoadActiveOrders() {
  std::vector<WorkOrder> orders;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    for (const auto& row : tx.exec(kSelectActive)) {
      auto order = Decode<v1::WorkOrder>(row[0]);
      if (!order.ok()) return order.status();
      orders.push_back(FromProto(*order));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return orders;
}

absl::StatusOr<int64_t> DispatchStore::NextNumber() {
  int64_t next = 1;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    const auto row = tx.exec1(kSelectMaxId);
    if (row[0].is_null()) return absl::OkStatus();
    int64_t number = 0;
    CITYOPS_ASSIGN_OR_RETURN(number, common::IdNumber(row[0].as<std::string>(), "WO-"));
    next = number + 1;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return next;
}

absl::StatusOr<v1::WorkOrder> DispatchStore::GetOrder(const std::string& id) {
  absl::StatusOr<v1::WorkOrder> result = absl::NotFoundError(absl::StrCat("work order ", id, " not found"));
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    const auto rows = tx.exec_params(kSelectOrder, id);
    if (!rows.empty()) result = Decode<v1::WorkOrder>(rows[0][0]);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<v1::ListWorkOrdersResponse> DispatchStore::ListOrders(const OrderQuery& query) {
  v1::ListWorkOrdersResponse response;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    // Numbers this service formatted, or values quoted by the driver.
    std::vector<std::string> where;
    std::vector<int> statuses(query.statuses.begin(), query.statuses.end());
    where.push_back(
        absl::StrCat("status IN (", statuses.empty() ? kActiveStatuses : absl::StrJoin(statuses, ","), ")"));
    if (!query.crew_id.empty()) where.push_back(absl::StrCat("crew_id = ", tx.quote(query.crew_id)));
    if (!query.incident_id.empty()) where.push_back(absl::StrCat("incident_id = ", tx.quote(query.incident_id)));
    if (!query.after.after_id.empty()) {
      where.push_back(absl::StrCat("(created_at, id) < (", tx.quote(ToPgTimestamp(query.after.after_time)),
                                   "::timestamptz, ", tx.quote(query.after.after_id), ")"));
    }
    const std::string sql = absl::StrCat("SELECT body FROM work_orders WHERE ", absl::StrJoin(where, " AND "),
                                         " ORDER BY created_at DESC, id DESC LIMIT ", query.page_size + 1);
    const auto rows = tx.exec(sql);
    for (size_t i = 0; i < rows.size() && static_cast<int>(i) < query.page_size; ++i) {
      auto order = Decode<v1::WorkOrder>(rows[i][0]);
      if (!order.ok()) return order.status();
      *response.add_work_orders() = std::move(*order);
    }
    if (static_cast<int>(rows.size()) > query.page_size && response.work_orders_size() > 0) {
      const auto& last = *response.work_orders().rbegin();
      response.set_next_page_token(common::MakePageToken(common::FromProtoTime(last.created_at()), last.id()));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return response;
}

void DispatchStore::SaveCrews(pqxx::work& tx, const std::vector<Crew>& crews) {
  if (crews.empty()) return;
  std::vector<std::string> ids, crises, bodies;
  std::vector<int> statuses;
  for (const auto& c : crews) {
    ids.push_back(c.id);
    statuses.push_back(ToProto(c.status));
    crises.push_back(c.staging ? c.staging->crisis_id : std::string());
    bodies.push_back(ToProto(c).SerializeAsString());
  }
  tx.exec_params(kSaveCrews, common::PgTextArray(ids), common::PgNumberArray(statuses), common::PgTextArray(crises),
                 common::PgByteaArray(bodies));
}

void DispatchStore::SaveOrders(pqxx::work& tx, const std::vector<WorkOrder>& orders) {
  if (orders.empty()) return;
  std::vector<std::string> ids, incidents, crews, created, bodies;
  std::vector<int> statuses, priorities;
  std::vector<int64_t> versions;
  for (const auto& o : orders) {
    ids.push_back(o.id);
    incidents.push_back(o.incident_id);
    statuses.push_back(ToProto(o.status));
    priorities.push_back(static_cast<int>(o.priority));
    crews.push_back(o.crew_id);
    created.push_back(ToPgTimestamp(o.created_at));
    versions.push_back(o.version);
    bodies.push_back(ToProto(o).SerializeAsString());
  }
  tx.exec_params(kSaveOrders, common::PgTextArray(ids), common::PgTextArray(incidents), common::PgNumberArray(statuses),
                 common::PgNumberArray(priorities), common::PgTextArray(crews), common::PgTextArray(created),
                 common::PgNumberArray(versions), common::PgByteaArray(bodies));
}

}  // namespace cityops::dispatch
