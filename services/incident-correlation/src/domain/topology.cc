#include "domain/topology.h"

namespace cityops::incidents {

bool Topology::Upsert(const AssetInfo& asset) {
  if (auto r = retired_.find(asset.id); r != retired_.end()) {
    if (asset.version <= r->second) return false;
    retired_.erase(r);
  }
  auto it = assets_.find(asset.id);
  if (it != assets_.end()) {
    if (asset.version != 0 && asset.version <= it->second.version) return false;
    Detach(it->second);
    it->second = asset;
  } else {
    it = assets_.emplace(asset.id, asset).first;
  }
  if (!asset.parent_id.empty()) ++children_[asset.parent_id];
  return true;
}

bool Topology::Retire(const std::string& id, int64_t version) {
  auto it = assets_.find(id);
  if (it != assets_.end()) {
    if (version != 0 && version < it->second.version) return false;
    Detach(it->second);
    assets_.erase(it);
  }
  auto& known = retired_[id];
  known = std::max(known, version);
  return true;
}

const AssetInfo* Topology::Find(const std::string& id) const {
  auto it = assets_.find(id);
  return it == assets_.end() ? nullptr : &it->second;
}

int Topology::ChildCount(const std::string& parent_id) const {
  auto it = children_.find(parent_id);
  return it == children_.end() ? 0 : it->second;
}

void Topology::Detach(const AssetInfo& asset) {
  if (asset.parent_id.empty()) return;
  auto c = children_.find(asset.parent_id);
  if (c != children_.end() && --c->second <= 0) children_.erase(c);
}

}  // namespace cityops::incidents
