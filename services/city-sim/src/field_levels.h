#pragma once

// The light points' controllers in the field: the level each light point was
// last commanded by lighting control (cityops.lighting.v1.LightingCommand, a
// whole cabinet or listed points). The readings loop reports these levels
// (and the power they draw), so lighting control sees its commands obeyed.
// A cabinet can be made deaf (a scenario: its controller ignores commands),
// so lighting control sees them not applied. Thread-safe: the command watcher
// writes while the readings loop reads.

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "city.h"
#include "cityops/lighting/v1/lighting.pb.h"

namespace cityops::sim {

class FieldLevels {
 public:
  explicit FieldLevels(const City& city);

  // Applies a command; returns how many light points changed level.
  size_t Apply(const lighting::v1::LightingCommand& command);
  // The commanded level of the asset at `index` (a light point), if any.
  std::optional<double> LevelOf(size_t index) const;
  void SetDeaf(const std::string& cabinet_id, bool deaf);
  // The light points whose level changed since the last call: a controller
  // reports a new level at once, not at its next periodic reading.
  void TakeChanged(std::vector<size_t>& out);
  uint64_t commands_applied() const { return commands_applied_.load(); }
  // Level changes of light points, in all.
  uint64_t points_changed() const { return points_changed_.load(); }

 private:
  bool IsDeaf(const std::string& cabinet_id) const;

  const City& city_;
  // -1: never commanded.
  std::unique_ptr<std::atomic<int16_t>[]> levels_;
  mutable std::shared_mutex deaf_mutex_;
  std::set<std::string> deaf_;
  std::mutex changed_mutex_;
  std::vector<size_t> changed_;
  std::atomic<uint64_t> commands_applied_{0};
  std::atomic<uint64_t> points_changed_{0};
};

}  // namespace cityops::sim
