#pragma once

#include <grpcpp/support/status.h>

#include <string_view>
#include <utility>

#include "absl/status/status.h"

namespace cityops::common {

// absl::Status codes are gRPC's codes: the mapping keeps code and message.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// An id given by a client: 1 to `max_length` characters of [A-Za-z0-9._:-];
// INVALID_ARGUMENT naming `field` otherwise.
absl::Status CheckId(std::string_view id, std::string_view field, size_t max_length = 64);

}  // namespace cityops::common

// Assigns the value of a StatusOr expression to lhs, or returns its error from
// the enclosing function (which returns a Status or a StatusOr).
#define CITYOPS_ASSIGN_OR_RETURN(lhs, expr)             \
  do {                                                  \
    auto cityops_assign_or_return_value = (expr);       \
    if (!cityops_assign_or_return_value.ok()) {         \
      return cityops_assign_or_return_value.status();   \
    }                                                   \
    (lhs) = *std::move(cityops_assign_or_return_value); \
  } while (false)

// Returns the status of `expr` from the enclosing function when it is not OK.
#define CITYOPS_RETURN_IF_ERROR(expr)                                                \
  do {                                                                               \
    absl::Status cityops_return_if_error_status = (expr);                            \
    if (!cityops_return_if_error_status.ok()) return cityops_return_if_error_status; \
  } while (false)
