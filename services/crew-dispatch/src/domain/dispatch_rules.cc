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
  CITYOPS_ASSIGN_OR_RETURN(rules.preempt_on_site, section.Bool("on_site"));
  double timeout = 0;
  CITYOPS_ASSIGN_OR_RETURN(timeout, root.Number("accept_timeout_s", 10, 3600));
  rules.accept_timeout = std::chrono::seconds(static_cast<int64_t>(timeout));
  if (root.Find("local_time") != nullptr) {
    CITYOPS_ASSIGN_OR_RETURN(section, root.Object("local_time"));
    CITYOPS_ASSIGN_OR_RETURN(rules.local_time, common::LocalTimeRuleFromJson(section));
  }
  return rules;
}

absl::StatusOr<DispatchRules> DispatchRules::LoadFile(const std::string& path) {
  return common::LoadJsonFile(path, &DispatchRules::FromJson);
}

}  // namespace cityops::dispatch
