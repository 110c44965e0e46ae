#pragma once

// Validation of what clients send to telemetry-ingest: assets, batches of
// readings and fault reports. Pure functions over the generated protobuf
// types; the registry is reached only through the AssetLookup given.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "cityops/common/clock.h"
#include "cityops/telemetry/v1/assets.pb.h"
#include "cityops/telemetry/v1/readings.pb.h"
#include "cityops/telemetry/v1/telemetry_ingest.pb.h"

namespace cityops::telemetry {

// The city's extent (Dijon by default). Bounds are inclusive.
struct CityBounds {
  double min_lat = 47.20, max_lat = 47.45, min_lon = 4.85, max_lon = 5.25;
  int districts = 24;
};

struct ValidationLimits {
  size_t max_batch = 10000;
  std::chrono::seconds max_future{300};
  std::chrono::hours max_past{24 * 7};
  size_t max_id = 64, max_metric = 64, max_detail = 512, max_attributes = 32, max_attr_key = 64, max_attr_value = 256;
};

// Longest reporting interval accepted (one day).
inline constexpr int kMaxReportingIntervalS = 86400;

// Reasons of a reading's rejection (also the label of the rejection metric).
inline constexpr std::string_view kReasonEmptyBatch = "empty_batch";
inline constexpr std::string_view kReasonOversizedBatch = "oversized_batch";
inline constexpr std::string_view kReasonUnknownAsset = "unknown_asset";
inline constexpr std::string_view kReasonRetiredAsset = "retired_asset";
inline constexpr std::string_view kReasonBadMetric = "bad_metric";
inline constexpr std::string_view kReasonBadTimestamp = "bad_timestamp";
inline constexpr std::string_view kReasonFutureTimestamp = "future_timestamp";
inline constexpr std::string_view kReasonStaleTimestamp = "stale_timestamp";
inline constexpr std::string_view kReasonNotFinite = "not_finite";
inline constexpr std::string_view kReasonBadLocation = "bad_location";
// The metric of a moving asset's position fix (the reading carries a location).
inline constexpr std::string_view kPositionMetric = "position";

// An id: 1..max_len characters of [A-Za-z0-9._:-].
bool IsValidId(std::string_view id, size_t max_len = 64);
// A metric name: 1..max_len characters of [a-z0-9_].
bool IsValidMetric(std::string_view metric, size_t max_len = 64);
// Number of Unicode code points of a UTF-8 string (what "characters" means in limits).
size_t Utf8Length(std::string_view text);
// The kind's enum name without its prefix ("LIGHT_POINT"); "UNKNOWN" for values out of the enum.
std::string KindName(v1::AssetKind kind);

// A protobuf timestamp as a time point: nullopt when it is not a valid
// timestamp (nanos out of 0..999,999,999, seconds outside years 1..9999) or
// cannot be represented by common::TimePoint (beyond about 1678..2262).
std::optional<common::TimePoint> ToTimePoint(const google::protobuf::Timestamp& ts);

// INVALID_ARGUMENT with a message naming the field: id charset [A-Za-z0-9._:-]
// 1..max_id, kind set, district 1..districts, location inside bounds and
// finite, parent_id valid id or empty and != id, reporting_interval_s in
// 1..86400, attributes limits (keys use the id charset; values are free text,
// anything but NUL), watts finite and >= 0 (light points: rated_watts > 0).
absl::Status ValidateAsset(const v1::Asset& asset, const CityBounds& bounds, const ValidationLimits& limits);

// Which parent kinds a kind may hang off (ASSET_KIND_UNSPECIFIED as `parent`
// means "no parent"): light point -> control cabinet; camera -> access-point
// site; bollard/traffic controller -> control cabinet or none; others -> none.
// INVALID_ARGUMENT otherwise (so a light point or a camera needs its parent).
absl::Status ValidateParentKind(v1::AssetKind child, v1::AssetKind parent);

// Two registrations "the same" ignoring service-set fields (retired, version, updated_at).
bool SameRegistration(const v1::Asset& a, const v1::Asset& b);

// What validation needs to know of a known asset.
struct AssetFacts {
  v1::AssetKind kind;
  bool retired = false;
};
using AssetLookup = std::function<std::optional<AssetFacts>(const std::string& asset_id)>;

struct Rejection {
  uint32_t index;
  std::string reason;
  std::string message;
};

// One rejection per rejected reading (its first problem), in index order; an
// empty result means the whole batch is acceptable. empty_batch and
// oversized_batch reject the whole batch (a single rejection at index 0).
// A "position" reading must carry a location inside `bounds`; no other
// reading may carry one.
std::vector<Rejection> ValidateBatch(const v1::ReadingBatch& batch, const AssetLookup& lookup, common::TimePoint now,
                                     const ValidationLimits& limits, const CityBounds& bounds = {});

// Same checks for one fault report (type must be set and be one a device may
// report, i.e. not READING_OUT_OF_RANGE or SILENT which ingest raises itself;
// detail at most max_detail characters, no NUL). Returns the first problem as
// INVALID_ARGUMENT, NOT_FOUND for an unknown asset, FAILED_PRECONDITION for a
// retired one.
absl::Status ValidateFaultReport(const v1::FaultReport& report, const AssetLookup& lookup, common::TimePoint now,
                                 const ValidationLimits& limits);

}  // namespace cityops::telemetry
