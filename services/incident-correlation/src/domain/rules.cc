#include "domain/rules.h"

#include <cmath>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cityops/common/json_reader.h"
#include "cityops/common/status.h"

namespace cityops::incidents {
namespace {

using common::JsonReader;
using Reader = common::JsonReader;

absl::StatusOr<tv1::AssetKind> Kind(const Reader& r, const std::string& name, const char* field) {
  return r.EnumValue<tv1::AssetKind>(name, field, "ASSET_KIND_", tv1::AssetKind_Parse, "asset kind");
}

absl::StatusOr<tv1::FaultType> Fault(const Reader& r, const std::string& name, const char* field) {
  return r.EnumValue<tv1::FaultType>(name, field, "FAULT_TYPE_", tv1::FaultType_Parse, "fault type");
}

absl::StatusOr<v1::Priority> PriorityField(const Reader& r, const char* field) {
  std::string name;
  CITYOPS_ASSIGN_OR_RETURN(name, r.String(field, true));
  auto p = r.EnumValue<v1::Priority>(name, field, "PRIORITY_", v1::Priority_Parse, "priority");
  if (!p.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(p.status().message(), " (LOW, NORMAL, HIGH or CRITICAL)"));
  }
  return p;
}

std::chrono::seconds Seconds(double s) { return std::chrono::seconds(static_cast<int64_t>(s)); }

absl::Status ReadDeduplication(const Reader& r, Rules& rules) {
  CITYOPS_RETURN_IF_ERROR(r.Only({"resolve_hold_s", "reopen_window_s", "flapping_reopens"}));
  double v = 0;
  CITYOPS_ASSIGN_OR_RETURN(v, r.Number("resolve_hold_s", 0, 86400, std::nullopt));
  rules.resolve_hold = Seconds(v);
  CITYOPS_ASSIGN_OR_RETURN(v, r.Number("reopen_window_s", 0, 7 * 86400, std::nullopt));
  rules.reopen_window = Seconds(v);
  CITYOPS_ASSIGN_OR_RETURN(v, r.Number("flapping_reopens", 1, 1000, std::nullopt));
  rules.flapping_reopens = static_cast<int>(v);
  return absl::OkStatus();
}

absl::Status ReadTopology(const Reader& r, Rules& rules) {
  CITYOPS_RETURN_IF_ERROR(r.Only({"window_s", "min_children", "min_fraction", "parents"}));
  double v = 0;
  CITYOPS_ASSIGN_OR_RETURN(v, r.Number("window_s", 1, 86400, std::nullopt));
  rules.topology_window = Seconds(v);
  CITYOPS_ASSIGN_OR_RETURN(v, r.Number("min_children", 2, 100000, std::nullopt));
  rules.min_children = static_cast<int>(v);
  CITYOPS_ASSIGN_OR_RETURN(rules.min_fraction, r.Number("min_fraction", 0, 1, std::nullopt));
  std::vector<Reader> parents;
  CITYOPS_ASSIGN_OR_RETURN(parents, r.Array("parents"));
  for (const Reader& p : parents) {
    CITYOPS_RETURN_IF_ERROR(p.Only({"parent_kind", "child_kinds", "child_fault_types", "fault_type", "title"}));
    ParentRule rule;
    std::string name;
    CITYOPS_ASSIGN_OR_RETURN(name, p.String("parent_kind", true));
    CITYOPS_ASSIGN_OR_RETURN(rule.parent_kind, Kind(p, name, "parent_kind"));
    std::vector<std::string> names;
    CITYOPS_ASSIGN_OR_RETURN(names, p.Strings("child_kinds"));
    if (names.empty()) return p.Error("child_kinds", "must name at least one kind");
    for (const auto& n : names) {
      tv1::AssetKind kind{};
      CITYOPS_ASSIGN_OR_RETURN(kind, Kind(p, n, "child_kinds"));
      if (rules.ParentRuleForChild(kind) != nullptr) {
        return p.Error("child_kinds", absl::StrCat("kind \"", n, "\" already has a parent rule"));
      }
      rule.child_kinds.insert(kind);
    }
    CITYOPS_ASSIGN_OR_RETURN(names, p.Strings("child_fault_types"));
    if (names.empty()) return p.Error("child_fault_types", "must name at least one fault type");
    for (const auto& n : names) {
      tv1::FaultType type{};
      CITYOPS_ASSIGN_OR_RETURN(type, Fault(p, n, "child_fault_types"));
      rule.child_fault_types.insert(type);
    }
    CITYOPS_ASSIGN_OR_RETURN(name, p.String("fault_type", true));
    CITYOPS_ASSIGN_OR_RETURN(rule.fault_type, Fault(p, name, "fault_type"));
    CITYOPS_ASSIGN_OR_RETURN(rule.title, p.String("title", true));
    if (rule.title.empty()) return p.Error("title", "must not be empty");
    if (rules.ParentRuleFor(rule.parent_kind) != nullptr) {
      return p.Error("parent_kind", "two rules for the same parent kind");
    }
    rules.parents.push_back(std::move(rule));
  }
  return absl::OkStatus();
}

absl::Status ReadPriorities(const std::vector<Reader>& entries, Rules& rules) {
  for (const Reader& e : entries) {
    CITYOPS_RETURN_IF_ERROR(e.Only({"kind", "fault_type", "priority", "skill", "note"}));
    PriorityRule rule;
    std::string name;
    CITYOPS_ASSIGN_OR_RETURN(name, e.String("kind", true));
    CITYOPS_ASSIGN_OR_RETURN(rule.kind, Kind(e, name, "kind"));
    CITYOPS_ASSIGN_OR_RETURN(name, e.String("fault_type", false));
    if (!name.empty()) {
      tv1::FaultType type{};
      CITYOPS_ASSIGN_OR_RETURN(type, Fault(e, name, "fault_type"));
      rule.fault_type = type;
    }
    CITYOPS_ASSIGN_OR_RETURN(rule.priority, PriorityField(e, "priority"));
    CITYOPS_ASSIGN_OR_RETURN(rule.skill, e.NonEmptyString("skill"));
    rules.priorities.push_back(std::move(rule));
  }
  return absl::OkStatus();
}

absl::Status ReadResidentCalls(const Reader& r, Rules& rules) {
  CITYOPS_RETURN_IF_ERROR(r.Only({"link_distance_m", "link_window_s", "calls_per_priority_step", "max_raised_priority",
                                  "categories", "unknown_category"}));
  CITYOPS_ASSIGN_OR_RETURN(rules.link_distance_m, r.Number("link_distance_m", 1, 10000, std::nullopt));
  double v = 0;
  CITYOPS_ASSIGN_OR_RETURN(v, r.Number("link_window_s", 60, 30 * 86400, std::nullopt));
  rules.link_window = Seconds(v);
  CITYOPS_ASSIGN_OR_RETURN(v, r.Number("calls_per_priority_step", 1, 100000, std::nullopt));
  rules.calls_per_priority_step = static_cast<int>(v);
  CITYOPS_ASSIGN_OR_RETURN(rules.max_raised_priority, PriorityField(r, "max_raised_priority"));
  std::vector<Reader> categories;
  CITYOPS_ASSIGN_OR_RETURN(categories, r.Array("categories"));
  std::set<std::string> seen;
  for (const Reader& c : categories) {
    CITYOPS_RETURN_IF_ERROR(c.Only({"category", "kinds", "priority", "skill"}));
    CategoryRule rule;
    CITYOPS_ASSIGN_OR_RETURN(rule.category, c.String("category", true));
    if (rule.category.empty()) return c.Error("category", "must not be empty");
    if (!seen.insert(rule.category).second) return c.Error("category", "declared twice");
    std::vector<std::string> kinds;
    CITYOPS_ASSIGN_OR_RETURN(kinds, c.Strings("kinds"));
    for (const auto& n : kinds) {
      tv1::AssetKind kind{};
      CITYOPS_ASSIGN_OR_RETURN(kind, Kind(c, n, "kinds"));
      rule.kinds.insert(kind);
    }
    CITYOPS_ASSIGN_OR_RETURN(rule.priority, PriorityField(c, "priority"));
    CITYOPS_ASSIGN_OR_RETURN(rule.skill, c.NonEmptyString("skill"));
    rules.categories.push_back(std::move(rule));
  }
  CITYOPS_ASSIGN_OR_RETURN(rules.unknown_category, r.String("unknown_category", true));
  if (seen.count(rules.unknown_category) == 0) {
    return r.Error("unknown_category", absl::StrCat("\"", rules.unknown_category, "\" is not a declared category"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Rules> Rules::FromJson(std::string_view text) {
  nlohmann::json doc;
  CITYOPS_ASSIGN_OR_RETURN(doc, JsonReader::Parse(text, "rules"));
  const Reader root(doc, "rules");
  CITYOPS_RETURN_IF_ERROR(root.Only({"about", "deduplication", "topology", "priorities", "default", "resident_calls"}));
  Rules rules;
  Reader section = root;
  CITYOPS_ASSIGN_OR_RETURN(section, root.Object("deduplication"));
  CITYOPS_RETURN_IF_ERROR(ReadDeduplication(section, rules));
  CITYOPS_ASSIGN_OR_RETURN(section, root.Object("topology"));
  CITYOPS_RETURN_IF_ERROR(ReadTopology(section, rules));
  std::vector<Reader> priorities;
  CITYOPS_ASSIGN_OR_RETURN(priorities, root.Array("priorities"));
  CITYOPS_RETURN_IF_ERROR(ReadPriorities(priorities, rules));
  CITYOPS_ASSIGN_OR_RETURN(section, root.Object("default"));
  CITYOPS_RETURN_IF_ERROR(section.Only({"priority", "skill"}));
  CITYOPS_ASSIGN_OR_RETURN(rules.fallback.priority, PriorityField(section, "priority"));
  CITYOPS_ASSIGN_OR_RETURN(rules.fallback.skill, section.NonEmptyString("skill"));
  CITYOPS_ASSIGN_OR_RETURN(section, root.Object("resident_calls"));
  CITYOPS_RETURN_IF_ERROR(ReadResidentCalls(section, rules));
  return rules;
}

absl::StatusOr<Rules> Rules::LoadFile(const std::string& path) { return common::LoadJsonFile(path, &Rules::FromJson); }

Assessment Rules::Assess(tv1::AssetKind kind, tv1::FaultType type) const {
  const PriorityRule* any = nullptr;
  for (const auto& rule : priorities) {
    if (rule.kind != kind) continue;
    if (rule.fault_type && *rule.fault_type == type) return {rule.priority, rule.skill};
    if (!rule.fault_type && any == nullptr) any = &rule;
  }
  if (any != nullptr) return {any->priority, any->skill};
  return fallback;
}

const ParentRule* Rules::ParentRuleFor(tv1::AssetKind parent_kind) const {
  for (const auto& rule : parents) {
    if (rule.parent_kind == parent_kind) return &rule;
  }
  return nullptr;
}

const ParentRule* Rules::ParentRuleForChild(tv1::AssetKind child_kind) const {
  for (const auto& rule : parents) {
    if (rule.child_kinds.count(child_kind) != 0) return &rule;
  }
  return nullptr;
}

const CategoryRule& Rules::Category(const std::string& category) const {
  const CategoryRule* unknown = nullptr;
  for (const auto& rule : categories) {
    if (rule.category == category) return rule;
    if (rule.category == unknown_category) unknown = &rule;
  }
  // FromJson guarantees unknown_category is declared.
  return *unknown;
}

namespace {
std::string Suffix(const std::string& full, std::string_view prefix) {
  return full.rfind(prefix, 0) == 0 ? full.substr(prefix.size()) : full;
}
}  // namespace

std::string KindName(tv1::AssetKind kind) { return Suffix(tv1::AssetKind_Name(kind), "ASSET_KIND_"); }
std::string FaultName(tv1::FaultType type) { return Suffix(tv1::FaultType_Name(type), "FAULT_TYPE_"); }
std::string PriorityName(v1::Priority priority) { return Suffix(v1::Priority_Name(priority), "PRIORITY_"); }

}  // namespace cityops::incidents
