#include "security/jwt.h"

#include <openssl/crypto.h>

#include <cstdint>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "security/encoding.h"

namespace cityops::gateway {
namespace {

using Json = nlohmann::json;

constexpr size_t kMinSecretBytes = 32;
constexpr size_t kMaxTokenBytes = 8 * 1024;
constexpr size_t kTokenIdBytes = 16;
constexpr std::chrono::seconds kLeeway(30);
// NumericDates are accepted from 1970 to 2100-01-01T00:00:00Z: far enough for
// any token and well inside what a TimePoint (nanoseconds) can hold.
constexpr int64_t kMaxNumericDate = 4102444800;
static_assert(std::chrono::duration_cast<std::chrono::seconds>(common::TimePoint::max().time_since_epoch()).count() >
              kMaxNumericDate + 3600);

constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";

absl::Status Unauthenticated(absl::string_view reason) { return absl::UnauthenticatedError(reason); }

// A JSON object, or std::nullopt for anything else: invalid JSON (including
// invalid UTF-8), another type at the top, or an object that names a member
// twice at any depth (RFC 7515 lets a parser reject that rather than guess).
std::optional<Json> ParseObject(std::string_view text) {
  std::vector<std::set<std::string>> open_objects;
  bool duplicate = false;
  const Json::parser_callback_t check_members = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!open_objects.empty() && parsed.is_string() &&
            !open_objects.back().insert(parsed.get_ref<const std::string&>()).second) {
          duplicate = true;
        }
        break;
      default:
        break;
    }
    return true;
  };
  Json value = Json::parse(text.begin(), text.end(), check_members, /*allow_exceptions=*/false);
  if (duplicate || !value.is_object()) return std::nullopt;
  return value;
}

// A NumericDate given as a whole number of seconds within the accepted range.
std::optional<common::TimePoint> ReadNumericDate(const Json& value) {
  int64_t seconds = 0;
  if (value.is_number_unsigned()) {
    const auto unsigned_seconds = value.get<uint64_t>();
    if (unsigned_seconds > static_cast<uint64_t>(kMaxNumericDate)) return std::nullopt;
    seconds = static_cast<int64_t>(unsigned_seconds);
  } else if (value.is_number_integer()) {
    seconds = value.get<int64_t>();
  } else {
    return std::nullopt;
  }
  if (seconds < 0 || seconds > kMaxNumericDate) return std::nullopt;
  return common::TimePoint(std::chrono::seconds(seconds));
}

int64_t ToNumericDate(common::TimePoint t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

// A required date claim: "missing claim <name>" or "invalid claim <name>".
absl::StatusOr<common::TimePoint> RequiredDate(const Json& payload, const std::string& name) {
  const auto it = payload.find(name);
  if (it == payload.end()) return Unauthenticated("missing claim " + name);
  std::optional<common::TimePoint> date = ReadNumericDate(*it);
  if (!date) return Unauthenticated("invalid claim " + name);
  return *date;
}

bool AudienceMatches(const Json& aud, const std::string& audience) {
  if (aud.is_string()) return aud.get_ref<const std::string&>() == audience;
  if (!aud.is_array()) return false;
  for (const Json& entry : aud) {
    if (entry.is_string() && entry.get_ref<const std::string&>() == audience) return true;
  }
  return false;
}

}  // namespace

JwtCodec::JwtCodec(std::string secret, std::string issuer, std::string audience, std::chrono::seconds lifetime)
    : secret_(std::move(secret)), issuer_(std::move(issuer)), audience_(std::move(audience)), lifetime_(lifetime) {}

absl::StatusOr<JwtCodec> JwtCodec::Create(std::string secret, std::string issuer, std::string audience,
                                          std::chrono::seconds lifetime) {
  if (secret.size() < kMinSecretBytes) {
    return absl::InvalidArgumentError("the JWT secret must be at least 32 bytes");
  }
  if (issuer.empty()) return absl::InvalidArgumentError("the JWT issuer must not be empty");
  if (audience.empty()) return absl::InvalidArgumentError("the JWT audience must not be empty");
  if (lifetime <= std::chrono::seconds(0)) return absl::InvalidArgumentError("the JWT lifetime must be positive");
  return JwtCodec(std::move(secret), std::move(issuer), std::move(audience), lifetime);
}

std::string JwtCodec::Sign(std::string_view signing_input) const { return HmacSha256(secret_, signing_input); }

std::string JwtCodec::Issue(std::string_view subject, Role role, common::TimePoint now) const {
  const int64_t issued_at = ToNumericDate(now);
  const Json payload = {
      {"iss", issuer_},
      {"aud", audience_},
      {"sub", std::string(subject)},
      {"role", std::string(RoleName(role))},
      {"iat", issued_at},
      {"exp", issued_at + lifetime_.count()},
      {"jti", HexEncode(RandomBytesOrDie(kTokenIdBytes))},
  };
  std::string token = Base64UrlEncode(kHeader);
  token += '.';
  token += Base64UrlEncode(payload.dump(-1, ' ', false, Json::error_handler_t::replace));
  const std::string signature = Sign(token);
  token += '.';
  token += Base64UrlEncode(signature);
  return token;
}

absl::StatusOr<TokenClaims> JwtCodec::Verify(std::string_view token, common::TimePoint now) const {
  if (token.size() > kMaxTokenBytes) return Unauthenticated("token too large");

  // Compact serialization: exactly three base64url parts.
  const size_t first_dot = token.find('.');
  if (first_dot == std::string_view::npos) return Unauthenticated("malformed token");
  const size_t second_dot = token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos || token.find('.', second_dot + 1) != std::string_view::npos) {
    return Unauthenticated("malformed token");
  }
  const std::string_view signing_input = token.substr(0, second_dot);
  const std::optional<std::string> header_text = Base64UrlDecode(token.substr(0, first_dot));
  const std::optional<std::string> payload_text =
      Base64UrlDecode(token.substr(first_dot + 1, second_dot - first_dot - 1));
  const std::optional<std::string> signature = Base64UrlDecode(token.substr(second_dot + 1));
  if (!header_text || !payload_text || !signature) return Unauthenticated("malformed token");

  // The header: one algorithm only, whatever the token says it wants.
  const std::optional<Json> header = ParseObject(*header_text);
  if (!header) return Unauthenticated("malformed token");
  const auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string() || alg->get_ref<const std::string&>() != "HS256") {
    return Unauthenticated("unsupported algorithm");
  }
  if (const auto typ = header->find("typ");
      typ != header->end() && (!typ->is_string() || typ->get_ref<const std::string&>() != "JWT")) {
    return Unauthenticated("unsupported token type");
  }
  if (header->contains("crit")) return Unauthenticated("unsupported critical header");

  // The signature, before anything in the payload is believed.
  const std::string expected = Sign(signing_input);
  if (signature->size() != expected.size() || CRYPTO_memcmp(signature->data(), expected.data(), expected.size()) != 0) {
    return Unauthenticated("bad signature");
  }

  const std::optional<Json> payload = ParseObject(*payload_text);
  if (!payload) return Unauthenticated("malformed token");

  const auto iss = payload->find("iss");
  if (iss == payload->end()) return Unauthenticated("missing claim iss");
  if (!iss->is_string() || iss->get_ref<const std::string&>() != issuer_) return Unauthenticated("wrong issuer");
  const auto aud = payload->find("aud");
  if (aud == payload->end()) return Unauthenticated("missing claim aud");
  if (!AudienceMatches(*aud, audience_)) return Unauthenticated("wrong audience");

  TokenClaims claims;
  absl::StatusOr<common::TimePoint> expires_at = RequiredDate(*payload, "exp");
  if (!expires_at.ok()) return expires_at.status();
  absl::StatusOr<common::TimePoint> issued_at = RequiredDate(*payload, "iat");
  if (!issued_at.ok()) return issued_at.status();
  if (now >= *expires_at + kLeeway) return Unauthenticated("token expired");
  if (*issued_at > now + kLeeway) return Unauthenticated("token not yet valid");
  if (const auto nbf = payload->find("nbf"); nbf != payload->end()) {
    const std::optional<common::TimePoint> not_before = ReadNumericDate(*nbf);
    if (!not_before) return Unauthenticated("invalid claim nbf");
    if (*not_before > now + kLeeway) return Unauthenticated("token not yet valid");
  }
  claims.expires_at = *expires_at;
  claims.issued_at = *issued_at;

  const auto sub = payload->find("sub");
  if (sub == payload->end() || !sub->is_string() || sub->get_ref<const std::string&>().empty()) {
    return Unauthenticated("missing claim sub");
  }
  claims.subject = sub->get<std::string>();

  const auto role = payload->find("role");
  if (role == payload->end()) return Unauthenticated("missing claim role");
  if (!role->is_string()) return Unauthenticated("unknown role");
  absl::StatusOr<Role> parsed_role = ParseRole(role->get_ref<const std::string&>());
  if (!parsed_role.ok()) return Unauthenticated("unknown role");
  claims.role = *parsed_role;

  if (const auto jti = payload->find("jti"); jti != payload->end()) {
    if (!jti->is_string()) return Unauthenticated("invalid claim jti");
    claims.token_id = jti->get<std::string>();
  }
  return claims;
}

}  // namespace cityops::gateway
