#include "scenario_file.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cityops/common/json_lines.h"

namespace cityops::sim {

namespace v1 = telemetry::v1;
using common::LineIndex;
using Json = nlohmann::ordered_json;
using std::chrono::milliseconds;

namespace {

// Reads one JSON object strictly, naming the file, the line and the field in
// its errors.
class Reader {
 public:
  Reader(const std::string& source, const LineIndex& lines) : source_(source), lines_(lines) {}

  absl::Status Error(const std::string& pointer, const std::string& field, const std::string& message) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ":", lines_.LineOf(pointer), ": ", field, ": ", message));
  }

  // Every member of `object` is one of `known`.
  absl::Status OnlyKnown(const Json& object, const std::string& pointer, const std::string& field,
                         const std::vector<std::string>& known) const {
    for (const auto& item : object.items()) {
      if (std::find(known.begin(), known.end(), item.key()) == known.end()) {
        return Error(pointer + "/" + item.key(), Join(field, item.key()),
                     absl::StrCat("unknown field (known: ", absl::StrJoin(known, ", "), ")"));
      }
    }
    return absl::OkStatus();
  }

  static std::string Join(const std::string& field, const std::string& key) {
    return field.empty() ? key : absl::StrCat(field, ".", key);
  }

 private:
  const std::string& source_;
  const LineIndex& lines_;
};

template <typename Enum, typename Parse>
std::optional<Enum> EnumFrom(const std::string& name, std::string_view prefix, Parse parse) {
  Enum value{};
  if (!parse(absl::StrCat(std::string(prefix), name), &value) || static_cast<int>(value) == 0) return std::nullopt;
  return value;
}

std::vector<std::string> EnumNames(const google::protobuf::EnumDescriptor* descriptor, std::string_view prefix,
                                   const std::vector<int>& excluded) {
  std::vector<std::string> names;
  for (int i = 0; i < descriptor->value_count(); ++i) {
    const auto* value = descriptor->value(i);
    if (value->number() == 0 || std::find(excluded.begin(), excluded.end(), value->number()) != excluded.end()) {
      continue;
    }
    names.push_back(value->name().substr(prefix.size()));
  }
  return names;
}

// Raised by the platform itself, not by a device.
const std::vector<int> kPlatformFaults = {v1::FAULT_TYPE_READING_OUT_OF_RANGE, v1::FAULT_TYPE_SILENT,
                                          v1::FAULT_TYPE_COMMAND_NOT_APPLIED};

class SpecParser {
 public:
  SpecParser(const std::string& source, const LineIndex& lines) : r_(source, lines), lines_(lines) {}

  absl::StatusOr<milliseconds> Duration(const Json& object, const std::string& key, const std::string& pointer,
                                        const std::string& field, bool positive) const {
    const std::string p = pointer + "/" + key;
    const std::string f = Reader::Join(field, key);
    if (!object.contains(key)) return r_.Error(pointer, f, "missing");
    const Json& v = object.at(key);
    if (!v.is_string()) return r_.Error(p, f, "must be a duration string such as \"30s\", \"5m\" or \"1h\"");
    const auto d = ParseScenarioDuration(v.get<std::string>());
    if (!d) {
      return r_.Error(p, f,
                      absl::StrCat("bad duration '", v.get<std::string>(), "' (use ms, s, m, h: \"30s\", \"1h30m\")"));
    }
    if (positive && d->count() <= 0) return r_.Error(p, f, "must be more than zero");
    return *d;
  }

  absl::StatusOr<milliseconds> OptionalDuration(const Json& object, const std::string& key, const std::string& pointer,
                                                const std::string& field) const {
    if (!object.contains(key)) return milliseconds(0);
    return Duration(object, key, pointer, field, false);
  }

  absl::StatusOr<std::string> String(const Json& object, const std::string& key, const std::string& pointer,
                                     const std::string& field, bool required) const {
    if (!object.contains(key)) {
      if (required) return r_.Error(pointer, Reader::Join(field, key), "missing");
      return std::string();
    }
    const Json& v = object.at(key);
    if (!v.is_string() || (required && v.get<std::string>().empty())) {
      return r_.Error(pointer + "/" + key, Reader::Join(field, key), "must be a non-empty string");
    }
    return v.get<std::string>();
  }

  absl::StatusOr<double> Number(const Json& object, const std::string& key, const std::string& pointer,
                                const std::string& field, double lo, double hi) const {
    if (!object.contains(key)) return r_.Error(pointer, Reader::Join(field, key), "missing");
    const Json& v = object.at(key);
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < lo || v.get<double>() > hi) {
      return r_.Error(pointer + "/" + key, Reader::Join(field, key),
                      absl::StrCat("must be a number within ", lo, "..", hi));
    }
    return v.get<double>();
  }

  absl::StatusOr<int> Int(const Json& object, const std::string& key, const std::string& pointer,
                          const std::string& field, int lo, int hi, int fallback) const {
    if (!object.contains(key)) return fallback;
    const Json& v = object.at(key);
    if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi) {
      return r_.Error(pointer + "/" + key, Reader::Join(field, key),
                      absl::StrCat("must be an integer within ", lo, "..", hi));
    }
    return static_cast<int>(v.get<int64_t>());
  }

  absl::StatusOr<bool> Bool(const Json& object, const std::string& key, const std::string& pointer,
                            const std::string& field) const {
    if (!object.contains(key)) return false;
    const Json& v = object.at(key);
    if (!v.is_boolean()) return r_.Error(pointer + "/" + key, Reader::Join(field, key), "must be true or false");
    return v.get<bool>();
  }

  absl::StatusOr<v1::FaultType> Fault(const Json& object, const std::string& key, const std::string& pointer,
                                      const std::string& field) const {
    auto name = String(object, key, pointer, field, true);
    if (!name.ok()) return name.status();
    const auto type = EnumFrom<v1::FaultType>(*name, "FAULT_TYPE_", v1::FaultType_Parse);
    if (!type || std::find(kPlatformFaults.begin(), kPlatformFaults.end(), *type) != kPlatformFaults.end()) {
      return r_.Error(
          pointer + "/" + key, Reader::Join(field, key),
          absl::StrCat("unknown fault type '", *name, "' (a device reports: ",
                       absl::StrJoin(EnumNames(v1::FaultType_descriptor(), "FAULT_TYPE_", kPlatformFaults), ", "),
                       ")"));
    }
    return *type;
  }

  absl::StatusOr<TargetSpec> Target(const Json& t, const std::string& name, const std::string& pointer,
                                    const std::vector<std::string>& earlier) const {
    const std::string field = absl::StrCat("targets.", name);
    TargetSpec target;
    target.name = name;
    target.line = LineOf(pointer);
    if (!t.is_object()) return r_.Error(pointer, field, "must be an object");
    if (auto s = r_.OnlyKnown(
            t, pointer, field,
            {"kind", "where", "crew_skill", "min_children", "pick", "near", "count", "order_by", "fault_asset"});
        !s.ok()) {
      return s;
    }
    auto kind = String(t, "kind", pointer, field, true);
    if (!kind.ok()) return kind.status();
    const auto k = EnumFrom<v1::AssetKind>(*kind, "ASSET_KIND_", v1::AssetKind_Parse);
    if (!k) {
      return r_.Error(pointer + "/kind", field + ".kind",
                      absl::StrCat("unknown kind '", *kind, "' (known: ",
                                   absl::StrJoin(EnumNames(v1::AssetKind_descriptor(), "ASSET_KIND_", {}), ", "), ")"));
    }
    target.kind = *k;
    if (t.contains("where")) {
      const Json& where = t.at("where");
      if (!where.is_object() || where.empty()) {
        return r_.Error(pointer + "/where", field + ".where", "must be an object of attribute: value or [values]");
      }
      for (const auto& item : where.items()) {
        const std::string p = pointer + "/where/" + item.key();
        std::vector<std::string> values;
        if (item.value().is_string()) {
          values.push_back(item.value().get<std::string>());
        } else if (item.value().is_array() && !item.value().empty()) {
          for (const auto& v : item.value()) {
            if (!v.is_string()) return r_.Error(p, field + ".where." + item.key(), "values must be strings");
            values.push_back(v.get<std::string>());
          }
        } else {
          return r_.Error(p, field + ".where." + item.key(), "must be a string or a non-empty list of strings");
        }
        target.where[item.key()] = std::move(values);
      }
    }
    auto skill = String(t, "crew_skill", pointer, field, false);
    if (!skill.ok()) return skill.status();
    target.crew_skill = *skill;
    if (!target.crew_skill.empty() && target.kind != v1::ASSET_KIND_CREW_VEHICLE) {
      return r_.Error(pointer + "/crew_skill", field + ".crew_skill", "only for kind CREW_VEHICLE");
    }
    auto children = Int(t, "min_children", pointer, field, 0, 1000, 0);
    if (!children.ok()) return children.status();
    target.min_children = *children;
    auto pick = String(t, "pick", pointer, field, false);
    if (!pick.ok()) return pick.status();
    if (pick->empty() || *pick == "seed") {
      target.pick = PickRule::kSeed;
    } else if (*pick == "nearest") {
      target.pick = PickRule::kNearest;
    } else if (*pick == "all") {
      target.pick = PickRule::kAll;
    } else {
      return r_.Error(pointer + "/pick", field + ".pick",
                      absl::StrCat("unknown pick '", *pick, "' (seed, nearest, all)"));
    }
    if (t.contains("near")) {
      const Json& near = t.at("near");
      const std::string p = pointer + "/near";
      if (target.pick != PickRule::kNearest) return r_.Error(p, field + ".near", "only with pick \"nearest\"");
      if (near.is_string()) {
        target.near_target = near.get<std::string>();
        if (std::find(earlier.begin(), earlier.end(), target.near_target) == earlier.end()) {
          return r_.Error(p, field + ".near",
                          absl::StrCat("'", target.near_target, "' is not a target defined before it"));
        }
      } else if (near.is_object()) {
        if (auto s = r_.OnlyKnown(near, p, field + ".near", {"lat", "lon"}); !s.ok()) return s;
        auto lat = Number(near, "lat", p, field + ".near", -90, 90);
        if (!lat.ok()) return lat.status();
        auto lon = Number(near, "lon", p, field + ".near", -180, 180);
        if (!lon.ok()) return lon.status();
        target.near_lat = *lat;
        target.near_lon = *lon;
      } else {
        return r_.Error(p, field + ".near", "must be a target's name or {\"lat\": .., \"lon\": ..}");
      }
    } else if (target.pick == PickRule::kNearest) {
      return r_.Error(pointer, field + ".near", "missing (pick \"nearest\" needs it)");
    }
    if (target.pick == PickRule::kAll && t.contains("count")) {
      return r_.Error(pointer + "/count", field + ".count", "not with pick \"all\"");
    }
    auto count = Int(t, "count", pointer, field, 1, 100000, 1);
    if (!count.ok()) return count.status();
    target.count = *count;
    auto order = String(t, "order_by", pointer, field, false);
    if (!order.ok()) return order.status();
    target.order_by = *order;
    auto fault_asset = Bool(t, "fault_asset", pointer, field);
    if (!fault_asset.ok()) return fault_asset.status();
    target.fault_asset = *fault_asset;
    return target;
  }

  absl::StatusOr<StepSpec> Step(const Json& s, size_t index, const std::string& pointer,
                                const std::vector<std::string>& targets) const {
    const std::string field = absl::StrCat("steps[", index, "]");
    StepSpec step;
    step.line = LineOf(pointer);
    if (!s.is_object()) return r_.Error(pointer, field, "must be an object");
    auto action = String(s, "action", pointer, field, true);
    if (!action.ok()) return action.status();
    std::vector<std::string> known = {"at", "action", "target", "say", "min_wall_gap"};
    if (*action == "fault") {
      step.action = StepAction::kFault;
      known.insert(known.end(), {"fault", "children_fault", "children_via", "children_after", "children_min_wall_gap",
                                 "silence", "until", "duration", "max_duration", "detail"});
    } else if (*action == "call") {
      step.action = StepAction::kCall;
      known.insert(known.end(),
                   {"category", "count", "every", "distance_m", "keep_nearest", "descriptions", "channels"});
    } else if (*action == "ramp") {
      step.action = StepAction::kRamp;
      known.insert(known.end(), {"metric", "from", "to", "over", "hold", "back_over", "stagger", "mark", "detail"});
    } else {
      return r_.Error(pointer + "/action", field + ".action",
                      absl::StrCat("unknown action '", *action, "' (fault, call, ramp)"));
    }
    if (auto st = r_.OnlyKnown(s, pointer, field, known); !st.ok()) return st;
    auto at = Duration(s, "at", pointer, field, false);
    if (!at.ok()) return at.status();
    step.at = *at;
    auto gap = OptionalDuration(s, "min_wall_gap", pointer, field);
    if (!gap.ok()) return gap.status();
    step.min_wall_gap = *gap;
    auto target = String(s, "target", pointer, field, true);
    if (!target.ok()) return target.status();
    if (std::find(targets.begin(), targets.end(), *target) == targets.end()) {
      return r_.Error(pointer + "/target", field + ".target",
                      absl::StrCat("'", *target, "' is not one of the targets (", absl::StrJoin(targets, ", "), ")"));
    }
    step.target = *target;
    auto say = String(s, "say", pointer, field, false);
    if (!say.ok()) return say.status();
    step.say = *say;

    switch (step.action) {
      case StepAction::kFault: {
        FaultSpec& f = step.fault;
        auto type = Fault(s, "fault", pointer, field);
        if (!type.ok()) return type.status();
        f.type = *type;
        if (s.contains("children_fault")) {
          auto children = Fault(s, "children_fault", pointer, field);
          if (!children.ok()) return children.status();
          f.children_type = *children;
        }
        auto via = String(s, "children_via", pointer, field, false);
        if (!via.ok()) return via.status();
        f.children_via = *via;
        auto children_after = OptionalDuration(s, "children_after", pointer, field);
        if (!children_after.ok()) return children_after.status();
        f.children_after = *children_after;
        auto children_gap = OptionalDuration(s, "children_min_wall_gap", pointer, field);
        if (!children_gap.ok()) return children_gap.status();
        f.children_min_wall_gap = *children_gap;
        if ((f.children_after.count() > 0 || f.children_min_wall_gap.count() > 0 || !f.children_via.empty()) &&
            f.children_type == v1::FAULT_TYPE_UNSPECIFIED) {
          return r_.Error(pointer, field + ".children_fault", "missing (children_via and children_after need it)");
        }
        auto silence = Bool(s, "silence", pointer, field);
        if (!silence.ok()) return silence.status();
        f.silence = *silence;
        auto until = String(s, "until", pointer, field, false);
        if (!until.ok()) return until.status();
        if (!until->empty() && *until != "repaired") {
          return r_.Error(pointer + "/until", field + ".until", "must be \"repaired\" (or absent: see duration)");
        }
        f.until_repaired = *until == "repaired";
        if (f.until_repaired) {
          if (s.contains("duration"))
            return r_.Error(pointer + "/duration", field + ".duration", "use max_duration with until");
          auto max = Duration(s, "max_duration", pointer, field, true);
          if (!max.ok()) return max.status();
          f.duration = *max;
        } else {
          if (s.contains("max_duration")) {
            return r_.Error(pointer + "/max_duration", field + ".max_duration", "only with \"until\": \"repaired\"");
          }
          auto duration = Duration(s, "duration", pointer, field, true);
          if (!duration.ok()) return duration.status();
          f.duration = *duration;
        }
        auto detail = String(s, "detail", pointer, field, false);
        if (!detail.ok()) return detail.status();
        if (detail->size() > 400) return r_.Error(pointer + "/detail", field + ".detail", "at most 400 characters");
        f.detail = *detail;
        break;
      }
      case StepAction::kCall: {
        CallSpec& c = step.call;
        auto category = String(s, "category", pointer, field, true);
        if (!category.ok()) return category.status();
        std::vector<std::string> categories;
        for (const auto& share : CallCategoryMix()) categories.emplace_back(share.code);
        if (std::find(categories.begin(), categories.end(), *category) == categories.end()) {
          return r_.Error(pointer + "/category", field + ".category",
                          absl::StrCat("unknown category '", *category, "' (", absl::StrJoin(categories, ", "), ")"));
        }
        c.category = *category;
        auto count = Int(s, "count", pointer, field, 1, 10000, 0);
        if (!count.ok()) return count.status();
        c.count = *count;
        auto every = OptionalDuration(s, "every", pointer, field);
        if (!every.ok()) return every.status();
        c.every = *every;
        if (s.contains("distance_m")) {
          const Json& d = s.at("distance_m");
          const std::string p = pointer + "/distance_m";
          if (!d.is_array() || d.size() != 2 || !d[0].is_number() || !d[1].is_number() || d[0].get<double>() < 0 ||
              d[1].get<double>() < d[0].get<double>() || d[1].get<double>() > 5000) {
            return r_.Error(p, field + ".distance_m", "must be [min, max] metres, 0 <= min <= max <= 5000");
          }
          c.min_m = d[0].get<double>();
          c.max_m = d[1].get<double>();
        }
        auto keep = Bool(s, "keep_nearest", pointer, field);
        if (!keep.ok()) return keep.status();
        c.keep_nearest = *keep;
        if (s.contains("descriptions")) {
          const Json& d = s.at("descriptions");
          if (!d.is_array() || d.empty()) {
            return r_.Error(pointer + "/descriptions", field + ".descriptions", "must be a non-empty list of strings");
          }
          for (size_t i = 0; i < d.size(); ++i) {
            if (!d[i].is_string() || d[i].get<std::string>().empty() || d[i].get<std::string>().size() > 400) {
              return r_.Error(absl::StrCat(pointer, "/descriptions/", i), absl::StrCat(field, ".descriptions[", i, "]"),
                              "must be a string of 1..400 characters");
            }
            c.descriptions.push_back(d[i].get<std::string>());
          }
        }
        if (s.contains("channels")) {
          const Json& d = s.at("channels");
          if (!d.is_array() || d.empty()) {
            return r_.Error(pointer + "/channels", field + ".channels", "must be a non-empty list of phone, app, web");
          }
          for (size_t i = 0; i < d.size(); ++i) {
            const std::string name = d[i].is_string() ? d[i].get<std::string>() : "";
            if (name == "phone") {
              c.channels.push_back(calls::v1::REQUEST_CHANNEL_PHONE);
            } else if (name == "app") {
              c.channels.push_back(calls::v1::REQUEST_CHANNEL_APP);
            } else if (name == "web") {
              c.channels.push_back(calls::v1::REQUEST_CHANNEL_WEB);
            } else {
              return r_.Error(absl::StrCat(pointer, "/channels/", i), absl::StrCat(field, ".channels[", i, "]"),
                              "must be phone, app or web");
            }
          }
        }
        break;
      }
      case StepAction::kRamp: {
        RampSpec& r = step.ramp;
        auto metric = String(s, "metric", pointer, field, true);
        if (!metric.ok()) return metric.status();
        r.metric = *metric;
        auto from = Number(s, "from", pointer, field, -1e6, 1e6);
        if (!from.ok()) return from.status();
        r.from = *from;
        auto to = Number(s, "to", pointer, field, -1e6, 1e6);
        if (!to.ok()) return to.status();
        r.to = *to;
        auto over = Duration(s, "over", pointer, field, true);
        if (!over.ok()) return over.status();
        r.over = *over;
        auto hold = OptionalDuration(s, "hold", pointer, field);
        if (!hold.ok()) return hold.status();
        r.hold = *hold;
        auto back = OptionalDuration(s, "back_over", pointer, field);
        if (!back.ok()) return back.status();
        r.back_over = *back;
        auto stagger = OptionalDuration(s, "stagger", pointer, field);
        if (!stagger.ok()) return stagger.status();
        r.stagger = *stagger;
        if (s.contains("mark")) {
          const Json& m = s.at("mark");
          const std::string p = pointer + "/mark";
          if (!m.is_object())
            return r_.Error(p, field + ".mark", "must be {\"above\" or \"below\": value, \"fault\": type}");
          if (auto st = r_.OnlyKnown(m, p, field + ".mark", {"above", "below", "fault"}); !st.ok()) return st;
          if (m.contains("above") == m.contains("below")) {
            return r_.Error(p, field + ".mark", "needs exactly one of above, below");
          }
          r.above = m.contains("above");
          auto value = Number(m, r.above ? "above" : "below", p, field + ".mark", -1e6, 1e6);
          if (!value.ok()) return value.status();
          r.mark = *value;
          auto type = Fault(m, "fault", p, field + ".mark");
          if (!type.ok()) return type.status();
          r.fault = *type;
          const bool reached = r.above ? std::max(r.from, r.to) >= *value : std::min(r.from, r.to) <= *value;
          if (!reached) return r_.Error(p, field + ".mark", "the ramp never crosses it");
          if (r.above ? r.from >= *value : r.from <= *value) {
            return r_.Error(p, field + ".mark", "the ramp starts past it");
          }
        }
        auto detail = String(s, "detail", pointer, field, false);
        if (!detail.ok()) return detail.status();
        r.detail = *detail;
        break;
      }
    }
    return step;
  }

  absl::StatusOr<DailyCallsSpec> DailyCalls(const Json& d, const std::string& pointer) const {
    const std::string field = "daily_calls";
    if (!d.is_object()) return r_.Error(pointer, field, "must be an object");
    if (auto s = r_.OnlyKnown(d, pointer, field, {"per_day", "hourly_profile"}); !s.ok()) return s;
    DailyCallsSpec daily;
    auto per_day = Number(d, "per_day", pointer, field, 0, 100000);
    if (!per_day.ok()) return per_day.status();
    daily.per_day = *per_day;
    if (d.contains("hourly_profile")) {
      const Json& h = d.at("hourly_profile");
      const std::string p = pointer + "/hourly_profile";
      if (!h.is_array() || h.size() != 24)
        return r_.Error(p, field + ".hourly_profile", "must be 24 weights (0h..23h)");
      double sum = 0;
      for (const auto& w : h) {
        if (!w.is_number() || w.get<double>() < 0) {
          return r_.Error(p, field + ".hourly_profile", "weights must be non-negative numbers");
        }
        daily.hourly_profile.push_back(w.get<double>());
        sum += w.get<double>();
      }
      if (!(sum > 0)) return r_.Error(p, field + ".hourly_profile", "weights must not all be zero");
    }
    return daily;
  }

  int LineOf(const std::string& pointer) const { return lines_.LineOf(pointer); }

  const Reader& reader() const { return r_; }

 private:
  Reader r_;
  const LineIndex& lines_;
};

}  // namespace

std::optional<milliseconds> ParseScenarioDuration(std::string_view text) {
  if (text.empty() || text.size() > 32) return std::nullopt;
  double total = 0;
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    while (i < text.size() && (absl::ascii_isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == start) return std::nullopt;
    double number = 0;
    if (!absl::SimpleAtod(std::string(text.substr(start, i - start)), &number)) return std::nullopt;
    double unit = 0;
    if (text.substr(i, 2) == "ms") {
      unit = 1;
      i += 2;
    } else if (i < text.size() && text[i] == 's') {
      unit = 1000;
      ++i;
    } else if (i < text.size() && text[i] == 'm') {
      unit = 60'000;
      ++i;
    } else if (i < text.size() && text[i] == 'h') {
      unit = 3'600'000;
      ++i;
    } else {
      return std::nullopt;
    }
    total += number * unit;
  }
  if (!std::isfinite(total) || total > 1e12) return std::nullopt;
  return milliseconds(static_cast<int64_t>(std::llround(total)));
}

absl::StatusOr<ScenarioSpec> ParseScenario(std::string_view text, const std::string& source,
                                           const std::string& expected_name) {
  Json root;
  try {
    root = Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    const size_t byte = std::min<size_t>(e.byte, text.size());
    const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<ptrdiff_t>(byte), '\n'));
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 3, column 5: syntax error ..." -> the part after ": ".
    if (const size_t colon = what.find(": "); colon != std::string::npos) what = what.substr(colon + 2);
    return absl::InvalidArgumentError(absl::StrCat(source, ":", line, ": not valid JSON: ", what));
  }
  const LineIndex lines(text);
  SpecParser parser(source, lines);
  const Reader& r = parser.reader();
  if (!root.is_object()) return r.Error("", "(file)", "must be a JSON object");
  if (auto s = r.OnlyKnown(
          root, "", "", {"name", "description", "duration", "targets", "steps", "daily_calls", "readings_speed_max"});
      !s.ok()) {
    return s;
  }
  ScenarioSpec spec;
  spec.source = source;
  auto name = parser.String(root, "name", "", "", true);
  if (!name.ok()) return name.status();
  spec.name = *name;
  if (spec.name == kScenarioNone) return r.Error("/name", "name", "'none' is reserved (no scenario)");
  if (!expected_name.empty() && spec.name != expected_name) {
    return r.Error("/name", "name",
                   absl::StrCat("'", spec.name, "' differs from the file's name '", expected_name, "'"));
  }
  auto description = parser.String(root, "description", "", "", true);
  if (!description.ok()) return description.status();
  spec.description = *description;
  auto duration = parser.Duration(root, "duration", "", "", true);
  if (!duration.ok()) return duration.status();
  spec.duration = *duration;

  std::vector<std::string> target_names;
  if (root.contains("targets")) {
    const Json& targets = root.at("targets");
    if (!targets.is_object()) return r.Error("/targets", "targets", "must be an object of name: selector");
    for (const auto& item : targets.items()) {
      auto target = parser.Target(item.value(), item.key(), "/targets/" + item.key(), target_names);
      if (!target.ok()) return target.status();
      target_names.push_back(item.key());
      spec.targets.push_back(std::move(*target));
    }
  }
  if (root.contains("steps")) {
    const Json& steps = root.at("steps");
    if (!steps.is_array()) return r.Error("/steps", "steps", "must be a list");
    for (size_t i = 0; i < steps.size(); ++i) {
      const std::string pointer = absl::StrCat("/steps/", i);
      auto step = parser.Step(steps[i], i, pointer, target_names);
      if (!step.ok()) return step.status();
      if (!spec.steps.empty() && step->at < spec.steps.back().at) {
        return r.Error(pointer + "/at", absl::StrCat("steps[", i, "].at"), "steps must be in time order");
      }
      if (step->at > spec.duration) {
        return r.Error(pointer + "/at", absl::StrCat("steps[", i, "].at"), "after the scenario's duration");
      }
      spec.steps.push_back(std::move(*step));
    }
  }
  if (root.contains("daily_calls")) {
    auto daily = parser.DailyCalls(root.at("daily_calls"), "/daily_calls");
    if (!daily.ok()) return daily.status();
    spec.daily_calls = *daily;
  }
  if (root.contains("readings_speed_max")) {
    auto max = parser.Number(root, "readings_speed_max", "", "", 1, 10000);
    if (!max.ok()) return max.status();
    spec.readings_speed_max = *max;
  }
  if (spec.steps.empty() && !spec.daily_calls) return r.Error("", "steps", "a scenario needs steps or daily_calls");
  return spec;
}

std::string FindScenarioDir(const std::string& flag, const std::vector<std::string>& candidates) {
  if (!flag.empty()) return flag;
  for (const auto& dir : candidates) {
    std::error_code ec;
    if (dir.empty() || !std::filesystem::is_directory(dir, ec)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".json") return dir;
    }
  }
  return {};
}

std::vector<std::string> DefaultScenarioDirs(const std::string& exe_path) {
  std::vector<std::string> dirs;
  if (!exe_path.empty()) {
    const std::filesystem::path bin = std::filesystem::path(exe_path).parent_path();
    dirs.push_back((bin / ".." / "share" / "cityops" / "scenarios").lexically_normal().string());
    dirs.push_back((bin / "scenarios").string());
  }
  // The system's data folder (the container image's layout: binaries in
  // /usr/local/bin, data in /usr/share/cityops).
  dirs.emplace_back("/usr/share/cityops/scenarios");
#ifdef CITYOPS_SCENARIO_SOURCE_DIR
  dirs.emplace_back(CITYOPS_SCENARIO_SOURCE_DIR);
#endif
  return dirs;
}

absl::StatusOr<ScenarioSpec> LoadScenario(const std::string& name, const std::string& dir) {
  if (name.empty() || name == kScenarioNone) return ScenarioSpec{};
  std::filesystem::path path;
  std::string expected;
  const bool is_path = name.find('/') != std::string::npos || absl::EndsWith(name, ".json");
  if (is_path) {
    path = name;
  } else {
    if (dir.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("scenario '", name,
                       "': no folder of shipped scenarios found; give --scenario-dir (or a path to a .json file)"));
    }
    path = std::filesystem::path(dir) / (name + ".json");
    expected = name;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (is_path) return absl::InvalidArgumentError(absl::StrCat("scenario: cannot read '", path.string(), "'"));
    std::vector<std::string> known = {kScenarioNone};
    for (const auto& [n, d] : ListScenarios(dir)) known.push_back(n);
    return absl::InvalidArgumentError(
        absl::StrCat("scenario: unknown '", name, "' (known: ", absl::StrJoin(known, ", "), "; in ", dir, ")"));
  }
  std::stringstream text;
  text << in.rdbuf();
  const std::string content = text.str();
  if (content.size() > (1U << 20))
    return absl::InvalidArgumentError(absl::StrCat(path.string(), ": larger than 1 MiB"));
  return ParseScenario(content, path.string(), expected);
}

std::vector<std::pair<std::string, std::string>> ListScenarios(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> out;
  std::error_code ec;
  if (dir.empty() || !std::filesystem::is_directory(dir, ec)) return out;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".json") continue;
    const std::string name = entry.path().stem().string();
    auto spec = LoadScenario(name, dir);
    out.emplace_back(name,
                     spec.ok() ? spec->description : absl::StrCat("(does not load: ", spec.status().message(), ")"));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace cityops::sim
