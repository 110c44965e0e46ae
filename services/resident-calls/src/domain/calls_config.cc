#include "domain/calls_config.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "cityops/common/json_reader.h"
#include "cityops/common/status.h"

namespace cityops::calls {

using common::JsonReader;

namespace {

absl::StatusOr<CategoryConfig> ReadCategory(const JsonReader& r) {
  CITYOPS_RETURN_IF_ERROR(r.Only({"code", "name", "description", "group", "target_hours", "related", "keywords"}));
  CategoryConfig c;
  CITYOPS_ASSIGN_OR_RETURN(c.code, r.NonEmptyString("code"));
  if (auto s = common::CheckId(c.code, "code"); !s.ok()) return r.Error("code", std::string(s.message()));
  CITYOPS_ASSIGN_OR_RETURN(c.name, r.NonEmptyString("name"));
  CITYOPS_ASSIGN_OR_RETURN(c.description, r.String("description", false));
  CITYOPS_ASSIGN_OR_RETURN(c.group, r.String("group", false));
  int64_t hours = 0;
  CITYOPS_ASSIGN_OR_RETURN(hours, r.Integer("target_hours", 1, 8760));
  c.target_hours = static_cast<int>(hours);
  if (r.Find("related") != nullptr) CITYOPS_ASSIGN_OR_RETURN(c.related, r.Strings("related"));
  if (r.Find("keywords") != nullptr) CITYOPS_ASSIGN_OR_RETURN(c.keywords, r.Strings("keywords"));
  return c;
}

}  // namespace

absl::StatusOr<CallsConfig> CallsConfig::FromJson(std::string_view text) {
  auto parsed = JsonReader::Parse(text, "calls");
  if (!parsed.ok()) return parsed.status();
  const nlohmann::json& json = *parsed;
  const JsonReader root(json, "calls");
  CITYOPS_RETURN_IF_ERROR(root.Only({"about", "categories", "duplicate_radius_m", "description_max_chars",
                                     "address_max_chars", "note_max_chars", "personal_data", "local_time"}));
  CallsConfig config;
  auto categories_or = root.Array("categories");
  if (!categories_or.ok()) return categories_or.status();
  const std::vector<JsonReader>& categories = *categories_or;
  if (categories.empty()) return root.Error("categories", "at least one category is needed");
  for (const auto& entry : categories) {
    auto category_or = ReadCategory(entry);
    if (!category_or.ok()) return category_or.status();
    CategoryConfig& category = *category_or;
    if (config.Find(category.code) != nullptr) {
      return entry.Error("code", absl::StrCat("\"", category.code, "\" is listed twice"));
    }
    config.categories.push_back(std::move(category));
  }
  for (size_t i = 0; i < config.categories.size(); ++i) {
    for (const auto& related : config.categories[i].related) {
      if (config.Find(related) == nullptr) {
        return categories[i].Error("related", absl::StrCat("\"", related, "\" is not a category"));
      }
    }
  }
  CITYOPS_ASSIGN_OR_RETURN(config.duplicate_radius_m, root.Number("duplicate_radius_m", 1, 5000, 50));
  int64_t description_max = 0, address_max = 0, note_max = 0;
  CITYOPS_ASSIGN_OR_RETURN(description_max, root.Integer("description_max_chars", 10, 100000, 2000));
  CITYOPS_ASSIGN_OR_RETURN(address_max, root.Integer("address_max_chars", 10, 10000, 300));
  CITYOPS_ASSIGN_OR_RETURN(note_max, root.Integer("note_max_chars", 10, 100000, 2000));
  config.description_max_chars = static_cast<size_t>(description_max);
  config.address_max_chars = static_cast<size_t>(address_max);
  config.note_max_chars = static_cast<size_t>(note_max);
  auto personal_or = root.Object("personal_data");
  if (!personal_or.ok()) return personal_or.status();
  const JsonReader& personal = *personal_or;
  CITYOPS_RETURN_IF_ERROR(personal.Only({"retention_days", "roles"}));
  int64_t days = 0;
  CITYOPS_ASSIGN_OR_RETURN(days, personal.Integer("retention_days", 1, 3650));
  config.retention = std::chrono::hours(24 * days);
  std::vector<std::string> roles;
  CITYOPS_ASSIGN_OR_RETURN(roles, personal.Strings("roles"));
  config.personal_data_roles.insert(roles.begin(), roles.end());
  if (root.Find("local_time") != nullptr) {
    auto local = root.Object("local_time");
    if (!local.ok()) return local.status();
    CITYOPS_ASSIGN_OR_RETURN(config.local_time, common::LocalTimeRuleFromJson(*local));
  }
  return config;
}

absl::StatusOr<CallsConfig> CallsConfig::LoadFile(const std::string& path) {
  return common::LoadJsonFile(path, &CallsConfig::FromJson);
}

const CategoryConfig* CallsConfig::Find(std::string_view code) const {
  for (const auto& c : categories) {
    if (c.code == code) return &c;
  }
  return nullptr;
}

bool CallsConfig::Related(std::string_view a, std::string_view b) const {
  if (a == b) return true;
  auto lists = [&](std::string_view from, std::string_view to) {
    const CategoryConfig* c = Find(from);
    return c != nullptr && std::find(c->related.begin(), c->related.end(), to) != c->related.end();
  };
  return lists(a, b) || lists(b, a);
}

}  // namespace cityops::calls
