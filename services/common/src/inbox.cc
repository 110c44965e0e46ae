#include "cityops/common/inbox.h"

#include <spdlog/spdlog.h>

#include "cityops/common/proto_time.h"

namespace cityops::common {
namespace {

constexpr const char* kMarkApplied =
    "INSERT INTO applied_events (event_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING RETURNING event_id";
constexpr const char* kPruneApplied = "DELETE FROM applied_events WHERE applied_at < $1::timestamptz";
constexpr const char* kSetAside =
    "INSERT INTO dead_letters (topic, partition, \"offset\", key, value, reason) VALUES ($1, $2, $3, $4, $5, $6) "
    "ON CONFLICT DO NOTHING";

}  // namespace

std::set<std::string> Inbox::MarkApplied(pqxx::work& tx, const std::vector<std::string>& event_ids) {
  std::set<std::string> fresh;
  if (event_ids.empty()) return fresh;
  for (const auto& row : tx.exec_params(kMarkApplied, PgTextArray(event_ids))) fresh.insert(row[0].as<std::string>());
  return fresh;
}

void Inbox::SetAside(pqxx::work& tx, const ConsumedMessage& message, const std::string& reason) {
  tx.exec_params(kSetAside, message.topic, message.partition, message.offset,
                 pqxx::binarystring(message.key.data(), message.key.size()),
                 pqxx::binarystring(message.value.data(), message.value.size()), reason);
}

void RejectedMessages::SetAside(pqxx::work& tx) const {
  for (const auto& [message, reason] : items_) Inbox::SetAside(tx, *message, reason);
}

void RejectedMessages::Log() const {
  for (const auto& [message, reason] : items_) {
    spdlog::warn("set aside {}[{}]@{}: {}", message->topic, message->partition, message->offset, reason);
  }
}

absl::StatusOr<int64_t> Inbox::PruneApplied(PgPool& pool, TimePoint older_than) {
  int64_t pruned = 0;
  auto status = pool.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    pruned = static_cast<int64_t>(tx.exec_params(kPruneApplied, ToPgTimestamp(older_than)).affected_rows());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return pruned;
}

}  // namespace cityops::common
