#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

// The small byte helpers that the JWT codec, the password hashes and the API
// keys share: base64url (RFC 4648 section 5, no padding), hexadecimal,
// SHA-256, HMAC-SHA-256 and random bytes, all over OpenSSL's libcrypto.
namespace cityops::gateway {

// Base64url without padding ('=' never written).
std::string Base64UrlEncode(std::string_view bytes);

// The bytes of unpadded base64url text; std::nullopt for padding, any
// character outside A-Z a-z 0-9 '-' '_', a length that no encoding has
// (4n + 1), or unused trailing bits that are not zero (so that every byte
// string has exactly one accepted encoding).
std::optional<std::string> Base64UrlDecode(std::string_view text);

// Lowercase hexadecimal, two digits a byte.
std::string HexEncode(std::string_view bytes);

// The 32-byte SHA-256 digest of `bytes`.
std::string Sha256(std::string_view bytes);

// The 32-byte HMAC-SHA-256 of `data` under `key`.
std::string HmacSha256(std::string_view key, std::string_view data);

// `count` bytes from OpenSSL's CSPRNG; INTERNAL when it cannot give them.
absl::StatusOr<std::string> RandomBytes(size_t count);

// RandomBytes for callers that cannot report an error (a key or a token id
// must never be predictable): aborts the process when the CSPRNG fails.
std::string RandomBytesOrDie(size_t count);

}  // namespace cityops::gateway
