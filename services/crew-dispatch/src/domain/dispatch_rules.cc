#include "domain/dispatch_rules.h"

#include "absl/strings/str_cat.h"
#include "cityops/common/json_reader.h"
#include "cityops/common/status.h"

namespace cityops::dispatch {
namespace {

using common::JsonReader;

constexpr const char* kPriorityNames[] = {"LOW", "NORMAL", "HIGH", "CRITICAL"};

absl::StatusOr<Priority> PriorityField(const JsonReader& r, const char* field) {
  std::string name;
  CITYOPS_ASSIGN_OR_RETURN(name, r.String(field, true));
  for (int i = 0; i < 4; ++i) {
    if (name == kPriorityNames[i]) return static_cast<Priority>(i + 1);
  }
  return r.Error(field, absl::StrCat("unknown priority \"", name, "\" (LOW, NORMAL, HIGH or CRITICAL)"));
}

}  // namespace

std::string PriorityName(Priority p) { return kPriorityNames[static_cast<int>(p) - 1]; }

absl::StatusOr<DispatchRules> DispatchRules::FromJson(std::string_view text) {
  nlohmann::json doc;
  CITYOPS_ASSIGN_OR_RETURN(doc, JsonReader::Parse(text, "dispatch rules"));
  const JsonReader root(doc, "dispatch rules");
  CITYOPS_RETURN_IF_ERROR(
      root.Only({"about", "eta", "arrival_targets_s", "preemption", "accept_timeout_s", "local_time"}));
  DispatchRules rules;
  JsonReader section = root;
  CITYOPS_ASSIGN_OR_RETURN(section, root.Object("eta"));
  CITYOPS_RETURN_IF_ERROR(section.Only({"road_factor", "speed_kmh"}));
  CITYOPS_ASSIGN_OR_RETURN(rules.road_factor, section.Number("road_factor", 1, 5));
  CITYOPS_ASSIGN_OR_RETURN(rules.speed_kmh, section.Number("speed_kmh", 1, 200));
  CITYOPS_ASSIGN_OR_RETURN(section, root.Object("arrival_targets_s"));
  CITYOPS_RETURN_IF_ERROR(section.Only({"LOW", "NORMAL", "HIGH", "CRITICAL"}));
  for (int i = 0; i < 4; ++i) {
    double seconds = 0;
    CITYOPS_ASSIGN_OR_RETURN(seconds, section.Number(kPriorityNames[i], 60, 30 * 86400));
    rules.arrival_targets[static_cast<size_t>(i)] = std::chrono::seconds(static_cast<int64_t>(seconds));
  }
  CITYOPS_ASSIGN_OR_RETURN(section, root.Object("preemption"));
  CITYOPS_RETURN_IF_ERROR(section.Only({"by", "from_at_most", "on_site"}));
  CITYOPS_ASSIGN_OR_RETURN(rules.preempt_by, PriorityField(section, "by"));
  CITYOPS_ASSIGN_OR_RETURN(rules.preempt_from_at_most, PriorityField(section, "from_at_most"));
  if (rules.preempt_from_at_most >= rules.preempt_by) {
    return section.Error("from_at_most", "must be below `by` (an order never takes a crew from its equals)");
  }
  const auto* on_site = section.Find("on_site");
  if (on_site == nullptr || !on_site->is_boolean()) return section.Error("on_site", "missing or not true/false");
  rules.preempt_on_site = on_site->get<bool>();
  double timeout = 0;
  CITYOPS_ASSIGN_OR_RETURN(timeout, root.Number("accept_timeout_s", 10, 3600));
  rules.accept_timeout = std::chrono::seconds(static_cast<int64_t>(timeout));
  if (root.Find("local_time") != nullptr) {
    CITYOPS_ASSIGN_OR_RETURN(section, root.Object("local_time"));
    CITYOPS_RETURN_IF_ERROR(section.Only({"standard_offset_minutes", "eu_summer_time"}));
    double offset = 0;
    CITYOPS_ASSIGN_OR_RETURN(offset, section.Number("standard_offset_minutes", -12 * 60, 14 * 60));
    rules.local_time.standard_offset_minutes = static_cast<int>(offset);
    const auto* summer = section.Find("eu_summer_time");
    if (summer == nullptr || !summer->is_boolean()) return section.Error("eu_summer_time", "missing or not true/false");
    rules.local_time.eu_summer_time = summer->get<bool>();
  }
  return rules;
}

absl::StatusOr<DispatchRules> DispatchRules::LoadFile(const std::string& path) {
  std::string text;
  CITYOPS_ASSIGN_OR_RETURN(text, JsonReader::ReadFile(path));
  auto rules = FromJson(text);
  if (!rules.ok()) return absl::Status(rules.status().code(), absl::StrCat(path, ": ", rules.status().message()));
  return rules;
}

}  // namespace cityops::dispatch
