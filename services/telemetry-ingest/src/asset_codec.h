#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/statusor.h"
#include "cityops/telemetry/v1/assets.pb.h"
#include "cityops/telemetry/v1/readings.pb.h"
#include "cityops/telemetry/v1/telemetry_ingest.pb.h"
#include "domain/fault_tracker.h"
#include "domain/topology.h"

namespace cityops::telemetry {

// The Asset protobuf kept in assets.body.
pqxx::binarystring AssetBody(const v1::Asset& asset);
absl::StatusOr<v1::Asset> AssetFromBody(const pqxx::field& body);

// asset_state.state is the AssetState protobuf in its JSON mapping.
std::string StateToJson(const v1::AssetState& state);
absl::StatusOr<v1::AssetState> StateFromJson(std::string_view json);

// Between the persisted AssetState and the fault tracker's AssetHealth.
AssetHealth HealthFromState(const v1::AssetState& state, const AssetNode& node);
void HealthIntoState(const AssetHealth& health, v1::AssetState& state);

// The event published for a fault transition, enriched with the asset's place.
v1::FaultEvent MakeFaultEvent(const FaultTransition& transition, const AssetNode& node);

}  // namespace cityops::telemetry
