#include "domain/rules.h"

#include <cmath>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cityops/common/status.h"

namespace cityops::incidents {
namespace {

using nlohmann::json;

// Reads one JSON object, naming the path of every problem
// ("topology.parents[1].fault_type: unknown fault type \"X\"").
class Reader {
 public:
  Reader(const json& node, std::string path) : node_(&node), path_(std::move(path)) {}

  absl::Status Only(std::initializer_list<std::string_view> fields) const {
    if (!node_->is_object()) return Error("", "must be an object");
    for (const auto& item : node_->items()) {
      bool known = false;
      for (auto f : fields) known = known || item.key() == f;
      if (!known) return Error(item.key(), "unknown field");
    }
    return absl::OkStatus();
  }

  absl::Status Error(std::string_view field, std::string_view problem) const {
    std::string where = path_;
    if (!field.empty()) where = where.empty() ? std::string(field) : absl::StrCat(where, ".", std::string(field));
    return absl::InvalidArgumentError(absl::StrCat("rules: ", where, ": ", std::string(problem)));
  }

  const json* Find(const char* field) const {
    auto it = node_->find(field);
    return it == node_->end() ? nullptr : &*it;
  }

  absl::StatusOr<Reader> Object(const char* field) const {
    const json* j = Find(field);
    if (j == nullptr || !j->is_object()) return Error(field, "missing or not an object");
    return Reader(*j, Child(field));
  }

  absl::StatusOr<double> Number(const char* field, double min, double max, std::optional<double> fallback) const {
    const json* j = Find(field);
    if (j == nullptr) {
      if (fallback) return *fallback;
      return Error(field, "missing");
    }
    if (!j->is_number()) return Error(field, "not a number");
    const double v = j->get<double>();
    if (!std::isfinite(v) || v < min || v > max) {
      return Error(field, absl::StrCat("must be within ", min, "..", max));
    }
    return v;
  }

  absl::StatusOr<std::string> String(const char* field, bool required) const {
    const json* j = Find(field);
    if (j == nullptr) {
      if (!required) return std::string();
      return Error(field, "missing");
    }
    if (!j->is_string()) return Error(field, "not a string");
    return j->get<std::string>();
  }

  absl::StatusOr<std::vector<Reader>> Array(const char* field) const {
    const json* j = Find(field);
    if (j == nullptr || !j->is_array()) return Error(field, "missing or not an array");
    std::vector<Reader> out;
    for (size_t i = 0; i < j->size(); ++i) out.emplace_back((*j)[i], absl::StrCat(Child(field), "[", i, "]"));
    return out;
  }

  absl::StatusOr<std::vector<std::string>> Strings(const char* field) const {
    const json* j = Find(field);
    if (j == nullptr || !j->is_array()) return Error(field, "missing or not an array");
    std::vector<std::string> out;
    for (const auto& v : *j) {
      if (!v.is_string()) return Error(field, "must hold strings only");
      out.push_back(v.get<std::string>());
    }
    return out;
  }

  absl::StatusOr<tv1::AssetKind> Kind(const std::string& name, const char* field) const {
    tv1::AssetKind kind = tv1::ASSET_KIND_UNSPECIFIED;
    if (!tv1::AssetKind_Parse(absl::StrCat("ASSET_KIND_", name), &kind) || kind == tv1::ASSET_KIND_UNSPECIFIED) {
      return Error(field, absl::StrCat("unknown asset kind \"", name, "\""));
    }
    return kind;
  }

  absl::StatusOr<tv1::FaultType> Fault(const std::string& name, const char* field) const {
    tv1::FaultType type = tv1::FAULT_TYPE_UNSPECIFIED;
    if (!tv1::FaultType_Parse(absl::StrCat("FAULT_TYPE_", name), &type) || type == tv1::FAULT_TYPE_UNSPECIFIED) {
      return Error(field, absl::StrCat("unknown fault type \"", name, "\""));
    }
    return type;
  }

  absl::StatusOr<v1::Priority> Priority(const char* field) const {
    auto name = String(field, true);
    if (!name.ok()) return name.status();
    v1::Priority p = v1::PRIORITY_UNSPECIFIED;
    if (!v1::Priority_Parse(absl::StrCat("PRIORITY_", *name), &p) || p == v1::PRIORITY_UNSPECIFIED) {
      return Error(field, absl::StrCat("unknown priority \"", *name, "\" (LOW, NORMAL, HIGH or CRITICAL)"));
    }
    return p;
  }

  absl::StatusOr<std::string> Skill(const char* field) const {
    auto skill = String(field, true);
    if (!skill.ok()) return skill.status();
    if (skill->empty()) return Error(field, "must not be empty");
    return skill;
  }

 private:
  std::string Child(std::string_view field) const {
    return path_.empty() ? std::string(field) : absl::StrCat(path_, ".", std::string(field));
  }

  const json* node_;
  std::string path_;
};

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
    CITYOPS_ASSIGN_OR_RETURN(rule.parent_kind, p.Kind(name, "parent_kind"));
    std::vector<std::string> names;
    CITYOPS_ASSIGN_OR_RETURN(names, p.Strings("child_kinds"));
    if (names.empty()) return p.Error("child_kinds", "must name at least one kind");
    for (const auto& n : names) {
      tv1::AssetKind kind{};
      CITYOPS_ASSIGN_OR_RETURN(kind, p.Kind(n, "child_kinds"));
      if (rules.ParentRuleForChild(kind) != nullptr) {
        return p.Error("child_kinds", absl::StrCat("kind \"", n, "\" already has a parent rule"));
      }
      rule.child_kinds.insert(kind);
    }
    CITYOPS_ASSIGN_OR_RETURN(names, p.Strings("child_fault_types"));
    if (names.empty()) return p.Error("child_fault_types", "must name at least one fault type");
    for (const auto& n : names) {
      tv1::FaultType type{};
      CITYOPS_ASSIGN_OR_RETURN(type, p.Fault(n, "child_fault_types"));
      rule.child_fault_types.insert(type);
    }
    CITYOPS_ASSIGN_OR_RETURN(name, p.String("fault_type", true));
    CITYOPS_ASSIGN_OR_RETURN(rule.fault_type, p.Fault(name, "fault_type"));
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
    CITYOPS_ASSIGN_OR_RETURN(rule.kind, e.Kind(name, "kind"));
    CITYOPS_ASSIGN_OR_RETURN(name, e.String("fault_type", false));
    if (!name.empty()) {
      tv1::FaultType type{};
      CITYOPS_ASSIGN_OR_RETURN(type, e.Fault(name, "fault_type"));
      rule.fault_type = type;
    }
    CITYOPS_ASSIGN_OR_RETURN(rule.priority, e.Priority("priority"));
    CITYOPS_ASSIGN_OR_RETURN(rule.skill, e.Skill("skill"));
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
  CITYOPS_ASSIGN_OR_RETURN(rules.max_raised_priority, r.Priority("max_raised_priority"));
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
      CITYOPS_ASSIGN_OR_RETURN(kind, c.Kind(n, "kinds"));
      rule.kinds.insert(kind);
    }
    CITYOPS_ASSIGN_OR_RETURN(rule.priority, c.Priority("priority"));
    CITYOPS_ASSIGN_OR_RETURN(rule.skill, c.Skill("skill"));
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
  const json doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded()) return absl::InvalidArgumentError("rules: not valid JSON");
  const Reader root(doc, "");
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
  CITYOPS_ASSIGN_OR_RETURN(rules.fallback.priority, section.Priority("priority"));
  CITYOPS_ASSIGN_OR_RETURN(rules.fallback.skill, section.Skill("skill"));
  CITYOPS_ASSIGN_OR_RETURN(section, root.Object("resident_calls"));
  CITYOPS_RETURN_IF_ERROR(ReadResidentCalls(section, rules));
  return rules;
}

absl::StatusOr<Rules> Rules::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("rules file not found: ", path));
  std::stringstream text;
  text << in.rdbuf();
  auto rules = FromJson(text.str());
  if (!rules.ok()) return absl::Status(rules.status().code(), absl::StrCat(path, ": ", rules.status().message()));
  return rules;
}

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
