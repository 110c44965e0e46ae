#include "telemetry_applier.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "asset_codec.h"
#include "cityops/common/proto_time.h"

namespace cityops::telemetry {

namespace {

constexpr const char* kSelectOffsets = "SELECT partition, next_offset FROM consumer_offsets WHERE topic = $1";
constexpr const char* kUpsertOffset =
    "INSERT INTO consumer_offsets (topic, partition, next_offset) VALUES ($1, $2, $3) "
    "ON CONFLICT (topic, partition) DO UPDATE SET next_offset = GREATEST(consumer_offsets.next_offset, "
    "EXCLUDED.next_offset)";
constexpr const char* kLockStates =
    "SELECT asset_id, state FROM asset_state WHERE asset_id = ANY($1::text[]) ORDER BY asset_id FOR UPDATE";
constexpr const char* kCreateStateUpdate =
    "CREATE TEMP TABLE state_update (asset_id text, health smallint, last_seen text, state text) ON COMMIT DROP";
constexpr const char* kApplyStateUpdate =
    "UPDATE asset_state s SET health = u.health, last_seen = NULLIF(u.last_seen, '')::timestamptz, "
    "state = u.state::jsonb FROM state_update u WHERE s.asset_id = u.asset_id";

void SetLatest(v1::AssetState& state, const v1::Reading& reading) {
  for (auto& latest : *state.mutable_latest()) {
    if (latest.metric() == reading.metric()) {
      if (common::FromProtoTime(reading.time()) >= common::FromProtoTime(latest.time())) {
        latest.set_value(reading.value());
        *latest.mutable_time() = reading.time();
      }
      return;
    }
  }
  auto* latest = state.add_latest();
  latest->set_metric(reading.metric());
  latest->set_value(reading.value());
  *latest->mutable_time() = reading.time();
}

}  // namespace

TelemetryApplier::TelemetryApplier(common::PgPool& pool, common::KafkaConsumer& consumer, AssetRegistry& registry,
                                   const FaultTracker& tracker, FaultPublisher& publisher, Options options,
                                   prometheus::Registry& metrics)
    : pool_(pool),
      consumer_(consumer),
      registry_(registry),
      tracker_(tracker),
      publisher_(publisher),
      options_(std::move(options)),
      applied_(prometheus::BuildCounter()
                   .Name("cityops_telemetry_ingest_records_applied_total")
                   .Help("Telemetry records written to history and state")
                   .Register(metrics)
                   .Add({})),
      skipped_replayed_(prometheus::BuildCounter()
                            .Name("cityops_telemetry_ingest_records_replayed_total")
                            .Help("Records seen again after a restart and skipped (already applied)")
                            .Register(metrics)
                            .Add({})),
      dropped_(prometheus::BuildCounter()
                   .Name("cityops_telemetry_ingest_records_dropped_total")
                   .Help("Records of the topic that could not be applied, by reason")
                   .Register(metrics)),
      failures_(prometheus::BuildCounter()
                    .Name("cityops_telemetry_ingest_apply_failures_total")
                    .Help("Transactions of the telemetry consumer that failed (retried)")
                    .Register(metrics)
                    .Add({})),
      apply_seconds_(
          prometheus::BuildHistogram()
              .Name("cityops_telemetry_ingest_apply_duration_seconds")
              .Help("Time to apply one polled batch in PostgreSQL")
              .Register(metrics)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5})) {}

TelemetryApplier::~TelemetryApplier() { Stop(); }

absl::StatusOr<size_t> TelemetryApplier::RunOnce() {
  if (pending_.empty()) {
    auto polled = consumer_.Poll(options_.batch, options_.poll_timeout);
    if (!polled.ok()) return polled.status();
    pending_ = std::move(*polled);
    if (pending_.empty()) return 0;
  }
  const auto started = std::chrono::steady_clock::now();
  std::vector<FaultTransition> transitions;
  auto applied = Apply(pending_, transitions);
  if (!applied.ok()) {
    failures_.Increment();
    return applied.status();
  }
  publisher_.Count(transitions);
  applied_.Increment(static_cast<double>(*applied));
  apply_seconds_.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  // The database has the work: now Kafka may forget it. A failed commit only
  // means these records come again, and are then skipped by their offsets.
  if (auto s = consumer_.Commit(pending_); !s.ok()) {
    spdlog::warn("telemetry consumer: offset commit failed ({}); records will be skipped on replay", s.ToString());
  }
  pending_.clear();
  return applied;
}

absl::StatusOr<size_t> TelemetryApplier::Apply(const std::vector<common::ConsumedMessage>& messages,
                                               std::vector<FaultTransition>& all_transitions) {
  // Decode first (outside the transaction).
  struct Item {
    const common::ConsumedMessage* message;
    v1::TelemetryRecord record;
  };
  std::vector<Item> items;
  items.reserve(messages.size());
  std::vector<std::string> ids;
  for (const auto& m : messages) {
    Item item{&m, {}};
    if (!item.record.ParseFromString(m.value) || item.record.body_case() == v1::TelemetryRecord::BODY_NOT_SET) {
      dropped_.Add({{"reason", "undecodable"}}).Increment();
      continue;
    }
    ids.push_back(m.key);
    items.push_back(std::move(item));
  }
  registry_.Prefetch(ids);

  size_t applied = 0;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    applied = 0;
    all_transitions.clear();
    std::map<int32_t, int64_t> next_offset;
    for (const auto& row : tx.exec_params(kSelectOffsets, options_.readings_topic)) {
      next_offset[row[0].as<int32_t>()] = row[1].as<int64_t>();
    }
    std::vector<const Item*> fresh;
    std::set<std::string> asset_ids;
    for (const auto& item : items) {
      auto it = next_offset.find(item.message->partition);
      if (it != next_offset.end() && item.message->offset < it->second) {
        skipped_replayed_.Increment();
        continue;
      }
      fresh.push_back(&item);
      asset_ids.insert(item.message->key);
    }

    // History, in bulk.
    {
      pqxx::stream_to copy(tx, "readings", std::vector<std::string>{"asset_id", "metric", "ts", "value"});
      for (const auto* item : fresh) {
        if (!item->record.has_reading()) continue;
        const auto& r = item->record.reading();
        copy << std::make_tuple(r.asset_id(), r.metric(), common::ToPgTimestamp(common::FromProtoTime(r.time())),
                                r.value());
      }
      copy.complete();
    }

    // State machine per asset, in topic order.
    std::map<std::string, v1::AssetState> states;
    std::map<std::string, AssetHealth> healths;
    for (const auto& row : tx.exec_params(
             kLockStates, common::PgTextArray(std::vector<std::string>(asset_ids.begin(), asset_ids.end())))) {
      auto state = StateFromJson(row[1].c_str());
      if (!state.ok()) return state.status();
      states.emplace(row[0].as<std::string>(), std::move(*state));
    }
    std::map<std::string, std::vector<FaultTransition>> transitions;
    std::map<std::string, AssetNode> nodes;
    for (const auto* item : fresh) {
      const std::string& id = item->message->key;
      auto state = states.find(id);
      auto node = registry_.Node(id);
      if (state == states.end() || !node) {
        dropped_.Add({{"reason", "unknown_asset"}}).Increment();
        continue;
      }
      auto health = healths.find(id);
      if (health == healths.end()) {
        health = healths.emplace(id, HealthFromState(state->second, *node)).first;
        nodes.emplace(id, *node);
      }
      std::vector<FaultTransition> t;
      if (item->record.has_reading()) {
        t = tracker_.OnReading(health->second, item->record.reading());
        SetLatest(state->second, item->record.reading());
      } else {
        t = tracker_.OnFaultReport(health->second, item->record.fault_report());
      }
      auto& out = transitions[id];
      out.insert(out.end(), t.begin(), t.end());
      ++applied;
    }

    tx.exec(kCreateStateUpdate);
    {
      pqxx::stream_to copy(tx, "state_update", std::vector<std::string>{"asset_id", "health", "last_seen", "state"});
      for (auto& [id, health] : healths) {
        auto& state = states[id];
        HealthIntoState(health, state);
        copy << std::make_tuple(id, static_cast<int>(state.health()),
                                health.last_seen ? common::ToPgTimestamp(*health.last_seen) : std::string(),
                                StateToJson(state));
      }
      copy.complete();
    }
    tx.exec(kApplyStateUpdate);

    for (const auto& [id, t] : transitions) {
      if (t.empty()) continue;
      publisher_.Enqueue(tx, t, nodes.at(id));
      all_transitions.insert(all_transitions.end(), t.begin(), t.end());
    }

    std::map<int32_t, int64_t> consumed;
    for (const auto& m : messages) consumed[m.partition] = std::max(consumed[m.partition], m.offset + 1);
    for (const auto& [partition, offset] : consumed) {
      tx.exec_params(kUpsertOffset, options_.readings_topic, partition, offset);
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return applied;
}

void TelemetryApplier::Start() {
  running_ = true;
  thread_ = std::thread([this] {
    auto backoff = std::chrono::milliseconds(100);
    while (running_) {
      auto result = RunOnce();
      if (result.ok()) {
        backoff = std::chrono::milliseconds(100);
        continue;
      }
      spdlog::error("telemetry consumer: {} (retrying in {} ms)", result.status().ToString(), backoff.count());
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
  });
}

void TelemetryApplier::Stop() {
  running_ = false;
  if (thread_.joinable()) thread_.join();
}

}  // namespace cityops::telemetry
