#include "domain/validation.h"

#include <google/protobuf/util/message_differencer.h>

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace cityops::telemetry {
namespace {

// Valid google.protobuf.Timestamp range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;
constexpr int32_t kMaxNanos = 999999999;

bool IsIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == ':' || c == '-';
}

bool IsMetricChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

bool IsKindSet(v1::AssetKind kind) { return kind != v1::ASSET_KIND_UNSPECIFIED && v1::AssetKind_IsValid(kind); }

// Free text (detail, attribute values) is kept as data, whatever it holds,
// except NUL which PostgreSQL text cannot store.
bool HasNul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

std::string IdRule(size_t max_len) { return absl::StrCat("must be 1 to ", max_len, " characters of [A-Za-z0-9._:-]"); }

enum class TimeCheck { kOk, kMissing, kInvalid, kFuture, kStale };

TimeCheck CheckTime(bool present, const google::protobuf::Timestamp& ts, common::TimePoint now,
                    const ValidationLimits& limits) {
  if (!present) return TimeCheck::kMissing;
  if (ts.nanos() < 0 || ts.nanos() > kMaxNanos || ts.seconds() < kMinTimestampSeconds ||
      ts.seconds() > kMaxTimestampSeconds) {
    return TimeCheck::kInvalid;
  }
  const std::optional<common::TimePoint> time = ToTimePoint(ts);
  if (!time) {
    // Valid, but beyond what TimePoint holds: far in the past or the future.
    return ts.seconds() > 0 ? TimeCheck::kFuture : TimeCheck::kStale;
  }
  if (*time > now + limits.max_future) return TimeCheck::kFuture;
  if (*time < now - limits.max_past) return TimeCheck::kStale;
  return TimeCheck::kOk;
}

std::string FutureMessage(const ValidationLimits& limits) {
  return absl::StrCat("time: more than ", limits.max_future.count(), " s in the future");
}

std::string StaleMessage(const ValidationLimits& limits) {
  return absl::StrCat("time: older than ", limits.max_past.count(), " h");
}

}  // namespace

bool IsValidId(std::string_view id, size_t max_len) {
  if (id.empty() || id.size() > max_len) return false;
  for (char c : id) {
    if (!IsIdChar(c)) return false;
  }
  return true;
}

bool IsValidMetric(std::string_view metric, size_t max_len) {
  if (metric.empty() || metric.size() > max_len) return false;
  for (char c : metric) {
    if (!IsMetricChar(c)) return false;
  }
  return true;
}

size_t Utf8Length(std::string_view text) {
  size_t n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) ++n;
  }
  return n;
}

std::string KindName(v1::AssetKind kind) {
  if (!v1::AssetKind_IsValid(kind)) return "UNKNOWN";
  constexpr std::string_view kPrefix = "ASSET_KIND_";
  std::string name = v1::AssetKind_Name(kind);
  if (name.rfind(kPrefix, 0) == 0) name.erase(0, kPrefix.size());
  return name;
}

std::optional<common::TimePoint> ToTimePoint(const google::protobuf::Timestamp& ts) {
  if (ts.nanos() < 0 || ts.nanos() > kMaxNanos || ts.seconds() < kMinTimestampSeconds ||
      ts.seconds() > kMaxTimestampSeconds) {
    return std::nullopt;
  }
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  // Keep one second of margin on each side so that adding the nanos cannot overflow.
  constexpr int64_t kMaxRepresentable = duration_cast<seconds>(common::TimePoint::duration::max()).count() - 1;
  constexpr int64_t kMinRepresentable = duration_cast<seconds>(common::TimePoint::duration::min()).count() + 1;
  if (ts.seconds() > kMaxRepresentable || ts.seconds() < kMinRepresentable) return std::nullopt;
  return common::TimePoint(
      duration_cast<common::TimePoint::duration>(seconds(ts.seconds()) + std::chrono::nanoseconds(ts.nanos())));
}

namespace {

// Empty when the reading's location is as its metric wants it.
std::string CheckPositionLocation(const v1::Reading& reading, const CityBounds& bounds) {
  if (reading.metric() != kPositionMetric) {
    return reading.has_location() ? "location: only \"position\" readings carry a location" : "";
  }
  if (!reading.has_location()) return "location: missing (a \"position\" reading must say where)";
  const double lat = reading.location().lat();
  const double lon = reading.location().lon();
  if (!std::isfinite(lat) || !std::isfinite(lon)) return "location: lat and lon must be finite numbers";
  if (lat < bounds.min_lat || lat > bounds.max_lat || lon < bounds.min_lon || lon > bounds.max_lon) {
    return absl::StrCat("location: (", lat, ", ", lon, ") is outside the city");
  }
  return "";
}

}  // namespace

absl::Status ValidateAsset(const v1::Asset& asset, const CityBounds& bounds, const ValidationLimits& limits) {
  if (!IsValidId(asset.id(), limits.max_id)) return Invalid("id", IdRule(limits.max_id));
  if (!IsKindSet(asset.kind())) return Invalid("kind", "missing or unknown asset kind");
  if (asset.district() < 1 || asset.district() > bounds.districts) {
    return Invalid("district", absl::StrCat("must be 1 to ", bounds.districts));
  }
  if (!asset.has_location()) return Invalid("location", "missing");
  const double lat = asset.location().lat();
  const double lon = asset.location().lon();
  if (!std::isfinite(lat) || !std::isfinite(lon)) {
    return Invalid("location", "lat and lon must be finite numbers");
  }
  if (lat < bounds.min_lat || lat > bounds.max_lat) {
    return Invalid("location.lat", absl::StrCat("outside the city (", bounds.min_lat, " to ", bounds.max_lat, ")"));
  }
  if (lon < bounds.min_lon || lon > bounds.max_lon) {
    return Invalid("location.lon", absl::StrCat("outside the city (", bounds.min_lon, " to ", bounds.max_lon, ")"));
  }
  if (!asset.parent_id().empty()) {
    if (!IsValidId(asset.parent_id(), limits.max_id)) {
      return Invalid("parent_id", absl::StrCat("empty or ", IdRule(limits.max_id)));
    }
    if (asset.parent_id() == asset.id()) return Invalid("parent_id", "an asset cannot be its own parent");
  }
  if (asset.reporting_interval_s() < 1 || asset.reporting_interval_s() > kMaxReportingIntervalS) {
    return Invalid("reporting_interval_s", absl::StrCat("must be 1 to ", kMaxReportingIntervalS));
  }
  if (static_cast<size_t>(asset.attributes_size()) > limits.max_attributes) {
    return Invalid("attributes", absl::StrCat("at most ", limits.max_attributes, " entries"));
  }
  for (const auto& [key, value] : asset.attributes()) {
    if (!IsValidId(key, limits.max_attr_key)) {
      return Invalid("attributes", absl::StrCat("keys ", IdRule(limits.max_attr_key)));
    }
    const std::string field = absl::StrCat("attributes[", key, "]");
    if (Utf8Length(value) > limits.max_attr_value) {
      return Invalid(field, absl::StrCat("value longer than ", limits.max_attr_value, " characters"));
    }
    if (HasNul(value)) return Invalid(field, "value contains a NUL character");
  }
  if (!std::isfinite(asset.rated_watts()) || asset.rated_watts() < 0) {
    return Invalid("rated_watts", "must be a finite number >= 0");
  }
  if (!std::isfinite(asset.baseline_watts()) || asset.baseline_watts() < 0) {
    return Invalid("baseline_watts", "must be a finite number >= 0");
  }
  if (asset.kind() == v1::ASSET_KIND_LIGHT_POINT && asset.rated_watts() <= 0) {
    return Invalid("rated_watts", "must be > 0 for a light point");
  }
  return absl::OkStatus();
}

absl::Status ValidateParentKind(v1::AssetKind child, v1::AssetKind parent) {
  const bool no_parent = parent == v1::ASSET_KIND_UNSPECIFIED;
  const auto wrong = [&](absl::string_view expected) {
    if (no_parent) {
      return Invalid("parent_id", absl::StrCat("a ", KindName(child), " needs a ", expected, " parent"));
    }
    return Invalid("parent_id",
                   absl::StrCat("a ", KindName(child), " must hang off a ", expected, ", not a ", KindName(parent)));
  };
  switch (child) {
    case v1::ASSET_KIND_LIGHT_POINT:
      if (parent == v1::ASSET_KIND_CONTROL_CABINET) return absl::OkStatus();
      return wrong("CONTROL_CABINET");
    case v1::ASSET_KIND_CAMERA:
      if (parent == v1::ASSET_KIND_ACCESS_POINT_SITE) return absl::OkStatus();
      return wrong("ACCESS_POINT_SITE");
    case v1::ASSET_KIND_BOLLARD:
    case v1::ASSET_KIND_TRAFFIC_CONTROLLER:
      if (no_parent || parent == v1::ASSET_KIND_CONTROL_CABINET) return absl::OkStatus();
      return wrong("CONTROL_CABINET");
    default:
      if (!IsKindSet(child)) return Invalid("kind", "missing or unknown asset kind");
      if (no_parent) return absl::OkStatus();
      return Invalid("parent_id", absl::StrCat("a ", KindName(child), " has no parent"));
  }
}

bool SameRegistration(const v1::Asset& a, const v1::Asset& b) {
  google::protobuf::util::MessageDifferencer differencer;
  const google::protobuf::Descriptor* descriptor = v1::Asset::descriptor();
  differencer.IgnoreField(descriptor->FindFieldByNumber(v1::Asset::kRetiredFieldNumber));
  differencer.IgnoreField(descriptor->FindFieldByNumber(v1::Asset::kVersionFieldNumber));
  differencer.IgnoreField(descriptor->FindFieldByNumber(v1::Asset::kUpdatedAtFieldNumber));
  return differencer.Compare(a, b);
}

std::vector<Rejection> ValidateBatch(const v1::ReadingBatch& batch, const AssetLookup& lookup, common::TimePoint now,
                                     const ValidationLimits& limits, const CityBounds& bounds) {
  std::vector<Rejection> rejections;
  const size_t count = static_cast<size_t>(batch.readings_size());
  if (count == 0) {
    rejections.push_back({0, std::string(kReasonEmptyBatch), "readings: the batch is empty"});
    return rejections;
  }
  if (count > limits.max_batch) {
    rejections.push_back({0, std::string(kReasonOversizedBatch),
                          absl::StrCat("readings: ", count, " readings, at most ", limits.max_batch, " in one batch")});
    return rejections;
  }
  const auto reject = [&](size_t index, std::string_view reason, std::string message) {
    rejections.push_back({static_cast<uint32_t>(index), std::string(reason), std::move(message)});
  };
  for (size_t i = 0; i < count; ++i) {
    const v1::Reading& reading = batch.readings(static_cast<int>(i));
    if (!IsValidId(reading.asset_id(), limits.max_id)) {
      reject(i, kReasonUnknownAsset, "asset_id: not a valid asset id");
      continue;
    }
    const std::optional<AssetFacts> facts = lookup(reading.asset_id());
    if (!facts) {
      reject(i, kReasonUnknownAsset, absl::StrCat("asset_id: unknown asset \"", reading.asset_id(), "\""));
      continue;
    }
    if (facts->retired) {
      reject(i, kReasonRetiredAsset, absl::StrCat("asset_id: asset \"", reading.asset_id(), "\" is retired"));
      continue;
    }
    if (!IsValidMetric(reading.metric(), limits.max_metric)) {
      reject(i, kReasonBadMetric, absl::StrCat("metric: must be 1 to ", limits.max_metric, " characters of [a-z0-9_]"));
      continue;
    }
    switch (CheckTime(reading.has_time(), reading.time(), now, limits)) {
      case TimeCheck::kOk:
        break;
      case TimeCheck::kMissing:
        reject(i, kReasonBadTimestamp, "time: missing");
        continue;
      case TimeCheck::kInvalid:
        reject(i, kReasonBadTimestamp, "time: not a valid timestamp");
        continue;
      case TimeCheck::kFuture:
        reject(i, kReasonFutureTimestamp, FutureMessage(limits));
        continue;
      case TimeCheck::kStale:
        reject(i, kReasonStaleTimestamp, StaleMessage(limits));
        continue;
    }
    if (!std::isfinite(reading.value())) {
      reject(i, kReasonNotFinite, "value: not a finite number");
      continue;
    }
    if (std::string message = CheckPositionLocation(reading, bounds); !message.empty()) {
      reject(i, kReasonBadLocation, std::move(message));
      continue;
    }
  }
  return rejections;
}

absl::Status ValidateFaultReport(const v1::FaultReport& report, const AssetLookup& lookup, common::TimePoint now,
                                 const ValidationLimits& limits) {
  if (!IsValidId(report.asset_id(), limits.max_id)) return Invalid("asset_id", IdRule(limits.max_id));
  const v1::FaultType type = report.type();
  if (type == v1::FAULT_TYPE_UNSPECIFIED || !v1::FaultType_IsValid(type)) {
    return Invalid("type", "missing or unknown fault type");
  }
  if (type == v1::FAULT_TYPE_READING_OUT_OF_RANGE || type == v1::FAULT_TYPE_SILENT) {
    return Invalid("type", absl::StrCat(v1::FaultType_Name(type), " is raised by ingest, not reported"));
  }
  if (Utf8Length(report.detail()) > limits.max_detail) {
    return Invalid("detail", absl::StrCat("longer than ", limits.max_detail, " characters"));
  }
  if (HasNul(report.detail())) return Invalid("detail", "contains a NUL character");
  switch (CheckTime(report.has_time(), report.time(), now, limits)) {
    case TimeCheck::kOk:
      break;
    case TimeCheck::kMissing:
      return Invalid("time", "missing");
    case TimeCheck::kInvalid:
      return Invalid("time", "not a valid timestamp");
    case TimeCheck::kFuture:
      return absl::InvalidArgumentError(FutureMessage(limits));
    case TimeCheck::kStale:
      return absl::InvalidArgumentError(StaleMessage(limits));
  }
  const std::optional<AssetFacts> facts = lookup(report.asset_id());
  if (!facts) return absl::NotFoundError(absl::StrCat("asset_id: unknown asset \"", report.asset_id(), "\""));
  if (facts->retired) {
    return absl::FailedPreconditionError(absl::StrCat("asset_id: asset \"", report.asset_id(), "\" is retired"));
  }
  return absl::OkStatus();
}

}  // namespace cityops::telemetry
