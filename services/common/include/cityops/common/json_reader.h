#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

// Reading a configuration file shipped as JSON (rules, playbooks...) so that
// every mistake is refused with the path of the field at fault:
// "rules: topology.parents[1].fault_type: unknown fault type \"X\"".
namespace cityops::common {

class JsonReader {
 public:
  // `document` names the file in messages ("rules"); `node` must outlive the reader.
  JsonReader(const nlohmann::json& node, std::string document, std::string path = {})
      : node_(&node), document_(std::move(document)), path_(std::move(path)) {}

  // Parses text; INVALID_ARGUMENT "<document>: not valid JSON" when it is not.
  static absl::StatusOr<nlohmann::json> Parse(std::string_view text, std::string_view document);
  // Reads a whole file; NOT_FOUND naming it when missing.
  static absl::StatusOr<std::string> ReadFile(const std::string& path);

  // The node is an object with no field outside `fields`.
  absl::Status Only(std::initializer_list<std::string_view> fields) const;
  absl::Status Error(std::string_view field, std::string_view problem) const;

  const nlohmann::json* Find(const char* field) const;
  absl::StatusOr<JsonReader> Object(const char* field) const;
  absl::StatusOr<std::vector<JsonReader>> Array(const char* field) const;
  // A number within [min, max]; `fallback` when absent (required when unset).
  absl::StatusOr<double> Number(const char* field, double min, double max,
                                std::optional<double> fallback = std::nullopt) const;
  // A whole number within [min, max]; `fallback` when absent (required when unset).
  absl::StatusOr<int64_t> Integer(const char* field, int64_t min, int64_t max,
                                  std::optional<int64_t> fallback = std::nullopt) const;
  // true or false (required).
  absl::StatusOr<bool> Bool(const char* field) const;
  // A string; empty when absent and not required.
  absl::StatusOr<std::string> String(const char* field, bool required) const;
  absl::StatusOr<std::string> NonEmptyString(const char* field) const;
  absl::StatusOr<std::vector<std::string>> Strings(const char* field) const;

  // A protobuf enum value from its name without `prefix` ("LIGHT_POINT" for
  // ASSET_KIND_LIGHT_POINT); the zero value is refused. `what` names the enum.
  template <typename Enum>
  absl::StatusOr<Enum> EnumValue(const std::string& name, const char* field, const std::string& prefix,
                                 bool (*parse)(const std::string&, Enum*), const std::string& what) const {
    Enum value{};
    if (!parse(absl::StrCat(prefix, name), &value) || static_cast<int>(value) == 0) {
      return Error(field, absl::StrCat("unknown ", what, " \"", name, "\""));
    }
    return value;
  }

  const std::string& path() const { return path_; }

 private:
  std::string Child(std::string_view field) const;

  const nlohmann::json* node_;
  std::string document_;
  std::string path_;
};

// Reads a JSON file and parses it with `parse` (a FromJson(std::string_view));
// an error starts with the file's path.
template <typename Parse>
auto LoadJsonFile(const std::string& path, Parse parse) -> decltype(parse(std::string_view())) {
  auto text = JsonReader::ReadFile(path);
  if (!text.ok()) return text.status();
  auto parsed = parse(*text);
  if (!parsed.ok()) return absl::Status(parsed.status().code(), path + ": " + std::string(parsed.status().message()));
  return parsed;
}

}  // namespace cityops::common
