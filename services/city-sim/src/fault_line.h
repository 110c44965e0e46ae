#pragma once

// One readable line per fault event, for people watching the simulator.

#include <string>

#include "cityops/incidents/v1/incidents.pb.h"
#include "cityops/telemetry/v1/readings.pb.h"

namespace cityops::sim {

// "RAISED  POWER_LOSS cab-0042 kind=CONTROL_CABINET district=7 source=SELF_REPORTED ..."
// (with parent, metric=value for out-of-range faults, and the detail when present).
std::string FormatFaultEvent(const telemetry::v1::FaultEvent& event);

// "OPENED   INC-00000012 NORMAL topology: Probable cause: cabinet power loss: CONTROL_CABINET cab-0042
// (40 symptoms, 0 calls)"; empty for changes not worth a line (updates, merges, notes).
std::string FormatIncidentEvent(const incidents::v1::IncidentEvent& event);

}  // namespace cityops::sim
