#include "domain/city_index.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>

#include "absl/strings/str_cat.h"

namespace cityops::lighting {

absl::StatusOr<CityIndex> CityIndex::Build(std::vector<LightPoint> points) {
  if (points.size() >= UINT32_MAX) return absl::InvalidArgumentError("points: too many");
  for (size_t i = 0; i < points.size(); ++i) {
    const LightPoint& p = points[i];
    const auto bad = [&](const char* field, const std::string& problem) {
      return absl::InvalidArgumentError(absl::StrCat("points[", i, "].", field, ": ", problem));
    };
    if (p.id.empty()) return bad("id", "is required");
    if (p.cabinet_id.empty()) return bad("cabinet_id", absl::StrCat("light point ", p.id, " has no cabinet"));
    if (p.district < 1) return bad("district", absl::StrCat("light point ", p.id, ": district must be >= 1"));
    if (!std::isfinite(p.rated_w) || p.rated_w < 0) return bad("rated_w", "must be a number >= 0");
    if (!std::isfinite(p.baseline_w) || p.baseline_w < 0) return bad("baseline_w", "must be a number >= 0");
  }
  std::vector<uint32_t> order(points.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const LightPoint &x = points[a], &y = points[b];
    return std::tie(x.district, x.cabinet_id, x.id) < std::tie(y.district, y.cabinet_id, y.id);
  });

  CityIndex index;
  const size_t n = points.size();
  index.point_ids_.reserve(n);
  index.section_of_.reserve(n);
  index.street_of_.reserve(n);
  index.rated_w_.reserve(n);
  index.baseline_w_.reserve(n);
  index.point_by_id_.reserve(n);
  std::vector<std::vector<SectionIndex>> sections_of_cabinet;
  std::vector<uint32_t> street_sizes;
  std::vector<uint32_t> road_class_sizes;
  index.road_class_of_.reserve(n);
  for (uint32_t k = 0; k < n; ++k) {
    LightPoint& p = points[order[k]];
    const PointIndex pi = k;
    if (!index.point_by_id_.emplace(p.id, pi).second) {
      return absl::InvalidArgumentError(absl::StrCat("points: light point id ", p.id, " appears twice"));
    }
    if (index.districts_.empty() || index.districts_.back().number != p.district) {
      const auto section = static_cast<SectionIndex>(index.sections_.size());
      index.districts_.push_back({p.district, section, section, pi, pi});
    }
    District& district = index.districts_.back();
    if (index.sections_.empty() || index.sections_.back().district != index.districts_.size() - 1 ||
        index.cabinet_ids_[index.sections_.back().cabinet] != p.cabinet_id) {
      auto [it, added] = index.cabinet_by_id_.emplace(p.cabinet_id, static_cast<uint32_t>(index.cabinet_ids_.size()));
      if (added) {
        index.cabinet_ids_.push_back(p.cabinet_id);
        sections_of_cabinet.emplace_back();
      }
      sections_of_cabinet[it->second].push_back(static_cast<SectionIndex>(index.sections_.size()));
      index.sections_.push_back({pi, pi, static_cast<DistrictSlot>(index.districts_.size() - 1), it->second});
    }
    index.sections_.back().end = pi + 1;
    district.section_end = static_cast<SectionIndex>(index.sections_.size());
    district.point_end = pi + 1;
    StreetIndex street = kNoStreet;
    if (!p.street.empty()) {
      auto [it, added] = index.street_by_name_.emplace(p.street, static_cast<StreetIndex>(index.street_names_.size()));
      if (added) {
        index.street_names_.push_back(p.street);
        street_sizes.push_back(0);
      }
      street = it->second;
      ++street_sizes[street];
    }
    RoadClassIndex road_class = kNoRoadClass;
    if (!p.road_class.empty()) {
      auto [it, added] =
          index.road_class_by_name_.emplace(p.road_class, static_cast<RoadClassIndex>(index.road_class_names_.size()));
      if (added) {
        index.road_class_names_.push_back(p.road_class);
        road_class_sizes.push_back(0);
      }
      road_class = it->second;
      ++road_class_sizes[road_class];
    }
    index.road_class_of_.push_back(road_class);
    index.section_of_.push_back(static_cast<SectionIndex>(index.sections_.size() - 1));
    index.street_of_.push_back(street);
    index.rated_w_.push_back(p.rated_w);
    index.baseline_w_.push_back(p.baseline_w);
    index.point_ids_.push_back(std::move(p.id));
  }
  index.cabinet_section_offsets_.push_back(0);
  for (const auto& list : sections_of_cabinet) {
    index.cabinet_sections_.insert(index.cabinet_sections_.end(), list.begin(), list.end());
    index.cabinet_section_offsets_.push_back(static_cast<uint32_t>(index.cabinet_sections_.size()));
  }
  index.street_offsets_.assign(street_sizes.size() + 1, 0);
  for (size_t s = 0; s < street_sizes.size(); ++s)
    index.street_offsets_[s + 1] = index.street_offsets_[s] + street_sizes[s];
  index.street_points_.resize(index.street_offsets_.back());
  std::vector<uint32_t> fill(index.street_offsets_.begin(), index.street_offsets_.end() - 1);
  for (PointIndex p = 0; p < n; ++p) {
    if (index.street_of_[p] != kNoStreet) index.street_points_[fill[index.street_of_[p]]++] = p;
  }
  index.road_class_offsets_.assign(road_class_sizes.size() + 1, 0);
  for (size_t r = 0; r < road_class_sizes.size(); ++r)
    index.road_class_offsets_[r + 1] = index.road_class_offsets_[r] + road_class_sizes[r];
  index.road_class_points_.resize(index.road_class_offsets_.back());
  fill.assign(index.road_class_offsets_.begin(), index.road_class_offsets_.end() - 1);
  for (PointIndex p = 0; p < n; ++p) {
    if (index.road_class_of_[p] != kNoRoadClass) index.road_class_points_[fill[index.road_class_of_[p]]++] = p;
  }
  return index;
}

LightPoint CityIndex::point(PointIndex p) const {
  const StreetIndex s = street_of_[p];
  return {point_ids_[p],
          cabinet_id(section_of_[p]),
          district_of(p),
          s == kNoStreet ? std::string() : street_names_[s],
          rated_w_[p],
          baseline_w_[p],
          road_class_of_[p] == kNoRoadClass ? std::string() : road_class_names_[road_class_of_[p]]};
}

std::span<const PointIndex> CityIndex::road_class_points(RoadClassIndex r, DistrictSlot d) const {
  const std::span<const PointIndex> all = road_class_points(r);
  const District& district = districts_[d];
  const auto begin = std::lower_bound(all.begin(), all.end(), district.point_begin);
  const auto end = std::lower_bound(begin, all.end(), district.point_end);
  return all.subspan(static_cast<size_t>(begin - all.begin()), static_cast<size_t>(end - begin));
}

std::optional<PointIndex> CityIndex::FindPoint(const std::string& id) const {
  auto it = point_by_id_.find(id);
  if (it == point_by_id_.end()) return std::nullopt;
  return it->second;
}

std::span<const SectionIndex> CityIndex::FindCabinet(const std::string& id) const {
  auto it = cabinet_by_id_.find(id);
  if (it == cabinet_by_id_.end()) return {};
  const uint32_t c = it->second;
  return {cabinet_sections_.data() + cabinet_section_offsets_[c],
          cabinet_section_offsets_[c + 1] - cabinet_section_offsets_[c]};
}

std::optional<StreetIndex> CityIndex::FindStreet(const std::string& name) const {
  auto it = street_by_name_.find(name);
  if (it == street_by_name_.end()) return std::nullopt;
  return it->second;
}

std::optional<RoadClassIndex> CityIndex::FindRoadClass(const std::string& name) const {
  auto it = road_class_by_name_.find(name);
  if (it == road_class_by_name_.end()) return std::nullopt;
  return it->second;
}

std::optional<DistrictSlot> CityIndex::FindDistrict(int number) const {
  auto it = std::lower_bound(districts_.begin(), districts_.end(), number,
                             [](const District& d, int n) { return d.number < n; });
  if (it == districts_.end() || it->number != number) return std::nullopt;
  return static_cast<DistrictSlot>(it - districts_.begin());
}

bool CityIndex::Knows(const Scope& scope) const {
  switch (scope.kind) {
    case ScopeKind::kCity:
      return true;
    case ScopeKind::kDistrict:
      return FindDistrict(scope.district).has_value();
    case ScopeKind::kStreet:
      return FindStreet(scope.id).has_value();
    case ScopeKind::kCabinet:
      return !FindCabinet(scope.id).empty();
    case ScopeKind::kPoint:
      return FindPoint(scope.id).has_value();
    case ScopeKind::kRoadClass:
      return FindRoadClass(scope.id).has_value() && (scope.district == 0 || FindDistrict(scope.district).has_value());
  }
  return false;
}

bool CityIndex::Covers(const Scope& scope, PointIndex p) const {
  switch (scope.kind) {
    case ScopeKind::kCity:
      return true;
    case ScopeKind::kDistrict:
      return district_of(p) == scope.district;
    case ScopeKind::kStreet:
      return street_of_[p] != kNoStreet && street_names_[street_of_[p]] == scope.id;
    case ScopeKind::kCabinet:
      return cabinet_id(section_of_[p]) == scope.id;
    case ScopeKind::kPoint:
      return point_ids_[p] == scope.id;
    case ScopeKind::kRoadClass:
      return road_class_of_[p] != kNoRoadClass && road_class_names_[road_class_of_[p]] == scope.id &&
             (scope.district == 0 || district_of(p) == scope.district);
  }
  return false;
}

}  // namespace cityops::lighting
