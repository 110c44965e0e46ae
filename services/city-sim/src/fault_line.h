#pragma once

// One readable line per fault event, for people watching the simulator.

#include <string>

#include "cityops/telemetry/v1/readings.pb.h"

namespace cityops::sim {

// "RAISED  POWER_LOSS cab-0042 kind=CONTROL_CABINET district=7 source=SELF_REPORTED ..."
// (with parent, metric=value for out-of-range faults, and the detail when present).
std::string FormatFaultEvent(const telemetry::v1::FaultEvent& event);

}  // namespace cityops::sim
