#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace cityops::common {

// absl::Status codes are gRPC's codes: the mapping keeps code and message.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace cityops::common
