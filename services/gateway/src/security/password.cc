#include "security/password.h"

#include <argon2.h>

#include <cstddef>
#include <limits>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cityops/common/http.h"
#include "security/encoding.h"

namespace cityops::gateway {
namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;
constexpr std::string_view kPrefix = "$argon2id$v=19$";

// Costs beyond these are refused by HashPassword and VerifyPassword alike, so
// that a corrupt stored hash cannot make a login allocate gigabytes or spin.
constexpr uint32_t kMaxMemoryKib = 1U << 20;  // 1 GiB
constexpr uint32_t kMaxTimeCost = 32;
constexpr uint32_t kMaxParallelism = 16;

constexpr size_t kMinPasswordChars = 12;
constexpr size_t kMaxPasswordBytes = 1024;

absl::Status CheckParams(const PasswordParams& params) {
  if (params.time_cost < 1 || params.time_cost > kMaxTimeCost) {
    return absl::InvalidArgumentError(absl::StrCat("argon2 time cost must be 1..", kMaxTimeCost));
  }
  if (params.parallelism < 1 || params.parallelism > kMaxParallelism) {
    return absl::InvalidArgumentError(absl::StrCat("argon2 parallelism must be 1..", kMaxParallelism));
  }
  if (params.memory_kib < 8 * params.parallelism || params.memory_kib > kMaxMemoryKib) {
    return absl::InvalidArgumentError(absl::StrCat("argon2 memory must be 8 KiB per lane..", kMaxMemoryKib, " KiB"));
  }
  return absl::OkStatus();
}

// Reads "<name>=<decimal>" at the front of `text` (no sign, no leading zero)
// and moves past it.
std::optional<uint32_t> TakeParam(std::string_view& text, std::string_view name) {
  if (text.substr(0, name.size()) != name || text.size() <= name.size() || text[name.size()] != '=') {
    return std::nullopt;
  }
  text.remove_prefix(name.size() + 1);
  size_t digits = 0;
  uint64_t value = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    value = value * 10 + static_cast<uint64_t>(text[digits] - '0');
    if (value > std::numeric_limits<uint32_t>::max()) return std::nullopt;
    ++digits;
  }
  if (digits == 0 || (digits > 1 && text[0] == '0')) return std::nullopt;
  text.remove_prefix(digits);
  return static_cast<uint32_t>(value);
}

// The costs of an encoded "$argon2id$v=19$m=..,t=..,p=..$..." string;
// std::nullopt when the front of it is not that.
std::optional<PasswordParams> ParseCosts(std::string_view encoded) {
  if (encoded.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  encoded.remove_prefix(kPrefix.size());
  const std::optional<uint32_t> memory = TakeParam(encoded, "m");
  if (!memory || encoded.empty() || encoded[0] != ',') return std::nullopt;
  encoded.remove_prefix(1);
  const std::optional<uint32_t> time = TakeParam(encoded, "t");
  if (!time || encoded.empty() || encoded[0] != ',') return std::nullopt;
  encoded.remove_prefix(1);
  const std::optional<uint32_t> lanes = TakeParam(encoded, "p");
  if (!lanes || encoded.empty() || encoded[0] != '$') return std::nullopt;
  return PasswordParams{.time_cost = *time, .memory_kib = *memory, .parallelism = *lanes};
}

}  // namespace

absl::StatusOr<std::string> HashPassword(std::string_view password, const PasswordParams& params) {
  if (absl::Status status = CheckParams(params); !status.ok()) return status;
  if (password.size() > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError("password too long");
  }
  absl::StatusOr<std::string> salt = RandomBytes(kSaltBytes);
  if (!salt.ok()) return salt.status();
  const size_t length =
      argon2_encodedlen(params.time_cost, params.memory_kib, params.parallelism, kSaltBytes, kHashBytes, Argon2_id);
  std::vector<char> encoded(length, '\0');
  const int rc =
      argon2id_hash_encoded(params.time_cost, params.memory_kib, params.parallelism, password.data(), password.size(),
                            salt->data(), salt->size(), kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) return absl::InternalError(absl::StrCat("argon2id failed: ", argon2_error_message(rc)));
  return std::string(encoded.data());
}

bool VerifyPassword(std::string_view password, std::string_view encoded) {
  const std::optional<PasswordParams> costs = ParseCosts(encoded);
  if (!costs || !CheckParams(*costs).ok()) return false;
  if (password.size() > std::numeric_limits<uint32_t>::max()) return false;
  if (encoded.find('\0') != std::string_view::npos) return false;
  const std::string terminated(encoded);
  return argon2id_verify(terminated.c_str(), password.data(), password.size()) == ARGON2_OK;
}

absl::Status CheckPasswordPolicy(std::string_view password) {
  if (password.size() > kMaxPasswordBytes) {
    return absl::InvalidArgumentError(absl::StrCat("password must be at most ", kMaxPasswordBytes, " bytes"));
  }
  if (!common::IsValidUtf8(password)) return absl::InvalidArgumentError("password must be valid UTF-8");
  size_t characters = 0;
  for (char c : password) {
    // Every code point has exactly one byte that is not a continuation byte.
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++characters;
  }
  if (characters < kMinPasswordChars) {
    return absl::InvalidArgumentError(absl::StrCat("password must be at least ", kMinPasswordChars, " characters"));
  }
  return absl::OkStatus();
}

}  // namespace cityops::gateway
