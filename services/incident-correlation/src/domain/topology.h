#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <unordered_map>

#include "cityops/telemetry/v1/assets.pb.h"

namespace cityops::incidents {

// What correlation knows of one asset: its kind, place and parent.
struct AssetInfo {
  std::string id;
  telemetry::v1::AssetKind kind = telemetry::v1::ASSET_KIND_UNSPECIFIED;
  std::string parent_id;
  int district = 0;
  double lat = 0;
  double lon = 0;
  int64_t version = 0;
};

// The city's network topology as the asset registry's topic tells it: which
// assets hang off which parent, and where they are. Retired assets are gone.
class Topology {
 public:
  // Applies a registration or an update; an older version than the one held
  // is ignored (the topic may replay). Returns whether it changed anything.
  bool Upsert(const AssetInfo& asset);
  bool Retire(const std::string& id, int64_t version);

  const AssetInfo* Find(const std::string& id) const;
  // Children currently registered under the parent.
  int ChildCount(const std::string& parent_id) const;
  size_t size() const { return assets_.size(); }

 private:
  void Detach(const AssetInfo& asset);

  std::unordered_map<std::string, AssetInfo> assets_;
  std::unordered_map<std::string, int> children_;
  // Versions of retired ids, so that a replayed registration does not revive them.
  std::unordered_map<std::string, int64_t> retired_;
};

}  // namespace cityops::incidents
