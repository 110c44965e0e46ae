#include "cityops/common/paging.h"

#include <algorithm>
#include <charconv>

#include "absl/strings/str_cat.h"
#include "cityops/common/proto_time.h"

namespace cityops::common {

std::string MakePageToken(TimePoint time, const std::string& id) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  return absl::StrCat(micros, ":", id);
}

absl::StatusOr<PageCursor> ParsePageToken(const std::string& token, std::string_view id_prefix) {
  PageCursor cursor;
  if (token.empty()) return cursor;
  const auto colon = token.find(':');
  const auto bad = absl::InvalidArgumentError("page_token: not a token of this service");
  if (colon == std::string::npos) return bad;
  int64_t micros = 0;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + colon, micros);
  if (ec != std::errc() || end != token.data() + colon) return bad;
  const std::string id = token.substr(colon + 1);
  if (id.size() <= id_prefix.size() || id.size() > 64 || id.compare(0, id_prefix.size(), id_prefix) != 0 ||
      !std::all_of(id.begin() + static_cast<std::ptrdiff_t>(id_prefix.size()), id.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return bad;
  }
  cursor.after_time = FromEpochMicros(micros);
  cursor.after_id = id;
  return cursor;
}

absl::StatusOr<int64_t> IdNumber(const std::string& id, std::string_view prefix) {
  int64_t number = 0;
  const char* begin = id.data() + std::min(id.size(), prefix.size());
  const auto [end, ec] = std::from_chars(begin, id.data() + id.size(), number);
  if (id.size() <= prefix.size() || id.compare(0, prefix.size(), prefix) != 0 || ec != std::errc() ||
      end != id.data() + id.size()) {
    return absl::DataLossError(absl::StrCat("unexpected id in storage: ", id));
  }
  return number;
}

absl::StatusOr<int> PageSize(int requested, int fallback, int max) {
  if (requested < 0 || requested > max)
    return absl::InvalidArgumentError(absl::StrCat("page_size must be within 0..", max));
  return requested == 0 ? fallback : requested;
}

}  // namespace cityops::common
