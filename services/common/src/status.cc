#include "cityops/common/status.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

#include <string>

namespace cityops::common {

// absl::StatusCode and grpc::StatusCode share their numbering (both are
// google.rpc.Code), so the code converts as a number.
grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const int code = static_cast<int>(status.code());
  if (code <= 0 || code > static_cast<int>(grpc::StatusCode::UNAUTHENTICATED)) {
    return grpc::Status(grpc::StatusCode::UNKNOWN, std::string(status.message()));
  }
  return grpc::Status(static_cast<grpc::StatusCode>(code), std::string(status.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  const int code = static_cast<int>(status.error_code());
  if (code <= 0 || code > static_cast<int>(absl::StatusCode::kUnauthenticated)) {
    return absl::UnknownError(status.error_message());
  }
  return absl::Status(static_cast<absl::StatusCode>(code), status.error_message());
}

absl::Status CheckId(std::string_view id, std::string_view field, size_t max_length) {
  const auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == ':';
  };
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(std::string(field), " is required"));
  if (id.size() > max_length || !std::all_of(id.begin(), id.end(), allowed)) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), ": 1 to ", max_length, " characters of [A-Za-z0-9._:-]"));
  }
  return absl::OkStatus();
}

}  // namespace cityops::common
