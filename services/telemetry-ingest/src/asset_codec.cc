#include "asset_codec.h"

#include <google/protobuf/util/json_util.h>

#include "absl/status/status.h"
#include "cityops/common/proto_time.h"

namespace cityops::telemetry {

pqxx::binarystring AssetBody(const v1::Asset& asset) { return pqxx::binarystring(asset.SerializeAsString()); }

absl::StatusOr<v1::Asset> AssetFromBody(const pqxx::field& body) {
  pqxx::binarystring bytes(body);
  v1::Asset asset;
  if (!asset.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("stored asset does not parse");
  }
  return asset;
}

std::string StateToJson(const v1::AssetState& state) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(state, &out, options);
  return out;
}

absl::StatusOr<v1::AssetState> StateFromJson(std::string_view json) {
  v1::AssetState state;
  auto status = google::protobuf::util::JsonStringToMessage(std::string(json), &state);
  if (!status.ok()) return absl::DataLossError("stored asset state does not parse");
  return state;
}

AssetHealth HealthFromState(const v1::AssetState& state, const AssetNode& node) {
  AssetHealth health;
  health.asset_id = node.id;
  health.kind = node.kind;
  health.reporting_interval = std::chrono::seconds(node.reporting_interval_s);
  if (state.has_last_seen()) health.last_seen = common::FromProtoTime(state.last_seen());
  for (const auto& f : state.active_faults()) {
    ActiveFaultState a;
    a.type = f.type();
    a.source = f.source();
    a.since = common::FromProtoTime(f.since());
    a.detail = f.detail();
    a.metric = f.metric();
    a.value = f.value();
    health.faults.push_back(std::move(a));
  }
  return health;
}

void HealthIntoState(const AssetHealth& health, v1::AssetState& state) {
  state.set_asset_id(health.asset_id);
  state.set_health(health.health());
  if (health.last_seen) {
    *state.mutable_last_seen() = common::ToProtoTime(*health.last_seen);
  } else {
    state.clear_last_seen();
  }
  state.clear_active_faults();
  for (const auto& f : health.faults) {
    auto* a = state.add_active_faults();
    a->set_type(f.type);
    a->set_source(f.source);
    *a->mutable_since() = common::ToProtoTime(f.since);
    a->set_detail(f.detail);
    a->set_metric(f.metric);
    a->set_value(f.value);
  }
}

v1::FaultEvent MakeFaultEvent(const FaultTransition& t, const AssetNode& node) {
  v1::FaultEvent event;
  const auto at_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.at.time_since_epoch()).count();
  // Stable for the same transition, so a replay publishes the same event id.
  event.mutable_meta()->set_event_id("fault:" + node.id + ":" + std::to_string(static_cast<int>(t.type)) + ":" +
                                     t.metric + ":" + std::to_string(static_cast<int>(t.state)) + ":" +
                                     std::to_string(at_ns));
  *event.mutable_meta()->mutable_occurred_at() = common::ToProtoTime(t.at);
  event.mutable_meta()->set_producer("telemetry-ingest");
  event.set_asset_id(node.id);
  event.set_asset_kind(node.kind);
  event.set_parent_id(node.parent_id);
  event.set_district(node.district);
  event.mutable_location()->set_lat(node.lat);
  event.mutable_location()->set_lon(node.lon);
  event.set_type(t.type);
  event.set_state(t.state);
  event.set_source(t.source);
  *event.mutable_since() = common::ToProtoTime(t.since);
  *event.mutable_at() = common::ToProtoTime(t.at);
  event.set_detail(t.detail);
  event.set_metric(t.metric);
  event.set_value(t.value);
  return event;
}

}  // namespace cityops::telemetry
