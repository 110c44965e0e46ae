#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cityops/calls/v1/resident_calls.pb.h"
#include "cityops/common/clock.h"
#include "domain/calls_config.h"

// The rules of a resident request's life: what a new request must carry,
// which status may follow which, when personal data goes. Pure.
namespace cityops::calls {

// The district (1..) of a point; 0 when it is in none (outside the city).
using DistrictLocator = std::function<int(double lat, double lon)>;

// "open", "acknowledged", "in_progress", "closed" (Open311 and messages).
std::string_view StatusName(v1::RequestStatus status);
bool IsOpen(v1::RequestStatus status);

// Characters (UTF-8 code points) of a text.
size_t CharCount(std::string_view text);

// A known category and a point inside one of the districts: returns the
// district. INVALID_ARGUMENT naming the field otherwise (no location: nullptr).
absl::StatusOr<int> CheckCategoryAndPlace(const std::string& category, const common::v1::GeoPoint* location,
                                          const CallsConfig& config, const DistrictLocator& locate);

// A new request (no link_to): returns its district. INVALID_ARGUMENT naming
// the field: unknown category, no or non-finite location, a location outside
// every district, an empty or oversized description or address, no channel,
// no recorded_by, malformed resident fields or idempotency key.
absl::StatusOr<int> CheckNewRequest(const v1::CreateRequestRequest& request, const CallsConfig& config,
                                    const DistrictLocator& locate);
// A call added to an open request (link_to): the id, the description (the
// note), recorded_by and the resident fields are checked.
absl::Status CheckLinkedCall(const v1::CreateRequestRequest& request, const CallsConfig& config);
// A note's text: not blank, within note_max_chars.
absl::Status CheckNote(std::string_view text, std::string_view field, const CallsConfig& config);

// OPEN -> ACKNOWLEDGED | IN_PROGRESS | CLOSED; ACKNOWLEDGED -> IN_PROGRESS |
// CLOSED; IN_PROGRESS -> CLOSED; CLOSED -> OPEN (reopened). Anything else,
// the same status included, is FAILED_PRECONDITION; an unset target is
// INVALID_ARGUMENT.
absl::Status CheckTransition(v1::RequestStatus from, v1::RequestStatus to);

// When the resident may expect an answer: created + the category's target.
common::TimePoint ExpectedAt(const CategoryConfig& category, common::TimePoint created);

// Residents' personal data of requests closed before this instant is deleted.
inline common::TimePoint PurgeCutoff(common::TimePoint now, std::chrono::seconds retention) { return now - retention; }
// Whether a request's personal data is due for deletion now: closed, and
// closed at least `retention` ago (a reopened request is not closed).
bool PurgeDue(v1::RequestStatus status, std::optional<common::TimePoint> closed_at, common::TimePoint now,
              std::chrono::seconds retention);

}  // namespace cityops::calls
