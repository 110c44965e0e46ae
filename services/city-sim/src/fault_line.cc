#include "fault_line.h"

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

}  // namespace cityops::sim
