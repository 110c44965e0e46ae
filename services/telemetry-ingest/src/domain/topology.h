#pragma once

// In-memory index of the asset registry for validation and topology look-ups
// (a few hundred bytes per asset; look-ups by id are hash look-ups). Not
// internally synchronised: the caller guards it.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "cityops/telemetry/v1/assets.pb.h"

namespace cityops::telemetry {

struct AssetNode {
  std::string id;
  v1::AssetKind kind;
  std::string parent_id;
  int district;
  double lat, lon;
  bool retired;
  int reporting_interval_s;
};

class Topology {
 public:
  // Insert or replace (moving parent updates both child lists).
  void Upsert(const v1::Asset& asset);
  // Null when unknown. The pointer is valid until the next Upsert.
  const AssetNode* Find(std::string_view id) const;
  // Sorted ids of the parent's children, retired excluded.
  std::vector<std::string> Children(std::string_view parent_id) const;
  // The parent's id; nullopt for an unknown asset or a root.
  std::optional<std::string> Parent(std::string_view id) const;
  size_t size() const { return nodes_.size(); }
  // Validation that needs the registry: parent exists (NOT_FOUND), is not
  // retired (FAILED_PRECONDITION), parent kind allowed (ValidateParentKind,
  // also for no parent), no cycle (INVALID_ARGUMENT).
  absl::Status CheckParent(const v1::Asset& asset) const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Ids = std::vector<std::string>;  // kept sorted

  void AddChild(const std::string& parent_id, const std::string& child_id);
  void RemoveChild(const std::string& parent_id, const std::string& child_id);

  std::unordered_map<std::string, AssetNode, Hash, std::equal_to<>> nodes_;
  std::unordered_map<std::string, Ids, Hash, std::equal_to<>> children_;
};

}  // namespace cityops::telemetry
