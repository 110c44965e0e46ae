#pragma once

#include "absl/status/statusor.h"
#include "cityops/dispatch/v1/dispatch.pb.h"
#include "domain/model.h"

// Crews and work orders between the domain's plain data and the protos of
// storage, events and gRPC.
namespace cityops::dispatch {

v1::Crew ToProto(const Crew& crew);
Crew FromProto(const v1::Crew& crew);
v1::WorkOrder ToProto(const WorkOrder& order);
WorkOrder FromProto(const v1::WorkOrder& order);
v1::CrewStatus ToProto(CrewStatus status);
// INVALID_ARGUMENT naming the field (crew.shift.starts...) when malformed.
absl::StatusOr<Shift> ParseShift(const v1::Shift& shift);
v1::Shift ToProto(const Shift& shift);
v1::WorkOrderStatus ToProto(OrderStatus status);

}  // namespace cityops::dispatch
