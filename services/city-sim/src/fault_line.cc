#include "fault_line.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"

#include <cstdio>
#include <string_view>

namespace cityops::sim {

namespace v1 = telemetry::v1;

namespace {

// "FAULT_TYPE_POWER_LOSS" -> "POWER_LOSS"; a value outside the enum as its number.
template <typename Enum, typename NameFn>
std::string EnumLabel(Enum value, NameFn name_of, std::string_view prefix) {
  std::string name = name_of(value);
  if (name.empty()) return std::to_string(static_cast<int>(value));
  if (name.rfind(prefix, 0) == 0) name.erase(0, prefix.size());
  return name;
}

}  // namespace

std::string FormatFaultEvent(const v1::FaultEvent& event) {
  std::string state = EnumLabel(
      event.state(), [](v1::FaultState s) { return v1::FaultState_Name(s); }, "FAULT_STATE_");
  std::string line = state;
  line.append(state.size() < 8 ? 8 - state.size() : 1, ' ');
  line += EnumLabel(
      event.type(), [](v1::FaultType t) { return v1::FaultType_Name(t); }, "FAULT_TYPE_");
  line += ' ';
  line += event.asset_id().empty() ? "?" : event.asset_id();
  line += " kind=" + EnumLabel(
                         event.asset_kind(), [](v1::AssetKind k) { return v1::AssetKind_Name(k); }, "ASSET_KIND_");
  line += " district=" + std::to_string(event.district());
  line += " source=" + EnumLabel(
                           event.source(), [](v1::FaultSource s) { return v1::FaultSource_Name(s); }, "FAULT_SOURCE_");
  if (!event.parent_id().empty()) line += " parent=" + event.parent_id();
  if (!event.metric().empty()) {
    char value[64];
    std::snprintf(value, sizeof(value), "%g", event.value());
    line += " " + event.metric() + "=" + value;
  }
  if (!event.detail().empty()) {
    // The detail comes from the field: one line, no quote that would end it.
    std::string detail = event.detail();
    for (char& c : detail) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
      if (c == '"') c = '\'';
    }
    line += " detail=\"" + detail + "\"";
  }
  return line;
}

std::string FormatIncidentEvent(const incidents::v1::IncidentEvent& event) {
  namespace iv1 = incidents::v1;
  const iv1::Incident& incident = event.incident();
  if (event.change() == iv1::INCIDENT_CHANGE_UPDATED || event.change() == iv1::INCIDENT_CHANGE_NOTE_ADDED) return {};
  // Merges show in the symptoms count of the incident's next line.
  if (event.change() == iv1::INCIDENT_CHANGE_MERGED) return {};
  std::string change = iv1::IncidentChange_Name(event.change()).substr(std::string("INCIDENT_CHANGE_").size());
  std::string priority = iv1::Priority_Name(incident.priority()).substr(std::string("PRIORITY_").size());
  std::string rule = iv1::Rule_Name(incident.rule()).substr(std::string("RULE_").size());
  for (auto& c : rule) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string line = change;
  line.resize(std::max<size_t>(line.size() + 1, 9), ' ');
  absl::StrAppend(&line, incident.id(), " ", priority, " ", rule, ": ", incident.title(), " (",
                  incident.symptoms_size(), " symptoms, ", incident.requests_size(), " calls)");
  if (!event.actor().empty()) absl::StrAppend(&line, " by ", event.actor());
  return line;
}

}  // namespace cityops::sim
