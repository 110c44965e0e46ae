#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cityops/common/clock.h"

// Keyset paging over lists ordered newest first by (time, id): the token
// says where the previous page ended.
namespace cityops::common {

struct PageCursor {
  TimePoint after_time{};
  std::string after_id;  // empty: the first page
};

// "<microseconds>:<id>".
std::string MakePageToken(TimePoint time, const std::string& id);
// INVALID_ARGUMENT unless the token is one MakePageToken wrote for an id that
// starts with `id_prefix` and goes on with digits only. An empty token is the first page.
absl::StatusOr<PageCursor> ParsePageToken(const std::string& token, std::string_view id_prefix);
// The number of an id made of a prefix and digits ("INC-00000012" -> 12);
// DATA_LOSS for anything else (ids are this service's own).
absl::StatusOr<int64_t> IdNumber(const std::string& id, std::string_view prefix);

// 0 means `fallback`; INVALID_ARGUMENT outside 0..max.
absl::StatusOr<int> PageSize(int requested, int fallback, int max);

}  // namespace cityops::common
