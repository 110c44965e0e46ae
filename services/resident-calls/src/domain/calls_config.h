#pragma once

#include <chrono>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cityops/common/local_time.h"

// Resident calls' configuration (config/calls.json): the request categories
// with their target times, the duplicate radius, text limits, and how
// residents' personal data is kept. Pure data, read once at start.
namespace cityops::calls {

struct CategoryConfig {
  std::string code;
  std::string name;
  std::string description;
  std::string group;
  int target_hours = 0;
  std::vector<std::string> related;
  std::vector<std::string> keywords;
};

struct CallsConfig {
  std::vector<CategoryConfig> categories;
  double duplicate_radius_m = 50;
  size_t description_max_chars = 2000;
  size_t address_max_chars = 300;
  size_t note_max_chars = 2000;
  std::chrono::seconds retention{std::chrono::hours(24 * 90)};
  std::set<std::string, std::less<>> personal_data_roles;
  common::LocalTimeRule local_time;

  // INVALID_ARGUMENT naming the field: unknown fields, duplicate codes, a
  // related code that is not a category, a target outside 1..8760 hours.
  static absl::StatusOr<CallsConfig> FromJson(std::string_view text);
  static absl::StatusOr<CallsConfig> LoadFile(const std::string& path);

  // nullptr for an unknown code.
  const CategoryConfig* Find(std::string_view code) const;
  // Same code, or one lists the other as related.
  bool Related(std::string_view a, std::string_view b) const;
  bool MaySeePersonalData(std::string_view role) const { return personal_data_roles.count(role) != 0; }
};

// The shipped config/calls.json, built into the binary.
std::string_view DefaultCallsConfigJson();

}  // namespace cityops::calls
