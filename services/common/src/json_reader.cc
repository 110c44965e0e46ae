#include "cityops/common/json_reader.h"

#include "cityops/common/status.h"

#include <cmath>
#include <fstream>
#include <sstream>

namespace cityops::common {

using nlohmann::json;

absl::StatusOr<json> JsonReader::Parse(std::string_view text, std::string_view document) {
  json doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(std::string(document), ": not valid JSON"));
  return doc;
}

absl::StatusOr<std::string> JsonReader::ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("file not found: ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::Status JsonReader::Only(std::initializer_list<std::string_view> fields) const {
  if (!node_->is_object()) return Error("", "must be an object");
  for (const auto& item : node_->items()) {
    bool known = false;
    for (auto f : fields) known = known || item.key() == f;
    if (!known) return Error(item.key(), "unknown field");
  }
  return absl::OkStatus();
}

absl::Status JsonReader::Error(std::string_view field, std::string_view problem) const {
  std::string where = path_;
  if (!field.empty()) where = where.empty() ? std::string(field) : absl::StrCat(where, ".", std::string(field));
  if (where.empty()) where = "(top)";
  return absl::InvalidArgumentError(absl::StrCat(document_, ": ", where, ": ", std::string(problem)));
}

const json* JsonReader::Find(const char* field) const {
  auto it = node_->find(field);
  return it == node_->end() ? nullptr : &*it;
}

absl::StatusOr<JsonReader> JsonReader::Object(const char* field) const {
  const json* j = Find(field);
  if (j == nullptr || !j->is_object()) return Error(field, "missing or not an object");
  return JsonReader(*j, document_, Child(field));
}

absl::StatusOr<std::vector<JsonReader>> JsonReader::Array(const char* field) const {
  const json* j = Find(field);
  if (j == nullptr || !j->is_array()) return Error(field, "missing or not an array");
  std::vector<JsonReader> out;
  for (size_t i = 0; i < j->size(); ++i) out.emplace_back((*j)[i], document_, absl::StrCat(Child(field), "[", i, "]"));
  return out;
}

absl::StatusOr<double> JsonReader::Number(const char* field, double min, double max,
                                          std::optional<double> fallback) const {
  const json* j = Find(field);
  if (j == nullptr) {
    if (fallback) return *fallback;
    return Error(field, "missing");
  }
  if (!j->is_number()) return Error(field, "not a number");
  const double v = j->get<double>();
  if (!std::isfinite(v) || v < min || v > max) return Error(field, absl::StrCat("must be within ", min, "..", max));
  return v;
}

absl::StatusOr<int64_t> JsonReader::Integer(const char* field, int64_t min, int64_t max,
                                            std::optional<int64_t> fallback) const {
  if (Find(field) == nullptr && fallback) return *fallback;
  double value = 0;
  CITYOPS_ASSIGN_OR_RETURN(value, Number(field, static_cast<double>(min), static_cast<double>(max)));
  if (value != std::floor(value)) return Error(field, "must be a whole number");
  return static_cast<int64_t>(value);
}

absl::StatusOr<bool> JsonReader::Bool(const char* field) const {
  const json* j = Find(field);
  if (j == nullptr || !j->is_boolean()) return Error(field, "missing or not true/false");
  return j->get<bool>();
}

absl::StatusOr<std::string> JsonReader::String(const char* field, bool required) const {
  const json* j = Find(field);
  if (j == nullptr) {
    if (!required) return std::string();
    return Error(field, "missing");
  }
  if (!j->is_string()) return Error(field, "not a string");
  return j->get<std::string>();
}

absl::StatusOr<std::string> JsonReader::NonEmptyString(const char* field) const {
  auto value = String(field, true);
  if (!value.ok()) return value.status();
  if (value->empty()) return Error(field, "must not be empty");
  return value;
}

absl::StatusOr<std::vector<std::string>> JsonReader::Strings(const char* field) const {
  const json* j = Find(field);
  if (j == nullptr || !j->is_array()) return Error(field, "missing or not an array");
  std::vector<std::string> out;
  for (const auto& v : *j) {
    if (!v.is_string()) return Error(field, "must hold strings only");
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::string JsonReader::Child(std::string_view field) const {
  return path_.empty() ? std::string(field) : absl::StrCat(path_, ".", std::string(field));
}

}  // namespace cityops::common
