#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace cityops::common {

// absl::Status codes are gRPC's codes: the mapping keeps code and message.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace cityops::common

// Assigns the value of a StatusOr expression to lhs, or returns its error from
// the enclosing function (which returns a Status or a StatusOr).
#define CITYOPS_ASSIGN_OR_RETURN(lhs, expr)           \
  do {                                                \
    auto cityops_assign_or_return_value = (expr);     \
    if (!cityops_assign_or_return_value.ok()) {       \
      return cityops_assign_or_return_value.status(); \
    }                                                 \
    (lhs) = *cityops_assign_or_return_value;          \
  } while (false)
