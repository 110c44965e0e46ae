#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "domain/model.h"

// The city's light points under dense integer ids, laid out so that every
// group the planner works with is cheap to walk: points sorted by (district,
// cabinet, id), so a district and a cabinet are each one contiguous range of
// points; a street is a list of points; so is a road class (in point order,
// so its points in one district are one contiguous run of the list).
//
// The unit of a command is a cabinet *section*: the points of one cabinet in
// one district. The registry puts a cabinet's points in the cabinet's
// district, so a section is a whole cabinet; a cabinet whose points lie in two
// districts is two sections (and two commands).
namespace cityops::lighting {

using PointIndex = uint32_t;
using SectionIndex = uint32_t;
using StreetIndex = uint32_t;
using DistrictSlot = uint32_t;
using RoadClassIndex = uint32_t;
inline constexpr StreetIndex kNoStreet = UINT32_MAX;
inline constexpr RoadClassIndex kNoRoadClass = UINT32_MAX;

class CityIndex {
 public:
  struct Section {
    PointIndex begin;  // points [begin, end)
    PointIndex end;
    DistrictSlot district;
    uint32_t cabinet;  // dense cabinet number (cabinet_id)
  };
  struct District {
    int number;
    SectionIndex section_begin;  // sections [section_begin, section_end)
    SectionIndex section_end;
    PointIndex point_begin;  // points [point_begin, point_end)
    PointIndex point_end;
  };

  // INVALID_ARGUMENT for an empty or repeated point id, a point without a
  // cabinet, a district below 1, or negative watts.
  static absl::StatusOr<CityIndex> Build(std::vector<LightPoint> points);

  size_t point_count() const { return point_ids_.size(); }
  size_t section_count() const { return sections_.size(); }
  size_t cabinet_count() const { return cabinet_ids_.size(); }
  size_t street_count() const { return street_names_.size(); }
  size_t district_count() const { return districts_.size(); }
  size_t road_class_count() const { return road_class_names_.size(); }

  const std::string& point_id(PointIndex p) const { return point_ids_[p]; }
  SectionIndex section_of(PointIndex p) const { return section_of_[p]; }
  StreetIndex street_of(PointIndex p) const { return street_of_[p]; }
  RoadClassIndex road_class_of(PointIndex p) const { return road_class_of_[p]; }
  DistrictSlot district_slot_of(PointIndex p) const { return sections_[section_of_[p]].district; }
  int district_of(PointIndex p) const { return districts_[district_slot_of(p)].number; }
  double rated_w(PointIndex p) const { return rated_w_[p]; }
  double baseline_w(PointIndex p) const { return baseline_w_[p]; }
  // The point as given (rebuilt from the index).
  LightPoint point(PointIndex p) const;

  const Section& section(SectionIndex s) const { return sections_[s]; }
  const std::string& cabinet_id(SectionIndex s) const { return cabinet_ids_[sections_[s].cabinet]; }
  const std::string& street_name(StreetIndex s) const { return street_names_[s]; }
  std::span<const PointIndex> street_points(StreetIndex s) const {
    return {street_points_.data() + street_offsets_[s], street_offsets_[s + 1] - street_offsets_[s]};
  }
  const District& district(DistrictSlot d) const { return districts_[d]; }
  const std::string& road_class_name(RoadClassIndex r) const { return road_class_names_[r]; }
  // The points of a road class, in the whole city or in one district.
  std::span<const PointIndex> road_class_points(RoadClassIndex r) const {
    return {road_class_points_.data() + road_class_offsets_[r], road_class_offsets_[r + 1] - road_class_offsets_[r]};
  }
  std::span<const PointIndex> road_class_points(RoadClassIndex r, DistrictSlot d) const;

  std::optional<PointIndex> FindPoint(const std::string& id) const;
  // The cabinet's sections (usually one); empty when unknown.
  std::span<const SectionIndex> FindCabinet(const std::string& id) const;
  std::optional<StreetIndex> FindStreet(const std::string& name) const;
  std::optional<DistrictSlot> FindDistrict(int number) const;
  std::optional<RoadClassIndex> FindRoadClass(const std::string& name) const;
  // The scope names something of this city (the city always does; a road
  // class does when some point has it and its district, unless 0, is known).
  bool Knows(const Scope& scope) const;
  // The scope covers the point.
  bool Covers(const Scope& scope, PointIndex p) const;

 private:
  std::vector<std::string> point_ids_;
  std::vector<SectionIndex> section_of_;
  std::vector<StreetIndex> street_of_;
  std::vector<double> rated_w_;
  std::vector<double> baseline_w_;
  std::vector<Section> sections_;
  std::vector<std::string> cabinet_ids_;
  std::vector<uint32_t> cabinet_section_offsets_;  // cabinet c: cabinet_sections_[offsets[c], offsets[c+1])
  std::vector<SectionIndex> cabinet_sections_;
  std::vector<std::string> street_names_;
  std::vector<uint32_t> street_offsets_;
  std::vector<PointIndex> street_points_;
  std::vector<RoadClassIndex> road_class_of_;
  std::vector<std::string> road_class_names_;
  std::vector<uint32_t> road_class_offsets_;
  std::vector<PointIndex> road_class_points_;
  std::vector<District> districts_;
  std::unordered_map<std::string, PointIndex> point_by_id_;
  std::unordered_map<std::string, uint32_t> cabinet_by_id_;
  std::unordered_map<std::string, StreetIndex> street_by_name_;
  std::unordered_map<std::string, RoadClassIndex> road_class_by_name_;
};

}  // namespace cityops::lighting
