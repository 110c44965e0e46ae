#include "silence_monitor.h"

#include <spdlog/spdlog.h>

#include "asset_codec.h"
#include "cityops/common/proto_time.h"

namespace cityops::telemetry {

namespace {

constexpr int kScanLimit = 5000;
constexpr const char* kSelectSilent =
    "SELECT a.id, (extract(epoch from a.registered_at) * 1000000)::int8, s.state FROM assets a "
    "JOIN asset_state s ON s.asset_id = a.id "
    "WHERE NOT a.retired AND s.health <> $2 "
    "AND COALESCE(s.last_seen, a.registered_at) < $1::timestamptz - make_interval(secs => 3 * a.reporting_interval_s) "
    "ORDER BY a.id LIMIT $3 FOR UPDATE OF s SKIP LOCKED";
constexpr const char* kUpdateState = "UPDATE asset_state SET health = $2, state = $3::jsonb WHERE asset_id = $1";
constexpr const char* kCountSilent = "SELECT count(*) FROM asset_state WHERE health = $1";

}  // namespace

SilenceMonitor::SilenceMonitor(common::PgPool& pool, AssetRegistry& registry, const FaultTracker& tracker,
                               FaultPublisher& publisher, const common::Clock& clock,
                               std::chrono::milliseconds interval, prometheus::Registry& metrics)
    : pool_(pool),
      registry_(registry),
      tracker_(tracker),
      publisher_(publisher),
      clock_(clock),
      interval_(interval),
      silent_(prometheus::BuildGauge()
                  .Name("cityops_telemetry_ingest_assets_silent")
                  .Help("Assets currently silent (not heard for three reporting intervals)")
                  .Register(metrics)
                  .Add({})) {}

SilenceMonitor::~SilenceMonitor() { Stop(); }

absl::StatusOr<size_t> SilenceMonitor::ScanOnce() {
  size_t total = 0;
  for (;;) {
    const auto now = clock_.Now();
    std::vector<FaultTransition> all;
    size_t rows_seen = 0;
    auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
      all.clear();
      auto rows =
          tx.exec_params(kSelectSilent, common::ToPgTimestamp(now), static_cast<int>(v1::HEALTH_SILENT), kScanLimit);
      rows_seen = rows.size();
      for (const auto& row : rows) {
        const auto id = row[0].as<std::string>();
        auto node = registry_.Node(id);
        if (!node) {
          registry_.Prefetch({id});
          node = registry_.Node(id);
          if (!node) continue;
        }
        auto state = StateFromJson(row[2].c_str());
        if (!state.ok()) return state.status();
        auto health = HealthFromState(*state, *node);
        auto transitions = tracker_.CheckSilence(health, now, common::FromEpochMicros(row[1].as<int64_t>()));
        if (transitions.empty()) continue;
        HealthIntoState(health, *state);
        tx.exec_params(kUpdateState, id, static_cast<int>(state->health()), StateToJson(*state));
        publisher_.Enqueue(tx, transitions, *node);
        all.insert(all.end(), transitions.begin(), transitions.end());
      }
      silent_.Set(tx.exec_params(kCountSilent, static_cast<int>(v1::HEALTH_SILENT))[0][0].as<double>());
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    publisher_.Count(all);
    total += all.size();
    // A full page that raised nothing would come back the same: stop there.
    if (rows_seen < static_cast<size_t>(kScanLimit) || all.empty()) break;
  }
  return total;
}

void SilenceMonitor::Start() {
  task_.Start(interval_, [this] {
    auto result = ScanOnce();
    if (!result.ok()) {
      spdlog::error("silence scan failed: {}", result.status().ToString());
    } else if (*result > 0) {
      spdlog::info("silence scan: {} asset(s) went silent", *result);
    }
  });
}

void SilenceMonitor::Stop() { task_.Stop(); }

}  // namespace cityops::telemetry
