#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Users' passwords: Argon2id hashes (libargon2) in the PHC string format, and
// the policy a new password must meet.
namespace cityops::gateway {

// Argon2id's costs. The defaults are OWASP's minimum for Argon2id (19 MiB,
// two passes, one lane).
struct PasswordParams {
  uint32_t time_cost = 2;
  uint32_t memory_kib = 19456;
  uint32_t parallelism = 1;
};

// The encoded PHC string "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>" of
// `password`, with a fresh 16-byte salt (OpenSSL RAND_bytes) and a 32-byte
// hash. INVALID_ARGUMENT for costs outside time 1..32, parallelism 1..16,
// memory 8 KiB per lane..1 GiB; INTERNAL when the random number generator or
// the hashing fails.
absl::StatusOr<std::string> HashPassword(std::string_view password, const PasswordParams& params = {});

// True only when `encoded` is a well-formed Argon2id (version 19) string with
// costs within HashPassword's bounds and `password` matches it (libargon2 compares in constant time).
// Never throws.
bool VerifyPassword(std::string_view password, std::string_view encoded);

// OK for a password of at least 12 characters (Unicode code points), at most
// 1024 bytes, in valid UTF-8; INVALID_ARGUMENT saying which rule it breaks.
absl::Status CheckPasswordPolicy(std::string_view password);

}  // namespace cityops::gateway
