#include "domain/topology.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "domain/validation.h"

namespace cityops::telemetry {

void Topology::Upsert(const v1::Asset& asset) {
  AssetNode node{asset.id(),
                 asset.kind(),
                 asset.parent_id(),
                 asset.district(),
                 asset.location().lat(),
                 asset.location().lon(),
                 asset.retired(),
                 asset.reporting_interval_s()};
  const auto it = nodes_.find(asset.id());
  if (it == nodes_.end()) {
    if (!node.parent_id.empty()) AddChild(node.parent_id, node.id);
    nodes_.emplace(asset.id(), std::move(node));
    return;
  }
  if (it->second.parent_id != node.parent_id) {
    if (!it->second.parent_id.empty()) RemoveChild(it->second.parent_id, node.id);
    if (!node.parent_id.empty()) AddChild(node.parent_id, node.id);
  }
  it->second = std::move(node);
}

const AssetNode* Topology::Find(std::string_view id) const {
  const auto it = nodes_.find(id);
  return it == nodes_.end() ? nullptr : &it->second;
}

std::vector<std::string> Topology::Children(std::string_view parent_id) const {
  std::vector<std::string> out;
  const auto it = children_.find(parent_id);
  if (it == children_.end()) return out;
  out.reserve(it->second.size());
  for (const std::string& id : it->second) {
    const AssetNode* child = Find(id);
    if (child && !child->retired) out.push_back(id);
  }
  return out;
}

std::optional<std::string> Topology::Parent(std::string_view id) const {
  const AssetNode* node = Find(id);
  if (!node || node->parent_id.empty()) return std::nullopt;
  return node->parent_id;
}

absl::Status Topology::CheckParent(const v1::Asset& asset) const {
  if (asset.parent_id().empty()) return ValidateParentKind(asset.kind(), v1::ASSET_KIND_UNSPECIFIED);
  if (asset.parent_id() == asset.id()) {
    return absl::InvalidArgumentError("parent_id: an asset cannot be its own parent");
  }
  const AssetNode* parent = Find(asset.parent_id());
  if (!parent) {
    return absl::NotFoundError(absl::StrCat("parent_id: unknown asset \"", asset.parent_id(), "\""));
  }
  if (parent->retired) {
    return absl::FailedPreconditionError(absl::StrCat("parent_id: asset \"", asset.parent_id(), "\" is retired"));
  }
  if (absl::Status kind_ok = ValidateParentKind(asset.kind(), parent->kind); !kind_ok.ok()) return kind_ok;
  // Walk up from the parent: meeting the asset itself would close a cycle. The
  // step bound also stops on a cycle already in the index.
  const AssetNode* node = parent;
  for (size_t steps = 0; node && steps <= nodes_.size(); ++steps) {
    if (node->id == asset.id()) {
      return absl::InvalidArgumentError(absl::StrCat("parent_id: \"", asset.parent_id(), "\" would make a cycle"));
    }
    if (node->parent_id.empty()) return absl::OkStatus();
    node = Find(node->parent_id);
  }
  if (node) return absl::InvalidArgumentError("parent_id: the parent's chain has a cycle");
  return absl::OkStatus();
}

void Topology::AddChild(const std::string& parent_id, const std::string& child_id) {
  Ids& ids = children_[parent_id];
  const auto pos = std::lower_bound(ids.begin(), ids.end(), child_id);
  if (pos == ids.end() || *pos != child_id) ids.insert(pos, child_id);
}

void Topology::RemoveChild(const std::string& parent_id, const std::string& child_id) {
  const auto it = children_.find(parent_id);
  if (it == children_.end()) return;
  Ids& ids = it->second;
  const auto pos = std::lower_bound(ids.begin(), ids.end(), child_id);
  if (pos != ids.end() && *pos == child_id) ids.erase(pos);
  if (ids.empty()) children_.erase(it);
}

}  // namespace cityops::telemetry
