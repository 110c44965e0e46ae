#pragma once

#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include "absl/status/statusor.h"
#include "cityops/common/clock.h"
#include "cityops/common/pg.h"
#include "cityops/telemetry/v1/telemetry_ingest.pb.h"
#include "domain/topology.h"
#include "domain/validation.h"

namespace cityops::telemetry {

// The asset registry: PostgreSQL is the truth, every change leaves as an
// AssetEvent on the compacted assets topic through the outbox, and an
// in-memory Topology serves the hot path (validating readings).
class AssetRegistry {
 public:
  AssetRegistry(common::PgPool& pool, const common::Clock& clock, CityBounds bounds, ValidationLimits limits,
                prometheus::Registry& metrics);

  // Loads every asset into memory (at start).
  absl::Status Load();

  absl::StatusOr<v1::Asset> Register(const v1::Asset& asset);
  // All or nothing, in one transaction.
  absl::StatusOr<v1::RegisterAssetsResponse> RegisterMany(const std::vector<v1::Asset>& assets);
  absl::StatusOr<v1::Asset> Update(const v1::Asset& asset);
  absl::StatusOr<v1::Asset> Retire(const std::string& id);
  absl::StatusOr<v1::Asset> Get(const std::string& id);
  absl::StatusOr<v1::ListAssetsResponse> List(const v1::ListAssetsRequest& request);

  // Hot path. Ids unknown in memory are looked up in the database in one
  // query (another instance may have registered them), then answered from memory.
  void Prefetch(const std::vector<std::string>& ids);
  std::optional<AssetFacts> Facts(const std::string& id) const;
  std::optional<AssetNode> Node(const std::string& id) const;
  size_t size() const;

 private:
  void CountRejection(const absl::Status& status);
  // Writes `next` as the version after current_version and publishes the change.
  v1::Asset StoreNextVersion(pqxx::work& tx, v1::Asset next, int64_t current_version, v1::AssetChange change);

  common::PgPool& pool_;
  const common::Clock& clock_;
  CityBounds bounds_;
  ValidationLimits limits_;
  mutable std::shared_mutex mutex_;
  Topology topology_;
  prometheus::Family<prometheus::Counter>& changes_;
  prometheus::Family<prometheus::Counter>& rejected_;
};

}  // namespace cityops::telemetry
