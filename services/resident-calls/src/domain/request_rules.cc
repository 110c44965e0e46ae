#include "domain/request_rules.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cityops/common/status.h"

namespace cityops::calls {

namespace {

constexpr size_t kMaxResidentField = 200;
constexpr size_t kMaxRecordedBy = 128;
constexpr size_t kMaxIdempotencyKey = 128;

absl::Status Invalid(std::string_view field, std::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", std::string(problem)));
}

bool Blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); });
}

absl::Status CheckText(std::string_view text, std::string_view field, size_t max_chars, bool required) {
  if (required && Blank(text)) return Invalid(field, "is required");
  if (CharCount(text) > max_chars) return Invalid(field, absl::StrCat("is longer than ", max_chars, " characters"));
  return absl::OkStatus();
}

absl::Status CheckResident(const v1::Resident& r) {
  const std::pair<const std::string*, std::string_view> fields[] = {{&r.first_name(), "resident.first_name"},
                                                                    {&r.last_name(), "resident.last_name"},
                                                                    {&r.phone(), "resident.phone"},
                                                                    {&r.email(), "resident.email"}};
  for (const auto& [value, field] : fields) {
    CITYOPS_RETURN_IF_ERROR(CheckText(*value, field, kMaxResidentField, false));
  }
  if (!r.email().empty()) {
    const auto at = r.email().find('@');
    if (at == std::string::npos || at == 0 || at + 1 == r.email().size() ||
        r.email().find_first_of(" \t\r\n<>") != std::string::npos) {
      return Invalid("resident.email", "is not an e-mail address");
    }
  }
  for (char c : r.phone()) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) &&
        std::string_view("+ ().-").find(c) == std::string_view::npos) {
      return Invalid("resident.phone", "may hold only digits, spaces and + ( ) . -");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckCommon(const v1::CreateRequestRequest& request, const CallsConfig& config) {
  CITYOPS_RETURN_IF_ERROR(CheckText(request.description(), "description", config.description_max_chars, true));
  CITYOPS_RETURN_IF_ERROR(CheckText(request.recorded_by(), "recorded_by", kMaxRecordedBy, true));
  CITYOPS_RETURN_IF_ERROR(CheckText(request.idempotency_key(), "idempotency_key", kMaxIdempotencyKey, false));
  if (request.channel() == v1::REQUEST_CHANNEL_UNSPECIFIED || !v1::RequestChannel_IsValid(request.channel())) {
    return Invalid("channel", "must be phone, app or web");
  }
  return CheckResident(request.resident());
}

}  // namespace

std::string_view StatusName(v1::RequestStatus status) {
  switch (status) {
    case v1::REQUEST_STATUS_OPEN:
      return "open";
    case v1::REQUEST_STATUS_ACKNOWLEDGED:
      return "acknowledged";
    case v1::REQUEST_STATUS_IN_PROGRESS:
      return "in_progress";
    case v1::REQUEST_STATUS_CLOSED:
      return "closed";
    default:
      return "unspecified";
  }
}

bool IsOpen(v1::RequestStatus status) {
  return status == v1::REQUEST_STATUS_OPEN || status == v1::REQUEST_STATUS_ACKNOWLEDGED ||
         status == v1::REQUEST_STATUS_IN_PROGRESS;
}

size_t CharCount(std::string_view text) {
  size_t n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) ++n;
  }
  return n;
}

absl::StatusOr<int> CheckCategoryAndPlace(const std::string& category, const common::v1::GeoPoint* location,
                                          const CallsConfig& config, const DistrictLocator& locate) {
  if (category.empty()) return Invalid("category", "is required");
  if (config.Find(category) == nullptr) return Invalid("category", absl::StrCat("unknown category \"", category, "\""));
  if (location == nullptr) return Invalid("location", "is required");
  const double lat = location->lat();
  const double lon = location->lon();
  if (!std::isfinite(lat) || !std::isfinite(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180) {
    return Invalid("location", "is not a valid WGS84 point");
  }
  const int district = locate(lat, lon);
  if (district <= 0) return Invalid("location", absl::StrCat(lat, ", ", lon, " is outside the city's districts"));
  return district;
}

absl::StatusOr<int> CheckNewRequest(const v1::CreateRequestRequest& request, const CallsConfig& config,
                                    const DistrictLocator& locate) {
  if (request.category().empty() || config.Find(request.category()) == nullptr) {
    return CheckCategoryAndPlace(request.category(), nullptr, config, locate).status();
  }
  CITYOPS_RETURN_IF_ERROR(CheckCommon(request, config));
  CITYOPS_RETURN_IF_ERROR(CheckText(request.address(), "address", config.address_max_chars, false));
  return CheckCategoryAndPlace(request.category(), request.has_location() ? &request.location() : nullptr, config,
                               locate);
}

absl::Status CheckLinkedCall(const v1::CreateRequestRequest& request, const CallsConfig& config) {
  CITYOPS_RETURN_IF_ERROR(common::CheckId(request.link_to(), "link_to"));
  return CheckCommon(request, config);
}

absl::Status CheckNote(std::string_view text, std::string_view field, const CallsConfig& config) {
  return CheckText(text, field, config.note_max_chars, true);
}

absl::Status CheckTransition(v1::RequestStatus from, v1::RequestStatus to) {
  if (to == v1::REQUEST_STATUS_UNSPECIFIED || !v1::RequestStatus_IsValid(to)) {
    return Invalid("status", "must be acknowledged, in_progress, closed or open");
  }
  bool allowed = false;
  switch (from) {
    case v1::REQUEST_STATUS_OPEN:
      allowed = to != v1::REQUEST_STATUS_OPEN;
      break;
    case v1::REQUEST_STATUS_ACKNOWLEDGED:
      allowed = to == v1::REQUEST_STATUS_IN_PROGRESS || to == v1::REQUEST_STATUS_CLOSED;
      break;
    case v1::REQUEST_STATUS_IN_PROGRESS:
      allowed = to == v1::REQUEST_STATUS_CLOSED;
      break;
    case v1::REQUEST_STATUS_CLOSED:
      allowed = to == v1::REQUEST_STATUS_OPEN;
      break;
    default:
      break;
  }
  if (allowed) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("a request cannot go from ", std::string(StatusName(from)), " to ", std::string(StatusName(to))));
}

common::TimePoint ExpectedAt(const CategoryConfig& category, common::TimePoint created) {
  return created + std::chrono::hours(category.target_hours);
}

bool PurgeDue(v1::RequestStatus status, std::optional<common::TimePoint> closed_at, common::TimePoint now,
              std::chrono::seconds retention) {
  return status == v1::REQUEST_STATUS_CLOSED && closed_at.has_value() && *closed_at <= PurgeCutoff(now, retention);
}

}  // namespace cityops::calls
