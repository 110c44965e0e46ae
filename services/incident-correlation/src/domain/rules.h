#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cityops/incidents/v1/incidents.pb.h"
#include "cityops/telemetry/v1/assets.pb.h"
#include "cityops/telemetry/v1/readings.pb.h"

namespace cityops::incidents {

namespace tv1 = cityops::telemetry::v1;

// One topology rule: children of a parent of this kind that fail together
// point at the parent.
struct ParentRule {
  tv1::AssetKind parent_kind = tv1::ASSET_KIND_UNSPECIFIED;
  std::set<tv1::AssetKind> child_kinds;
  std::set<tv1::FaultType> child_fault_types;
  tv1::FaultType fault_type = tv1::FAULT_TYPE_UNSPECIFIED;  // of the parent incident
  std::string title;
};

struct PriorityRule {
  tv1::AssetKind kind = tv1::ASSET_KIND_UNSPECIFIED;
  std::optional<tv1::FaultType> fault_type;  // unset: any fault of the kind
  v1::Priority priority = v1::PRIORITY_NORMAL;
  std::string skill;
};

struct CategoryRule {
  std::string category;
  std::set<tv1::AssetKind> kinds;  // incidents on these kinds match the category
  v1::Priority priority = v1::PRIORITY_LOW;
  std::string skill;
};

struct Assessment {
  v1::Priority priority = v1::PRIORITY_NORMAL;
  std::string skill;
};

// Every rule and threshold of correlation, from a JSON file (the defaults
// ship in config/rules.json and are built into the binary).
struct Rules {
  // Deduplication and resolution.
  std::chrono::seconds resolve_hold{30};
  std::chrono::seconds reopen_window{600};
  int flapping_reopens = 3;
  // Topology.
  std::chrono::seconds topology_window{120};
  int min_children = 3;
  double min_fraction = 0.5;
  std::vector<ParentRule> parents;
  // Priority and skill.
  std::vector<PriorityRule> priorities;
  Assessment fallback;
  // Resident calls.
  double link_distance_m = 150;
  std::chrono::seconds link_window{86400};
  int calls_per_priority_step = 5;
  v1::Priority max_raised_priority = v1::PRIORITY_HIGH;
  std::vector<CategoryRule> categories;
  std::string unknown_category = "other";

  static absl::StatusOr<Rules> FromJson(std::string_view json);
  static absl::StatusOr<Rules> LoadFile(const std::string& path);

  // The first priority rule for the kind and fault type (an exact fault type
  // before "any"), else the default.
  Assessment Assess(tv1::AssetKind kind, tv1::FaultType type) const;
  // The rule whose parent kind is given, or null.
  const ParentRule* ParentRuleFor(tv1::AssetKind parent_kind) const;
  // The rule whose children include this kind, or null.
  const ParentRule* ParentRuleForChild(tv1::AssetKind child_kind) const;
  // The category's rule; an unknown category gets the unknown_category's rule.
  const CategoryRule& Category(const std::string& category) const;
};

// The rules shipped with the service (config/rules.json, built in).
std::string_view DefaultRulesJson();

// "LIGHT_POINT" and the like, for messages.
std::string KindName(tv1::AssetKind kind);
std::string FaultName(tv1::FaultType type);
std::string PriorityName(v1::Priority priority);

}  // namespace cityops::incidents
