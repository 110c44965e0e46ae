#include "domain/crew_index.h"

#include <algorithm>
#include <cmath>

namespace cityops::dispatch {

CrewIndex::Cell CrewIndex::CellOf(const Point& p) const {
  return {static_cast<int>(std::floor(p.lat / cell_)), static_cast<int>(std::floor(p.lon / cell_))};
}

void CrewIndex::Put(const Crew& crew) {
  Remove(crew.id);
  if (crew.status != CrewStatus::kAvailable) return;
  Entry entry{crew.position, crew.skills, CellOf(crew.position)};
  for (const auto& skill : crew.skills) cells_[skill][entry.cell].insert(crew.id);
  where_.emplace(crew.id, std::move(entry));
}

void CrewIndex::Remove(const std::string& crew_id) {
  auto it = where_.find(crew_id);
  if (it == where_.end()) return;
  for (const auto& skill : it->second.skills) {
    auto& grid = cells_[skill];
    auto cell = grid.find(it->second.cell);
    if (cell != grid.end()) {
      cell->second.erase(crew_id);
      if (cell->second.empty()) grid.erase(cell);
    }
  }
  where_.erase(it);
}

std::optional<CrewIndex::Found> CrewIndex::Nearest(const std::string& skill, const Point& to, const EtaEstimator& eta,
                                                   const std::function<bool(const std::string&)>& allow) const {
  auto grid_it = cells_.find(skill);
  if (grid_it == cells_.end() || grid_it->second.empty()) return std::nullopt;
  const auto& grid = grid_it->second;
  const Cell center = CellOf(to);
  // A cell's side in metres, at worst (longitude shrinks with latitude).
  const double lat_rad = to.lat * 3.14159265358979323846 / 180.0;
  const double cell_metres = cell_ * 111195.0 * std::max(0.1, std::cos(std::abs(lat_rad) + cell_ * 0.0175));
  auto consider = [&](const std::set<std::string>& ids, std::optional<Found>& best) {
    for (const auto& id : ids) {
      if (!allow(id)) continue;
      const double seconds = eta.Seconds(where_.at(id).position, to);
      if (!best || seconds < best->eta_s || (seconds == best->eta_s && id < best->crew_id)) best = Found{id, seconds};
    }
  };
  auto ring_of = [&](const Cell& cell) {
    return std::max(std::abs(cell.first - center.first), std::abs(cell.second - center.second));
  };
  std::optional<Found> best;
  for (int ring = 0;; ++ring) {
    // Anything in this ring or beyond is at least (ring - 1) cells away.
    if (best && eta.LowerBoundSeconds((ring - 1) * cell_metres) > best->eta_s) break;
    if (8 * static_cast<size_t>(ring) > grid.size()) {
      // Fewer occupied cells than cells in the ring: look at the rest directly.
      for (const auto& [cell, ids] : grid) {
        if (ring_of(cell) >= ring) consider(ids, best);
      }
      break;
    }
    for (int dy = -ring; dy <= ring; ++dy) {
      for (int dx = -ring; dx <= ring; ++dx) {
        if (std::max(std::abs(dx), std::abs(dy)) != ring) continue;
        auto cell = grid.find({center.first + dy, center.second + dx});
        if (cell != grid.end()) consider(cell->second, best);
      }
    }
  }
  return best;
}

}  // namespace cityops::dispatch
