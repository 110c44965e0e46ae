#include "field_levels.h"

#include <algorithm>
#include <mutex>

namespace cityops::sim {

FieldLevels::FieldLevels(const City& city)
    : city_(city), levels_(std::make_unique<std::atomic<int16_t>[]>(city.size())) {
  for (size_t i = 0; i < city.size(); ++i) levels_[i].store(-1);
}

size_t FieldLevels::Apply(const lighting::v1::LightingCommand& command) {
  if (IsDeaf(command.cabinet_id())) return 0;
  std::vector<size_t> changed;
  const auto set = [&](size_t index, int level) {
    if (city_.at(index).kind != telemetry::v1::ASSET_KIND_LIGHT_POINT) return;
    const auto clamped = static_cast<int16_t>(std::clamp(level, 0, 100));
    if (levels_[index].exchange(clamped) != clamped) changed.push_back(index);
  };
  if (command.has_cabinet_level()) {
    for (size_t child : city_.ChildrenOf(command.cabinet_id())) set(child, command.cabinet_level());
  } else {
    for (const auto& point : command.points()) {
      const int64_t index = city_.IndexOf(point.point_id());
      if (index >= 0) set(static_cast<size_t>(index), point.level());
    }
  }
  ++commands_applied_;
  points_changed_ += changed.size();
  if (!changed.empty()) {
    std::lock_guard lock(changed_mutex_);
    changed_.insert(changed_.end(), changed.begin(), changed.end());
  }
  return changed.size();
}

void FieldLevels::TakeChanged(std::vector<size_t>& out) {
  out.clear();
  std::lock_guard lock(changed_mutex_);
  out.swap(changed_);
}

std::optional<double> FieldLevels::LevelOf(size_t index) const {
  const int16_t level = levels_[index].load(std::memory_order_relaxed);
  if (level < 0) return std::nullopt;
  return static_cast<double>(level);
}

void FieldLevels::SetDeaf(const std::string& cabinet_id, bool deaf) {
  std::unique_lock lock(deaf_mutex_);
  if (deaf) {
    deaf_.insert(cabinet_id);
  } else {
    deaf_.erase(cabinet_id);
  }
}

bool FieldLevels::IsDeaf(const std::string& cabinet_id) const {
  std::shared_lock lock(deaf_mutex_);
  return deaf_.count(cabinet_id) != 0;
}

}  // namespace cityops::sim
