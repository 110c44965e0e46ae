#include "fault_line.h"

#include <catch2/catch.hpp>

namespace cityops::sim {

namespace v1 = telemetry::v1;

TEST_CASE("FormatFaultEvent: state / type / asset / kind / district / source", "[fault_line]") {
  v1::FaultEvent event;
  event.set_asset_id("cab-0042");
  event.set_asset_kind(v1::ASSET_KIND_CONTROL_CABINET);
  event.set_district(7);
  event.set_type(v1::FAULT_TYPE_POWER_LOSS);
  event.set_state(v1::FAULT_STATE_RAISED);
  event.set_source(v1::FAULT_SOURCE_SELF_REPORTED);
  CHECK(FormatFaultEvent(event) == "RAISED  POWER_LOSS cab-0042 kind=CONTROL_CABINET district=7 source=SELF_REPORTED");

  event.set_state(v1::FAULT_STATE_CLEARED);
  event.set_detail("mains back");
  CHECK(FormatFaultEvent(event) ==
        "CLEARED POWER_LOSS cab-0042 kind=CONTROL_CABINET district=7 source=SELF_REPORTED detail=\"mains back\"");
}

TEST_CASE("FormatFaultEvent: parent and out-of-range value", "[fault_line]") {
  v1::FaultEvent event;
  event.set_asset_id("lp-000123");
  event.set_asset_kind(v1::ASSET_KIND_LIGHT_POINT);
  event.set_parent_id("cab-0003");
  event.set_district(12);
  event.set_type(v1::FAULT_TYPE_READING_OUT_OF_RANGE);
  event.set_state(v1::FAULT_STATE_RAISED);
  event.set_source(v1::FAULT_SOURCE_OUT_OF_RANGE);
  event.set_metric("power_w");
  event.set_value(312.5);
  CHECK(FormatFaultEvent(event) ==
        "RAISED  READING_OUT_OF_RANGE lp-000123 kind=LIGHT_POINT district=12 source=OUT_OF_RANGE parent=cab-0003 "
        "power_w=312.5");
}

TEST_CASE("FormatFaultEvent: a hostile detail stays on one line / unknown enums as numbers", "[fault_line]") {
  v1::FaultEvent event;
  event.set_asset_id("x");
  event.set_type(static_cast<v1::FaultType>(99));
  event.set_detail("a\nFAULT RAISED \"fake\"\r");
  const std::string line = FormatFaultEvent(event);
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line.find('\r') == std::string::npos);
  CHECK(line.find("99 x") != std::string::npos);
  CHECK(line.find("detail=\"a FAULT RAISED 'fake' \"") != std::string::npos);
}

}  // namespace cityops::sim

namespace cityops::sim {

TEST_CASE("FormatIncidentEvent: change, id, priority, rule, title, counts, updates and merges give no line",
          "[fault_line]") {
  namespace iv1 = incidents::v1;
  iv1::IncidentEvent event;
  event.set_change(iv1::INCIDENT_CHANGE_OPENED);
  auto* incident = event.mutable_incident();
  incident->set_id("INC-00000012");
  incident->set_priority(iv1::PRIORITY_NORMAL);
  incident->set_rule(iv1::RULE_TOPOLOGY);
  incident->set_title("Probable cause: cabinet power loss: CONTROL_CABINET cab-0042");
  for (int i = 0; i < 3; ++i) incident->add_symptoms();
  CHECK(FormatIncidentEvent(event) ==
        "OPENED   INC-00000012 NORMAL topology: Probable cause: cabinet power loss: CONTROL_CABINET cab-0042 "
        "(3 symptoms, 0 calls)");
  event.set_change(iv1::INCIDENT_CHANGE_ACKNOWLEDGED);
  event.set_actor("alice");
  CHECK(FormatIncidentEvent(event) ==
        "ACKNOWLEDGED INC-00000012 NORMAL topology: Probable cause: cabinet power loss: CONTROL_CABINET cab-0042 "
        "(3 symptoms, 0 calls) by alice");
  event.set_change(iv1::INCIDENT_CHANGE_UPDATED);
  CHECK(FormatIncidentEvent(event).empty());
  event.set_change(iv1::INCIDENT_CHANGE_MERGED);
  CHECK(FormatIncidentEvent(event).empty());
}

}  // namespace cityops::sim
