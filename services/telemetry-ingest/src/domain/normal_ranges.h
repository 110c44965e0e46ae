#pragma once

// Normal range of each (asset kind, metric): a reading outside it is a fault.
// Loaded from JSON, for example services/telemetry-ingest/config/normal_ranges.json:
//   {"ranges": [{"kind": "LIGHT_POINT", "metric": "power_w", "min": 0, "max": 250}, ...]}
// where kind is the AssetKind name without its ASSET_KIND_ prefix and an
// optional "note" documents the entry. Bounds are inclusive.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cityops/telemetry/v1/assets.pb.h"

namespace cityops::telemetry {

struct Range {
  double min, max;
  bool Contains(double value) const { return value >= min && value <= max; }
};

class NormalRanges {
 public:
  NormalRanges() = default;

  // INVALID_ARGUMENT naming the entry index and field for a malformed file.
  static absl::StatusOr<NormalRanges> FromJson(std::string_view json);
  // NOT_FOUND if the file cannot be read, else as FromJson (message prefixed by the path).
  static absl::StatusOr<NormalRanges> LoadFile(const std::string& path);

  std::optional<Range> Find(v1::AssetKind kind, std::string_view metric) const;
  size_t size() const { return size_; }

 private:
  // kind -> metric -> range.
  std::map<int, std::map<std::string, Range, std::less<>>> ranges_;
  size_t size_ = 0;
};

}  // namespace cityops::telemetry
