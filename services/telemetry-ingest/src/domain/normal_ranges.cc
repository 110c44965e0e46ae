#include "domain/normal_ranges.h"

#include <cmath>
#include <fstream>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "domain/validation.h"

namespace cityops::telemetry {
namespace {

absl::Status EntryError(size_t index, absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("ranges[", index, "].", field, ": ", problem));
}

}  // namespace

absl::StatusOr<NormalRanges> NormalRanges::FromJson(std::string_view json) {
  const nlohmann::json doc = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  if (doc.is_discarded()) return absl::InvalidArgumentError("normal ranges: not valid JSON");
  if (!doc.is_object()) return absl::InvalidArgumentError("normal ranges: the document must be an object");
  const auto list = doc.find("ranges");
  if (list == doc.end() || !list->is_array()) {
    return absl::InvalidArgumentError("ranges: missing or not an array");
  }
  NormalRanges result;
  for (size_t i = 0; i < list->size(); ++i) {
    const nlohmann::json& entry = (*list)[i];
    if (!entry.is_object()) return absl::InvalidArgumentError(absl::StrCat("ranges[", i, "]: not an object"));
    for (const auto& item : entry.items()) {
      const std::string& key = item.key();
      if (key != "kind" && key != "metric" && key != "min" && key != "max" && key != "note") {
        return EntryError(i, key, "unknown field");
      }
    }
    const auto kind_it = entry.find("kind");
    if (kind_it == entry.end() || !kind_it->is_string()) return EntryError(i, "kind", "missing or not a string");
    const std::string kind_name = kind_it->get<std::string>();
    v1::AssetKind kind = v1::ASSET_KIND_UNSPECIFIED;
    if (!v1::AssetKind_Parse(absl::StrCat("ASSET_KIND_", kind_name), &kind) || kind == v1::ASSET_KIND_UNSPECIFIED) {
      return EntryError(i, "kind", absl::StrCat("unknown asset kind \"", kind_name, "\""));
    }
    const auto metric_it = entry.find("metric");
    if (metric_it == entry.end() || !metric_it->is_string()) {
      return EntryError(i, "metric", "missing or not a string");
    }
    const std::string metric = metric_it->get<std::string>();
    if (!IsValidMetric(metric)) return EntryError(i, "metric", "must be 1 to 64 characters of [a-z0-9_]");
    Range range{};
    for (auto [field, target] :
         {std::pair<const char*, double*>{"min", &range.min}, std::pair<const char*, double*>{"max", &range.max}}) {
      const auto it = entry.find(field);
      if (it == entry.end() || !it->is_number()) return EntryError(i, field, "missing or not a number");
      *target = it->get<double>();
      if (!std::isfinite(*target)) return EntryError(i, field, "not a finite number");
    }
    if (range.min > range.max) return EntryError(i, "max", "smaller than min");
    const auto note_it = entry.find("note");
    if (note_it != entry.end() && !note_it->is_string()) return EntryError(i, "note", "not a string");
    auto& by_metric = result.ranges_[kind];
    if (!by_metric.emplace(metric, range).second) {
      return EntryError(i, "metric", absl::StrCat("duplicate range for ", kind_name, " ", metric));
    }
    ++result.size_;
  }
  return result;
}

absl::StatusOr<NormalRanges> NormalRanges::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("normal ranges: cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  absl::StatusOr<NormalRanges> ranges = FromJson(text.str());
  if (!ranges.ok()) {
    return absl::Status(ranges.status().code(), absl::StrCat(path, ": ", ranges.status().message()));
  }
  return ranges;
}

std::optional<Range> NormalRanges::Find(v1::AssetKind kind, std::string_view metric) const {
  const auto by_kind = ranges_.find(kind);
  if (by_kind == ranges_.end()) return std::nullopt;
  const auto it = by_kind->second.find(metric);
  if (it == by_kind->second.end()) return std::nullopt;
  return it->second;
}

}  // namespace cityops::telemetry
