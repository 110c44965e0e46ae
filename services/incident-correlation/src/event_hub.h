#pragma once

#include "cityops/common/broadcast.h"
#include "cityops/incidents/v1/incidents.pb.h"

namespace cityops::incidents {

// Committed incident events, to this process's watch streams.
using EventHub = common::Broadcast<v1::IncidentEvent>;

}  // namespace cityops::incidents
