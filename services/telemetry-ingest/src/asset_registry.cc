#include "asset_registry.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <mutex>
#include <set>

#include <spdlog/spdlog.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "asset_codec.h"
#include "cityops/common/outbox.h"
#include "cityops/common/proto_time.h"
#include "cityops/common/topic_names.h"

namespace cityops::telemetry {

namespace {

constexpr const char* kSelectAllAssets = "SELECT body FROM assets";
constexpr const char* kSelectAssetsForUpdate = "SELECT id, body FROM assets WHERE id = ANY($1::text[]) FOR UPDATE";
constexpr const char* kSelectKinds = "SELECT id, kind, retired FROM assets WHERE id = ANY($1::text[])";
constexpr const char* kSelectBodies = "SELECT body FROM assets WHERE id = ANY($1::text[])";
constexpr const char* kSelectAsset = "SELECT body FROM assets WHERE id = $1";
// Many rows in one statement each: unnest over array parameters.
constexpr const char* kInsertAssets =
    "INSERT INTO assets (id, kind, district, lat, lon, parent_id, reporting_interval_s, retired, version, "
    "registered_at, updated_at, body) "
    "SELECT id, kind, district, lat, lon, NULLIF(parent_id, ''), interval_s, false, 1, $8::timestamptz, "
    "$8::timestamptz, body FROM unnest($1::text[], $2::int[], $3::int[], $4::float8[], $5::float8[], $6::text[], "
    "$7::int[], $9::bytea[]) AS t(id, kind, district, lat, lon, parent_id, interval_s, body)";
constexpr const char* kInsertStates =
    "INSERT INTO asset_state (asset_id, health, last_seen, state) "
    "SELECT id, $2, NULL, jsonb_build_object('asset_id', id, 'health', 'HEALTH_UNKNOWN') FROM unnest($1::text[]) id";
constexpr const char* kUpdateAsset =
    "UPDATE assets SET district = $2, lat = $3, lon = $4, parent_id = NULLIF($5, ''), reporting_interval_s = $6, "
    "retired = $7, version = $8, updated_at = $9::timestamptz, body = $10 WHERE id = $1";
constexpr const char* kCountActiveChildren = "SELECT count(*) FROM assets WHERE parent_id = $1 AND NOT retired";
// Keyset paging by id; each filter is off when its parameter is the neutral value.
constexpr const char* kListAssets =
    "SELECT body FROM assets WHERE ($1 = 0 OR district = $1) AND ($2 = 0 OR kind = $2) "
    "AND ($3 = '' OR parent_id = $3) AND ($4 OR NOT retired) AND id > $5 "
    "AND (NOT $6 OR point(lon, lat) <@ box(point($7, $8), point($9, $10))) "
    "ORDER BY id LIMIT $11";

constexpr size_t kMaxRegisterMany = 5000;

v1::AssetEvent MakeAssetEvent(const v1::Asset& asset, v1::AssetChange change) {
  v1::AssetEvent event;
  event.mutable_meta()->set_event_id(absl::StrCat("asset:", asset.id(), ":", asset.version()));
  *event.mutable_meta()->mutable_occurred_at() = asset.updated_at();
  event.mutable_meta()->set_producer("telemetry-ingest");
  event.set_change(change);
  *event.mutable_asset() = asset;
  return event;
}

void Publish(pqxx::work& tx, const v1::Asset& asset, v1::AssetChange change) {
  common::Outbox::Enqueue(tx, topics::kTelemetryAssets, asset.id(), MakeAssetEvent(asset, change).SerializeAsString());
}

bool ValidPageToken(const std::string& token) {
  return token.size() <= 64 && std::all_of(token.begin(), token.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' || c == '-';
         });
}

}  // namespace

AssetRegistry::AssetRegistry(common::PgPool& pool, const common::Clock& clock, CityBounds bounds,
                             ValidationLimits limits, prometheus::Registry& metrics)
    : pool_(pool),
      clock_(clock),
      bounds_(bounds),
      limits_(limits),
      changes_(prometheus::BuildCounter()
                   .Name("cityops_telemetry_ingest_asset_changes_total")
                   .Help("Asset registry changes, by change")
                   .Register(metrics)),
      rejected_(prometheus::BuildCounter()
                    .Name("cityops_telemetry_ingest_asset_requests_rejected_total")
                    .Help("Asset registry requests refused, by gRPC code")
                    .Register(metrics)) {}

absl::Status AssetRegistry::Load() {
  Topology fresh;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    for (const auto& row : tx.exec(kSelectAllAssets)) {
      auto asset = AssetFromBody(row[0]);
      if (!asset.ok()) return asset.status();
      fresh.Upsert(*asset);
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  std::unique_lock lock(mutex_);
  topology_ = std::move(fresh);
  spdlog::info("asset registry loaded: {} assets", topology_.size());
  return absl::OkStatus();
}

void AssetRegistry::CountRejection(const absl::Status& status) {
  rejected_.Add({{"code", std::string(absl::StatusCodeToString(status.code()))}}).Increment();
}

absl::StatusOr<v1::Asset> AssetRegistry::Register(const v1::Asset& asset) {
  auto result = RegisterMany({asset});
  if (!result.ok()) return result.status();
  return Get(asset.id());
}

absl::StatusOr<v1::RegisterAssetsResponse> AssetRegistry::RegisterMany(const std::vector<v1::Asset>& assets) {
  if (assets.empty()) {
    auto s = absl::InvalidArgumentError("no assets given");
    CountRejection(s);
    return s;
  }
  if (assets.size() > kMaxRegisterMany) {
    auto s = absl::InvalidArgumentError(
        absl::StrCat("too many assets in one request: ", assets.size(), " (at most ", kMaxRegisterMany, ")"));
    CountRejection(s);
    return s;
  }
  for (size_t i = 0; i < assets.size(); ++i) {
    auto s = ValidateAsset(assets[i], bounds_, limits_);
    if (!s.ok()) {
      auto out = absl::Status(
          s.code(), assets.size() == 1 ? std::string(s.message()) : absl::StrCat("assets[", i, "]: ", s.message()));
      CountRejection(out);
      return out;
    }
  }
  std::vector<v1::Asset> stored;
  absl::StatusOr<v1::RegisterAssetsResponse> response;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    stored.clear();
    std::map<std::string, const v1::Asset*> batch;
    for (const auto& a : assets) {
      auto [it, inserted] = batch.emplace(a.id(), &a);
      if (!inserted && !SameRegistration(*it->second, a)) {
        return absl::InvalidArgumentError(absl::StrCat("asset ", a.id(), " appears twice with different data"));
      }
    }
    std::vector<std::string> ids;
    ids.reserve(batch.size());
    for (const auto& [id, _] : batch) ids.push_back(id);
    std::map<std::string, v1::Asset> existing;
    for (const auto& row : tx.exec_params(kSelectAssetsForUpdate, common::PgTextArray(ids))) {
      auto asset = AssetFromBody(row[1]);
      if (!asset.ok()) return asset.status();
      existing.emplace(row[0].as<std::string>(), *asset);
    }
    v1::RegisterAssetsResponse out;
    std::vector<const v1::Asset*> fresh;
    for (const auto& [id, a] : batch) {
      auto it = existing.find(id);
      if (it == existing.end()) {
        fresh.push_back(a);
      } else if (SameRegistration(it->second, *a) && !it->second.retired()) {
        out.set_unchanged(out.unchanged() + 1);
      } else {
        return absl::AlreadyExistsError(absl::StrCat("asset ", id, " is already registered with other data",
                                                     it->second.retired() ? " (retired)" : ""));
      }
    }
    // Parents: in this request or already registered (and not retired).
    std::vector<std::string> parent_ids;
    for (const auto* a : fresh) {
      if (!a->parent_id().empty() && !batch.count(a->parent_id())) parent_ids.push_back(a->parent_id());
    }
    std::map<std::string, std::pair<v1::AssetKind, bool>> parents;
    if (!parent_ids.empty()) {
      for (const auto& row : tx.exec_params(kSelectKinds, common::PgTextArray(parent_ids))) {
        parents[row[0].as<std::string>()] = {static_cast<v1::AssetKind>(row[1].as<int>()), row[2].as<bool>()};
      }
    }
    for (const auto* a : fresh) {
      if (a->parent_id().empty()) {
        // No parent: only for the kinds that may stand alone.
        if (auto s = ValidateParentKind(a->kind(), v1::ASSET_KIND_UNSPECIFIED); !s.ok()) {
          return absl::InvalidArgumentError(absl::StrCat("asset ", a->id(), ": ", s.message()));
        }
        continue;
      }
      v1::AssetKind parent_kind;
      if (auto b = batch.find(a->parent_id()); b != batch.end()) {
        parent_kind = b->second->kind();
        // A cycle within the request: walk up at most the request's size.
        std::string cursor = a->parent_id();
        for (size_t step = 0; step <= batch.size(); ++step) {
          if (cursor == a->id()) {
            return absl::InvalidArgumentError(absl::StrCat("asset ", a->id(), ": parent chain makes a cycle"));
          }
          auto next = batch.find(cursor);
          if (next == batch.end() || next->second->parent_id().empty()) break;
          cursor = next->second->parent_id();
        }
      } else {
        auto p = parents.find(a->parent_id());
        if (p == parents.end() || p->second.second) {
          return absl::NotFoundError(
              absl::StrCat("asset ", a->id(), ": parent ", a->parent_id(), " is not a registered asset"));
        }
        parent_kind = p->second.first;
      }
      if (auto s = ValidateParentKind(a->kind(), parent_kind); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("asset ", a->id(), ": ", s.message()));
      }
    }
    const auto now = clock_.Now();
    const auto now_text = common::ToPgTimestamp(now);
    std::vector<std::string> ids_in, kinds, districts, lats, lons, parent_col, intervals, bodies, events;
    for (const auto* a : fresh) {
      v1::Asset asset = *a;
      asset.set_retired(false);
      asset.set_version(1);
      *asset.mutable_updated_at() = common::ToProtoTime(now);
      ids_in.push_back(asset.id());
      kinds.push_back(std::to_string(static_cast<int>(asset.kind())));
      districts.push_back(std::to_string(asset.district()));
      lats.push_back(absl::StrFormat("%.17g", asset.location().lat()));
      lons.push_back(absl::StrFormat("%.17g", asset.location().lon()));
      parent_col.push_back(asset.parent_id());
      intervals.push_back(std::to_string(asset.reporting_interval_s()));
      bodies.push_back(asset.SerializeAsString());
      events.push_back(MakeAssetEvent(asset, v1::ASSET_CHANGE_REGISTERED).SerializeAsString());
      stored.push_back(std::move(asset));
    }
    if (!fresh.empty()) {
      tx.exec_params(kInsertAssets, common::PgTextArray(ids_in), common::PgTextArray(kinds),
                     common::PgTextArray(districts), common::PgTextArray(lats), common::PgTextArray(lons),
                     common::PgTextArray(parent_col), common::PgTextArray(intervals), now_text,
                     common::PgByteaArray(bodies));
      tx.exec_params(kInsertStates, common::PgTextArray(ids_in), static_cast<int>(v1::HEALTH_UNKNOWN));
      common::Outbox::EnqueueMany(tx, topics::kTelemetryAssets, ids_in, events);
    }
    out.set_registered(static_cast<uint32_t>(fresh.size()));
    response = out;
    return absl::OkStatus();
  });
  if (!status.ok()) {
    CountRejection(status);
    return status;
  }
  {
    std::unique_lock lock(mutex_);
    for (const auto& a : stored) topology_.Upsert(a);
  }
  changes_.Add({{"change", "registered"}}).Increment(static_cast<double>(stored.size()));
  return response;
}

v1::Asset AssetRegistry::StoreNextVersion(pqxx::work& tx, v1::Asset next, int64_t current_version,
                                          v1::AssetChange change) {
  next.set_version(current_version + 1);
  const auto now = clock_.Now();
  *next.mutable_updated_at() = common::ToProtoTime(now);
  tx.exec_params(kUpdateAsset, next.id(), next.district(), next.location().lat(), next.location().lon(),
                 next.parent_id(), next.reporting_interval_s(), next.retired(), next.version(),
                 common::ToPgTimestamp(now), AssetBody(next));
  Publish(tx, next, change);
  return next;
}

absl::StatusOr<v1::Asset> AssetRegistry::Update(const v1::Asset& incoming) {
  if (auto s = ValidateAsset(incoming, bounds_, limits_); !s.ok()) {
    CountRejection(s);
    return s;
  }
  v1::Asset result;
  bool changed = false;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    changed = false;
    auto rows = tx.exec_params(kSelectAssetsForUpdate, common::PgTextArray({incoming.id()}));
    if (rows.empty()) return absl::NotFoundError(absl::StrCat("asset ", incoming.id(), " is not registered"));
    auto current = AssetFromBody(rows[0][1]);
    if (!current.ok()) return current.status();
    if (current->retired()) {
      return absl::FailedPreconditionError(absl::StrCat("asset ", incoming.id(), " is retired"));
    }
    if (current->kind() != incoming.kind()) {
      return absl::InvalidArgumentError("an asset's kind cannot change (retire it and register another)");
    }
    if (!incoming.parent_id().empty()) {
      auto parents = tx.exec_params(kSelectKinds, common::PgTextArray({incoming.parent_id()}));
      if (parents.empty() || parents[0][2].as<bool>()) {
        return absl::NotFoundError(absl::StrCat("parent ", incoming.parent_id(), " is not a registered asset"));
      }
      if (auto s = ValidateParentKind(incoming.kind(), static_cast<v1::AssetKind>(parents[0][1].as<int>())); !s.ok()) {
        return s;
      }
      std::shared_lock lock(mutex_);
      std::string cursor = incoming.parent_id();
      for (size_t step = 0; step <= topology_.size(); ++step) {
        if (cursor == incoming.id()) return absl::InvalidArgumentError("parent chain makes a cycle");
        auto up = topology_.Parent(cursor);
        if (!up || up->empty()) break;
        cursor = *up;
      }
    } else if (auto s = ValidateParentKind(incoming.kind(), v1::ASSET_KIND_UNSPECIFIED); !s.ok()) {
      return s;
    }
    if (SameRegistration(*current, incoming)) {
      result = *current;
      return absl::OkStatus();
    }
    v1::Asset next = incoming;
    next.set_retired(false);
    result = StoreNextVersion(tx, next, current->version(), v1::ASSET_CHANGE_UPDATED);
    changed = true;
    return absl::OkStatus();
  });
  if (!status.ok()) {
    CountRejection(status);
    return status;
  }
  {
    std::unique_lock lock(mutex_);
    topology_.Upsert(result);
  }
  if (changed) changes_.Add({{"change", "updated"}}).Increment();
  return result;
}

absl::StatusOr<v1::Asset> AssetRegistry::Retire(const std::string& id) {
  v1::Asset result;
  bool changed = false;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    auto rows = tx.exec_params(kSelectAssetsForUpdate, common::PgTextArray({id}));
    if (rows.empty()) return absl::NotFoundError(absl::StrCat("asset ", id, " is not registered"));
    auto current = AssetFromBody(rows[0][1]);
    if (!current.ok()) return current.status();
    if (current->retired()) {
      result = *current;
      return absl::OkStatus();
    }
    const auto children = tx.exec_params(kCountActiveChildren, id)[0][0].as<int64_t>();
    if (children > 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("asset ", id, " still has ", children, " active children: retire or move them first"));
    }
    v1::Asset next = *current;
    next.set_retired(true);
    result = StoreNextVersion(tx, next, current->version(), v1::ASSET_CHANGE_RETIRED);
    changed = true;
    return absl::OkStatus();
  });
  if (!status.ok()) {
    CountRejection(status);
    return status;
  }
  if (changed) {
    std::unique_lock lock(mutex_);
    topology_.Upsert(result);
    changes_.Add({{"change", "retired"}}).Increment();
  }
  return result;
}

absl::StatusOr<v1::Asset> AssetRegistry::Get(const std::string& id) {
  absl::StatusOr<v1::Asset> result = absl::NotFoundError(absl::StrCat("asset ", id, " is not registered"));
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    auto rows = tx.exec_params(kSelectAsset, id);
    if (!rows.empty()) result = AssetFromBody(rows[0][0]);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<v1::ListAssetsResponse> AssetRegistry::List(const v1::ListAssetsRequest& request) {
  if (request.page_size() < 0 || request.page_size() > 1000) {
    return absl::InvalidArgumentError("page_size must be within 0..1000");
  }
  if (request.district() < 0 || request.district() > bounds_.districts) {
    return absl::InvalidArgumentError(absl::StrCat("district must be within 1..", bounds_.districts, " (0: any)"));
  }
  if (!ValidPageToken(request.page_token())) return absl::InvalidArgumentError("page_token is not one we gave");
  const int page_size = request.page_size() == 0 ? 100 : request.page_size();
  const bool has_bbox = request.has_bbox();
  const auto& sw = request.bbox().south_west();
  const auto& ne = request.bbox().north_east();
  if (has_bbox && !(std::isfinite(sw.lat()) && std::isfinite(sw.lon()) && std::isfinite(ne.lat()) &&
                    std::isfinite(ne.lon()) && sw.lat() <= ne.lat() && sw.lon() <= ne.lon())) {
    return absl::InvalidArgumentError("bbox must have finite corners with south_west below and left of north_east");
  }
  v1::ListAssetsResponse response;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    auto rows = tx.exec_params(kListAssets, request.district(), static_cast<int>(request.kind()), request.parent_id(),
                               request.include_retired(), request.page_token(), has_bbox, sw.lon(), sw.lat(), ne.lon(),
                               ne.lat(), page_size + 1);
    for (const auto& row : rows) {
      if (response.assets_size() == page_size) {
        response.set_next_page_token(response.assets(page_size - 1).id());
        break;
      }
      auto asset = AssetFromBody(row[0]);
      if (!asset.ok()) return asset.status();
      *response.add_assets() = std::move(*asset);
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return response;
}

void AssetRegistry::Prefetch(const std::vector<std::string>& ids) {
  std::vector<std::string> missing;
  {
    std::shared_lock lock(mutex_);
    std::set<std::string_view> seen;
    for (const auto& id : ids) {
      if (topology_.Find(id) == nullptr && seen.insert(id).second) missing.push_back(id);
    }
  }
  if (missing.empty()) return;
  std::vector<v1::Asset> found;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    for (const auto& row : tx.exec_params(kSelectBodies, common::PgTextArray(missing))) {
      auto asset = AssetFromBody(row[0]);
      if (asset.ok()) found.push_back(std::move(*asset));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) {
    spdlog::warn("asset prefetch failed: {}", status.ToString());
    return;
  }
  std::unique_lock lock(mutex_);
  for (const auto& a : found) topology_.Upsert(a);
}

std::optional<AssetFacts> AssetRegistry::Facts(const std::string& id) const {
  std::shared_lock lock(mutex_);
  const AssetNode* node = topology_.Find(id);
  if (node == nullptr) return std::nullopt;
  return AssetFacts{node->kind, node->retired};
}

std::optional<AssetNode> AssetRegistry::Node(const std::string& id) const {
  std::shared_lock lock(mutex_);
  const AssetNode* node = topology_.Find(id);
  if (node == nullptr) return std::nullopt;
  return *node;
}

size_t AssetRegistry::size() const {
  std::shared_lock lock(mutex_);
  return topology_.size();
}

}  // namespace cityops::telemetry
