#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cityops/common/clock.h"
#include "security/roles.h"

// The gateway's session tokens: JWTs (RFC 7519) signed with HMAC-SHA-256 and a
// secret of the gateway's own, verified as RFC 8725 recommends: one fixed
// algorithm, issuer, audience and expiry always checked.
namespace cityops::gateway {

struct TokenClaims {
  std::string subject;           // "sub": the username or API key name
  Role role;                     // "role" claim, by name
  common::TimePoint issued_at;   // "iat"
  common::TimePoint expires_at;  // "exp"
  std::string token_id;          // "jti", 16 random bytes hex
};

class JwtCodec {
 public:
  // INVALID_ARGUMENT when the secret is shorter than 32 bytes, issuer or
  // audience is empty, or the lifetime is not positive.
  static absl::StatusOr<JwtCodec> Create(std::string secret, std::string issuer, std::string audience,
                                         std::chrono::seconds lifetime);

  // A signed token for subject and role, issued at `now` (whole seconds),
  // expiring now + lifetime, with a fresh random "jti". The subject should be
  // UTF-8 (a byte that is not is replaced by U+FFFD).
  std::string Issue(std::string_view subject, Role role, common::TimePoint now) const;

  // The claims of a token that this codec issued and that is valid at `now`;
  // otherwise UNAUTHENTICATED with a short reason:
  //  - "token too large" (over 8 KiB), "malformed token" (not three base64url
  //    parts without padding, a header or payload that is not a JSON object,
  //    a member given twice);
  //  - "unsupported algorithm" (alg other than exactly "HS256"),
  //    "unsupported token type" (typ present and not "JWT"),
  //    "unsupported critical header" (crit present);
  //  - "bad signature" (checked before the payload is read);
  //  - "missing claim iss" / "wrong issuer", "missing claim aud" /
  //    "wrong audience" (aud a string, or an array that contains ours);
  //  - "missing claim exp" / "missing claim iat", "invalid claim exp" (also
  //    iat, nbf: not a whole number of seconds from 1970 to 2100);
  //  - "token expired" (now >= exp + 30 s), "token not yet valid" (iat or nbf
  //    more than 30 s after now);
  //  - "missing claim sub" (absent, not a string, or empty),
  //    "missing claim role", "unknown role" (not a string or not a role name);
  //    "invalid claim jti" (jti present and not a string).
  absl::StatusOr<TokenClaims> Verify(std::string_view token, common::TimePoint now) const;

  std::chrono::seconds lifetime() const { return lifetime_; }

 private:
  JwtCodec(std::string secret, std::string issuer, std::string audience, std::chrono::seconds lifetime);

  std::string Sign(std::string_view signing_input) const;

  std::string secret_;
  std::string issuer_;
  std::string audience_;
  std::chrono::seconds lifetime_;
};

}  // namespace cityops::gateway
