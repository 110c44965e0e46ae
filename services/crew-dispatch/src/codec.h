#pragma once

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
v1::WorkOrderStatus ToProto(OrderStatus status);

}  // namespace cityops::dispatch
