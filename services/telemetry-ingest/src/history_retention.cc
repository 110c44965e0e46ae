#include "history_retention.h"

#include <ctime>
#include <set>
#include <string>

#include <spdlog/spdlog.h>

#include "absl/strings/str_format.h"

namespace cityops::telemetry {

namespace {

constexpr const char* kListPartitions =
    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
    "JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace "
    "WHERE p.relname = 'readings' AND n.nspname = current_schema() AND c.relname ~ '^readings_[0-9]{8}$'";

constexpr int kDaysBack = 8;
constexpr int kDaysAhead = 2;

// Days since the epoch of a UTC time.
int64_t DayNumber(common::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::hours>(t.time_since_epoch()).count() / 24;
}

std::string DayName(int64_t day, const char* format) {
  const std::time_t tt = static_cast<std::time_t>(day * 86400);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), format, &tm);
  return buf;
}

}  // namespace

HistoryRetention::HistoryRetention(common::PgPool& pool, const common::Clock& clock, int retention_days)
    : pool_(pool), clock_(clock), retention_days_(retention_days) {}

absl::Status HistoryRetention::RunOnce() {
  const int64_t today = DayNumber(clock_.Now());
  std::set<std::string> existing;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    for (const auto& row : tx.exec(kListPartitions)) existing.insert(row[0].as<std::string>());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;

  for (int64_t day = today - kDaysBack; day <= today + kDaysAhead; ++day) {
    const std::string name = "readings_" + DayName(day, "%Y%m%d");
    if (existing.count(name)) continue;
    // Each in its own transaction: one that fails (rows of that day already
    // in the default partition) does not stop the others.
    auto created = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
      tx.exec(absl::StrFormat("CREATE TABLE IF NOT EXISTS %s PARTITION OF readings FOR VALUES FROM ('%s') TO ('%s')",
                              tx.quote_name(name), DayName(day, "%Y-%m-%d 00:00:00+00"),
                              DayName(day + 1, "%Y-%m-%d 00:00:00+00")));
      return absl::OkStatus();
    });
    if (!created.ok()) spdlog::warn("history partition {} not created: {}", name, created.ToString());
  }
  const std::string oldest_kept = "readings_" + DayName(today - retention_days_, "%Y%m%d");
  for (const auto& name : existing) {
    if (name >= oldest_kept) continue;
    auto dropped = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
      tx.exec("DROP TABLE IF EXISTS " + tx.quote_name(name));
      return absl::OkStatus();
    });
    if (dropped.ok()) {
      spdlog::info("history partition {} dropped (older than {} days)", name, retention_days_);
    } else {
      spdlog::warn("history partition {} not dropped: {}", name, dropped.ToString());
    }
  }
  return absl::OkStatus();
}

void HistoryRetention::Start() {
  task_.Start(std::chrono::hours(1), [this] {
    if (auto s = RunOnce(); !s.ok()) spdlog::error("history retention failed: {}", s.ToString());
  });
}

void HistoryRetention::Stop() { task_.Stop(); }

}  // namespace cityops::telemetry
