#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "domain/eta.h"
#include "domain/model.h"

namespace cityops::dispatch {

// The available crews on a grid of cells (about 1 km), by skill, so that the
// nearest qualified crew is found by looking at the cells around a point,
// ring by ring, and stopping once no farther ring can hold a better one.
class CrewIndex {
 public:
  explicit CrewIndex(double cell_degrees = 0.01) : cell_(cell_degrees) {}

  void Put(const Crew& crew);  // (re)indexes an available crew; removes one that is not
  void Remove(const std::string& crew_id);
  size_t size() const { return where_.size(); }

  struct Found {
    std::string crew_id;
    double eta_s = 0;
  };
  // The available crew with the skill and the shortest ETA to `to`, accepted
  // by `allow` (declines); ties go to the smaller id.
  std::optional<Found> Nearest(const std::string& skill, const Point& to, const EtaEstimator& eta,
                               const std::function<bool(const std::string&)>& allow) const;

 private:
  using Cell = std::pair<int, int>;
  Cell CellOf(const Point& p) const;

  double cell_;
  struct Entry {
    Point position;
    std::set<std::string> skills;
    Cell cell;
  };
  std::unordered_map<std::string, Entry> where_;
  // skill -> cell -> crew ids
  std::unordered_map<std::string, std::map<Cell, std::set<std::string>>> cells_;
};

}  // namespace cityops::dispatch
