#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "cityops/common/clock.h"
#include "security/api_keys.h"
#include "security/encoding.h"
#include "security/jwt.h"
#include "security/password.h"
#include "security/rate_limiter.h"
#include "security/roles.h"

namespace cityops::gateway {
namespace {

using common::FakeClock;
using common::TimePoint;
using Json = nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// 2026-11-26T09:00:00Z.
const TimePoint kNow = TimePoint(std::chrono::sys_days(std::chrono::year(2026) / 11 / 26) + hours(9));
const int64_t kNowSeconds = std::chrono::duration_cast<seconds>(kNow.time_since_epoch()).count();

const std::string kSecret = "0123456789abcdef0123456789abcdef-test-secret";
const std::string kIssuer = "cityops-gateway";
const std::string kAudience = "cityops-console";

// Cheap Argon2id costs so that the tests stay fast (the defaults are checked
// once, for the format).
const PasswordParams kFastParams{.time_cost = 1, .memory_kib = 64, .parallelism = 1};

JwtCodec MakeCodec(seconds lifetime = hours(8)) {
  absl::StatusOr<JwtCodec> codec = JwtCodec::Create(kSecret, kIssuer, kAudience, lifetime);
  REQUIRE(codec.ok());
  return *codec;
}

// A token with the given header and payload, signed with HMAC-SHA-256 under
// `secret` whatever the header claims: how an attacker (or a peer) would make one.
std::string Forge(const std::string& header, const std::string& payload, const std::string& secret = kSecret) {
  std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
  return input + "." + Base64UrlEncode(HmacSha256(secret, input));
}

const std::string kHs256Header = R"({"alg":"HS256","typ":"JWT"})";

// The payload our codec would accept at kNow.
Json GoodPayload() {
  return Json{{"iss", kIssuer},     {"aud", kAudience},          {"sub", "alice"},     {"role", "operator"},
              {"iat", kNowSeconds}, {"exp", kNowSeconds + 3600}, {"jti", "0011223344"}};
}

std::string ForgePayload(const Json& payload) { return Forge(kHs256Header, payload.dump()); }

// The reason of a refused token ("" when it was accepted).
std::string Refusal(const absl::StatusOr<TokenClaims>& claims) {
  if (claims.ok()) return "";
  CHECK(claims.status().code() == absl::StatusCode::kUnauthenticated);
  return std::string(claims.status().message());
}

// The token's three parts.
std::vector<std::string> Parts(const std::string& token) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = token.find('.', start);
    parts.push_back(token.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

// ---------------------------------------------------------------- encoding

TEST_CASE("encoding: base64url matches the RFC 4648 vectors without padding", "[gateway][security]") {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"},
  };
  for (const auto& [bytes, text] : vectors) {
    CHECK(Base64UrlEncode(bytes) == text);
    const std::optional<std::string> decoded = Base64UrlDecode(text);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == bytes);
  }
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  CHECK(Base64UrlDecode(Base64UrlEncode(all_bytes)) == all_bytes);
}

TEST_CASE("encoding: base64url decoding refuses padding, other alphabets and loose bits", "[gateway][security]") {
  CHECK_FALSE(Base64UrlDecode("Zg==").has_value());    // padding
  CHECK_FALSE(Base64UrlDecode("Zm8=").has_value());    // padding
  CHECK_FALSE(Base64UrlDecode("+_8").has_value());     // standard alphabet
  CHECK_FALSE(Base64UrlDecode("-/8").has_value());     // standard alphabet
  CHECK_FALSE(Base64UrlDecode("Zm9 v").has_value());   // space
  CHECK_FALSE(Base64UrlDecode("Zm9v\n").has_value());  // newline
  CHECK_FALSE(Base64UrlDecode("Zm9vY").has_value());   // 4n + 1 characters
  CHECK_FALSE(Base64UrlDecode("Zh").has_value());      // "Zg" with a non-zero unused bit
  CHECK_FALSE(Base64UrlDecode("Zm9").has_value());     // "Zm8" with a non-zero unused bit
  CHECK_FALSE(Base64UrlDecode(std::string("Zg\0", 3)).has_value());
}

TEST_CASE("encoding: hex, SHA-256 and HMAC-SHA-256 give the known answers", "[gateway][security]") {
  CHECK(HexEncode(std::string("\x00\x0f\xa5\xff", 4)) == "000fa5ff");
  CHECK(HexEncode(Sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(HexEncode(Sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // RFC 4231, test case 2.
  CHECK(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("encoding: random bytes have the asked length and differ", "[gateway][security]") {
  absl::StatusOr<std::string> a = RandomBytes(32);
  absl::StatusOr<std::string> b = RandomBytes(32);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->size() == 32);
  CHECK(*a != *b);
  CHECK(RandomBytesOrDie(0).empty());
}

// ---------------------------------------------------------------- roles

TEST_CASE("roles: every role parses from its name and back", "[gateway][security]") {
  const std::vector<std::pair<std::string, Role>> roles = {{"viewer", Role::kViewer},
                                                           {"operator", Role::kOperator},
                                                           {"supervisor", Role::kSupervisor},
                                                           {"admin", Role::kAdmin},
                                                           {"integration", Role::kIntegration}};
  for (const auto& [name, role] : roles) {
    absl::StatusOr<Role> parsed = ParseRole(name);
    REQUIRE(parsed.ok());
    CHECK(*parsed == role);
    CHECK(RoleName(role) == name);
  }
}

TEST_CASE("roles: unknown names are refused with the allowed ones", "[gateway][security]") {
  for (const char* name : {"", "Admin", "root", "viewer ", "operators"}) {
    absl::StatusOr<Role> parsed = ParseRole(name);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    for (const char* allowed : {"viewer", "operator", "supervisor", "admin", "integration"}) {
      CHECK(absl::StrContains(parsed.status().message(), allowed));
    }
  }
}

TEST_CASE("roles: each ladder role against each minimum", "[gateway][security]") {
  const std::vector<Role> ladder = {Role::kViewer, Role::kOperator, Role::kSupervisor, Role::kAdmin};
  // allowed[role][minimum], the ladder in rising order.
  const bool allowed[4][4] = {
      {true, false, false, false},  // viewer
      {true, true, false, false},   // operator
      {true, true, true, false},    // supervisor
      {true, true, true, true},     // admin
  };
  for (size_t r = 0; r < ladder.size(); ++r) {
    for (size_t m = 0; m < ladder.size(); ++m) {
      INFO(RoleName(ladder[r]) << " on a route for " << RoleName(ladder[m]));
      // Whether the route also admits API keys changes nothing for users.
      CHECK(RoleAllows(ladder[r], ladder[m], false) == allowed[r][m]);
      CHECK(RoleAllows(ladder[r], ladder[m], true) == allowed[r][m]);
    }
  }
}

TEST_CASE("roles: integration only where the route admits API keys", "[gateway][security]") {
  for (Role minimum : {Role::kViewer, Role::kOperator, Role::kSupervisor, Role::kAdmin, Role::kIntegration}) {
    INFO("route for " << RoleName(minimum));
    CHECK_FALSE(RoleAllows(Role::kIntegration, minimum, false));
    CHECK(RoleAllows(Role::kIntegration, minimum, true));
  }
  // A minimum of integration does not open a route to the lower ladder roles.
  CHECK_FALSE(RoleAllows(Role::kViewer, Role::kIntegration, true));
  CHECK_FALSE(RoleAllows(Role::kSupervisor, Role::kIntegration, true));
  CHECK(RoleAllows(Role::kAdmin, Role::kIntegration, false));
}

// ---------------------------------------------------------------- passwords

TEST_CASE("password: hash and verify round trip", "[gateway][security]") {
  absl::StatusOr<std::string> encoded = HashPassword("correct horse battery staple", kFastParams);
  REQUIRE(encoded.ok());
  CHECK(absl::StartsWith(*encoded, "$argon2id$v=19$m=64,t=1,p=1$"));
  CHECK(VerifyPassword("correct horse battery staple", *encoded));
}

TEST_CASE("password: the default costs give the expected PHC string", "[gateway][security]") {
  absl::StatusOr<std::string> encoded = HashPassword("correct horse battery staple");
  REQUIRE(encoded.ok());
  const std::string prefix = "$argon2id$v=19$m=19456,t=2,p=1$";
  REQUIRE(absl::StartsWith(*encoded, prefix));
  const std::string rest = encoded->substr(prefix.size());
  const size_t dollar = rest.find('$');
  REQUIRE(dollar != std::string::npos);
  // Salt and hash in unpadded standard base64: 16 bytes -> 22, 32 bytes -> 43.
  CHECK(rest.substr(0, dollar).size() == 22);
  CHECK(rest.substr(dollar + 1).size() == 43);
  CHECK(VerifyPassword("correct horse battery staple", *encoded));
}

TEST_CASE("password: a wrong password is refused", "[gateway][security]") {
  absl::StatusOr<std::string> encoded = HashPassword("correct horse battery staple", kFastParams);
  REQUIRE(encoded.ok());
  CHECK_FALSE(VerifyPassword("correct horse battery stapl", *encoded));
  CHECK_FALSE(VerifyPassword("Correct horse battery staple", *encoded));
  CHECK_FALSE(VerifyPassword("", *encoded));
  CHECK_FALSE(VerifyPassword(std::string("correct horse battery staple\0", 29), *encoded));
}

TEST_CASE("password: two hashes of one password differ by their salt", "[gateway][security]") {
  absl::StatusOr<std::string> first = HashPassword("correct horse battery staple", kFastParams);
  absl::StatusOr<std::string> second = HashPassword("correct horse battery staple", kFastParams);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(*first != *second);
  CHECK(VerifyPassword("correct horse battery staple", *first));
  CHECK(VerifyPassword("correct horse battery staple", *second));
}

TEST_CASE("password: a tampered hash is refused", "[gateway][security]") {
  const std::string password = "correct horse battery staple";
  absl::StatusOr<std::string> encoded = HashPassword(password, kFastParams);
  REQUIRE(encoded.ok());
  const size_t hash_start = encoded->rfind('$') + 1;
  const size_t salt_start = encoded->rfind('$', hash_start - 2) + 1;

  // One character of the hash, then of the salt, changed (never the last, whose
  // low bits are unused).
  std::string tampered_hash = *encoded;
  char& h = tampered_hash[hash_start + 5];
  h = h == 'A' ? 'B' : 'A';
  CHECK_FALSE(VerifyPassword(password, tampered_hash));

  std::string tampered_salt = *encoded;
  char& s = tampered_salt[salt_start + 5];
  s = s == 'A' ? 'B' : 'A';
  CHECK_FALSE(VerifyPassword(password, tampered_salt));

  // Other costs than those the hash was made with.
  std::string other_costs = *encoded;
  other_costs.replace(other_costs.find("t=1"), 3, "t=2");
  CHECK_FALSE(VerifyPassword(password, other_costs));

  // A shorter hash.
  CHECK_FALSE(VerifyPassword(password, encoded->substr(0, encoded->size() - 4)));
}

TEST_CASE("password: malformed encoded strings are refused", "[gateway][security]") {
  const std::string password = "correct horse battery staple";
  absl::StatusOr<std::string> encoded = HashPassword(password, kFastParams);
  REQUIRE(encoded.ok());
  const std::string tail = encoded->substr(encoded->find("$m="));  // "$m=64,t=1,p=1$salt$hash"

  CHECK_FALSE(VerifyPassword(password, ""));
  CHECK_FALSE(VerifyPassword(password, "not a hash"));
  CHECK_FALSE(VerifyPassword(password, "$argon2id$"));
  CHECK_FALSE(VerifyPassword(password, "$argon2i$v=19" + tail));   // another variant
  CHECK_FALSE(VerifyPassword(password, "$argon2d$v=19" + tail));   // another variant
  CHECK_FALSE(VerifyPassword(password, "$argon2id$v=16" + tail));  // another version
  CHECK_FALSE(VerifyPassword(password, "$argon2id" + tail));       // no version
  CHECK_FALSE(VerifyPassword(password, "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"));  // bcrypt
  CHECK_FALSE(VerifyPassword(password, encoded->substr(0, encoded->rfind('$'))));                         // no hash
  CHECK_FALSE(VerifyPassword(password, *encoded + "$"));
  CHECK_FALSE(VerifyPassword(password, std::string(*encoded).insert(20, 1, '\0')));
  std::string leading_zero = *encoded;
  leading_zero.replace(leading_zero.find("m=64"), 4, "m=064");
  CHECK_FALSE(VerifyPassword(password, leading_zero));
  // Costs no hash of ours has: refused before libargon2 would allocate 4 TiB.
  std::string huge = *encoded;
  huge.replace(huge.find("m=64"), 4, "m=4294967295");
  CHECK_FALSE(VerifyPassword(password, huge));
  std::string overflow = *encoded;
  overflow.replace(overflow.find("t=1"), 3, "t=99999999999");
  CHECK_FALSE(VerifyPassword(password, overflow));
}

TEST_CASE("password: costs out of bounds are refused", "[gateway][security]") {
  const std::vector<PasswordParams> bad = {
      {.time_cost = 0, .memory_kib = 64, .parallelism = 1},
      {.time_cost = 33, .memory_kib = 64, .parallelism = 1},
      {.time_cost = 1, .memory_kib = 4, .parallelism = 1},
      {.time_cost = 1, .memory_kib = (1U << 20) + 1, .parallelism = 1},
      {.time_cost = 1, .memory_kib = 64, .parallelism = 0},
      {.time_cost = 1, .memory_kib = 64, .parallelism = 17},
  };
  for (const PasswordParams& params : bad) {
    absl::StatusOr<std::string> encoded = HashPassword("correct horse battery staple", params);
    REQUIRE_FALSE(encoded.ok());
    CHECK(encoded.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("password: the policy counts characters, bytes and UTF-8", "[gateway][security]") {
  CHECK(CheckPasswordPolicy("twelve chars").ok());
  CHECK(CheckPasswordPolicy(std::string(1024, 'x')).ok());

  const absl::Status short_password = CheckPasswordPolicy("eleven char");
  CHECK(short_password.code() == absl::StatusCode::kInvalidArgument);
  CHECK(short_password.message() == "password must be at least 12 characters");
  CHECK_FALSE(CheckPasswordPolicy("").ok());

  // Characters, not bytes: 11 "é" are 22 bytes but 11 characters.
  std::string accents;
  for (int i = 0; i < 11; ++i) accents += "\xc3\xa9";
  CHECK(CheckPasswordPolicy(accents).message() == "password must be at least 12 characters");
  CHECK(CheckPasswordPolicy(accents + "\xc3\xa9").ok());

  const absl::Status long_password = CheckPasswordPolicy(std::string(1025, 'x'));
  CHECK(long_password.code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(long_password.message(), "at most 1024 bytes"));

  const absl::Status not_utf8 = CheckPasswordPolicy("twelve chars\xff");
  CHECK(not_utf8.code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(not_utf8.message(), "UTF-8"));
  CHECK_FALSE(CheckPasswordPolicy("twelve chars\xc0\xaf").ok());  // overlong '/'
}

// ---------------------------------------------------------------- JWT

TEST_CASE("jwt: Create refuses a short secret and an empty issuer or audience", "[gateway][security]") {
  CHECK(JwtCodec::Create(std::string(32, 's'), kIssuer, kAudience, hours(8)).ok());
  const std::vector<absl::Status> refused = {
      JwtCodec::Create(std::string(31, 's'), kIssuer, kAudience, hours(8)).status(),
      JwtCodec::Create("", kIssuer, kAudience, hours(8)).status(),
      JwtCodec::Create(kSecret, "", kAudience, hours(8)).status(),
      JwtCodec::Create(kSecret, kIssuer, "", hours(8)).status(),
      JwtCodec::Create(kSecret, kIssuer, kAudience, seconds(0)).status(),
  };
  for (const absl::Status& status : refused) CHECK(status.code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("jwt: an issued token verifies with its claims", "[gateway][security]") {
  const JwtCodec codec = MakeCodec();
  CHECK(codec.lifetime() == hours(8));
  const TimePoint now = kNow + std::chrono::milliseconds(750);
  const std::string token = codec.Issue("alice", Role::kSupervisor, now);
  CHECK(Parts(token).size() == 3);
  CHECK(token.find('=') == std::string::npos);

  absl::StatusOr<TokenClaims> claims = codec.Verify(token, now);
  REQUIRE(claims.ok());
  CHECK(claims->subject == "alice");
  CHECK(claims->role == Role::kSupervisor);
  CHECK(claims->issued_at == kNow);  // whole seconds
  CHECK(claims->expires_at == kNow + hours(8));
  CHECK(claims->token_id.size() == 32);
  CHECK(claims->token_id.find_first_not_of("0123456789abcdef") == std::string::npos);

  // The header is the fixed one, the payload carries issuer and audience.
  CHECK(Json::parse(*Base64UrlDecode(Parts(token)[0])) == Json::parse(kHs256Header));
  const Json payload = Json::parse(*Base64UrlDecode(Parts(token)[1]));
  CHECK(payload.at("iss") == kIssuer);
  CHECK(payload.at("aud") == kAudience);
  CHECK(payload.at("role") == "supervisor");
  CHECK(payload.at("exp") == kNowSeconds + 8 * 3600);

  // Each token has its own id.
  absl::StatusOr<TokenClaims> other = codec.Verify(codec.Issue("alice", Role::kSupervisor, now), now);
  REQUIRE(other.ok());
  CHECK(other->token_id != claims->token_id);

  for (Role role : {Role::kViewer, Role::kOperator, Role::kAdmin, Role::kIntegration}) {
    absl::StatusOr<TokenClaims> verified = codec.Verify(codec.Issue("key-1", role, kNow), kNow);
    REQUIRE(verified.ok());
    CHECK(verified->role == role);
  }
}

TEST_CASE("jwt: a flipped byte of the signature or the payload is refused", "[gateway][security]") {
  const JwtCodec codec = MakeCodec();
  const std::string token = codec.Issue("alice", Role::kOperator, kNow);
  const std::vector<std::string> parts = Parts(token);

  std::string signature = *Base64UrlDecode(parts[2]);
  for (size_t i : {size_t{0}, size_t{15}, size_t{31}}) {
    std::string flipped = signature;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x01);
    CHECK(Refusal(codec.Verify(parts[0] + "." + parts[1] + "." + Base64UrlEncode(flipped), kNow)) == "bad signature");
  }
  CHECK(Refusal(codec.Verify(parts[0] + "." + parts[1] + "." + Base64UrlEncode(signature.substr(0, 31)), kNow)) ==
        "bad signature");
  CHECK(Refusal(codec.Verify(parts[0] + "." + parts[1] + ".", kNow)) == "bad signature");

  std::string payload = *Base64UrlDecode(parts[1]);
  std::string flipped_payload = payload;
  flipped_payload[payload.find("alice")] = 'b';  // "blice"
  CHECK(Refusal(codec.Verify(parts[0] + "." + Base64UrlEncode(flipped_payload) + "." + parts[2], kNow)) ==
        "bad signature");

  // Raising one's own role without the secret.
  std::string promoted = payload;
  promoted.replace(promoted.find("\"operator\""), 10, "\"admin\"");
  CHECK(Refusal(codec.Verify(parts[0] + "." + Base64UrlEncode(promoted) + "." + parts[2], kNow)) == "bad signature");
}

TEST_CASE("jwt: a token signed with another secret is refused", "[gateway][security]") {
  absl::StatusOr<JwtCodec> other =
      JwtCodec::Create("another secret of at least thirty-two bytes", kIssuer, kAudience, hours(8));
  REQUIRE(other.ok());
  CHECK(Refusal(MakeCodec().Verify(other->Issue("alice", Role::kAdmin, kNow), kNow)) == "bad signature");
  CHECK(Refusal(MakeCodec().Verify(Forge(kHs256Header, GoodPayload().dump(), kSecret + "x"), kNow)) == "bad signature");
  CHECK(Refusal(MakeCodec().Verify(ForgePayload(GoodPayload()), kNow)).empty());
}

TEST_CASE("jwt: alg none with an empty signature is refused", "[gateway][security]") {
  const JwtCodec codec = MakeCodec();
  const std::string payload = Base64UrlEncode(GoodPayload().dump());
  for (const std::string header :
       {R"({"alg":"none","typ":"JWT"})", R"({"alg":"none"})", R"({"alg":"None"})", R"({"alg":"NONE"})"}) {
    INFO(header);
    CHECK(Refusal(codec.Verify(Base64UrlEncode(header) + "." + payload + ".", kNow)) == "unsupported algorithm");
  }
  // No alg at all, or not a string.
  CHECK(Refusal(codec.Verify(Forge(R"({"typ":"JWT"})", GoodPayload().dump()), kNow)) == "unsupported algorithm");
  CHECK(Refusal(codec.Verify(Forge(R"({"alg":null})", GoodPayload().dump()), kNow)) == "unsupported algorithm");
  CHECK(Refusal(codec.Verify(Forge(R"({"alg":["HS256"]})", GoodPayload().dump()), kNow)) == "unsupported algorithm");
}

TEST_CASE("jwt: other algorithms are refused even when signed with the secret", "[gateway][security]") {
  const JwtCodec codec = MakeCodec();
  for (const std::string alg : {"HS512", "HS384", "RS256", "ES256", "hs256", "HS256 "}) {
    INFO(alg);
    const std::string header = Json{{"alg", alg}, {"typ", "JWT"}}.dump();
    CHECK(Refusal(codec.Verify(Forge(header, GoodPayload().dump()), kNow)) == "unsupported algorithm");
  }
}

TEST_CASE("jwt: a typ other than JWT and a crit header are refused", "[gateway][security]") {
  const JwtCodec codec = MakeCodec();
  const std::string payload = GoodPayload().dump();
  CHECK(Refusal(codec.Verify(Forge(R"({"alg":"HS256"})", payload), kNow)).empty());  // typ is optional
  CHECK(Refusal(codec.Verify(Forge(R"({"alg":"HS256","typ":"at+jwt"})", payload), kNow)) == "unsupported token type");
  CHECK(Refusal(codec.Verify(Forge(R"({"alg":"HS256","typ":1})", payload), kNow)) == "unsupported token type");
  CHECK(Refusal(codec.Verify(Forge(R"({"alg":"HS256","crit":["exp"],"exp":1})", payload), kNow)) ==
        "unsupported critical header");
  CHECK(Refusal(codec.Verify(Forge(R"({"alg":"HS256","crit":[]})", payload), kNow)) == "unsupported critical header");
}

TEST_CASE("jwt: the wrong issuer or audience is refused", "[gateway][security]") {
  const JwtCodec codec = MakeCodec();
  Json payload = GoodPayload();

  payload["iss"] = "someone-else";
  CHECK(Refusal(codec.Verify(ForgePayload(payload), kNow)) == "wrong issuer");
  payload["iss"] = Json::array({kIssuer});
  CHECK(Refusal(codec.Verify(ForgePayload(payload), kNow)) == "wrong issuer");
  payload.erase("iss");
  CHECK(Refusal(codec.Verify(ForgePayload(payload), kNow)) == "missing claim iss");

  payload = GoodPayload();
  payload["aud"] = "cityops-mobile";
  CHECK(Refusal(codec.Verify(ForgePayload(payload), kNow)) == "wrong audience");
  payload["aud"] = Json::array({"cityops-mobile", "grafana"});
  CHECK(Refusal(codec.Verify(ForgePayload(payload), kNow)) == "wrong audience");
  payload["aud"] = Json::array();
  CHECK(Refusal(codec.Verify(ForgePayload(payload), kNow)) == "wrong audience");
  payload["aud"] = Json{{"aud", kAudience}};
  CHECK(Refusal(codec.Verify(ForgePayload(payload), kNow)) == "wrong audience");
  payload.erase("aud");
  CHECK(Refusal(codec.Verify(ForgePayload(payload), kNow)) == "missing claim aud");

  // An array that holds ours is fine.
  payload["aud"] = Json::array({"cityops-mobile", kAudience});
  CHECK(Refusal(codec.Verify(ForgePayload(payload), kNow)).empty());
}

TEST_CASE("jwt: expiry holds with a 30-second leeway", "[gateway][security]") {
  const JwtCodec codec = MakeCodec(hours(1));
  FakeClock clock(kNow);
  const std::string token = codec.Issue("alice", Role::kViewer, clock.Now());
  CHECK(codec.Verify(token, clock.Now()).ok());

  clock.Advance(hours(1) + seconds(29));  // just within the leeway
  CHECK(Refusal(codec.Verify(token, clock.Now())).empty());
  clock.Advance(seconds(1));  // exp + 30 s
  CHECK(Refusal(codec.Verify(token, clock.Now())) == "token expired");
  clock.Advance(hours(24));
  CHECK(Refusal(codec.Verify(token, clock.Now())) == "token expired");
}

TEST_CASE("jwt: iat in the future and nbf are honoured", "[gateway][security]") {
  const JwtCodec codec = MakeCodec();
  Json payload = GoodPayload();
  payload["iat"] = kNowSeconds + 30;  // a clock a little ahead
  CHECK(Refusal(codec.Verify(ForgePayload(payload), kNow)).empty());
  payload["iat"] = kNowSeconds + 31;
  CHECK(Refusal(codec.Verify(ForgePayload(payload), kNow)) == "token not yet valid");
  payload["iat"] = kNowSeconds + 365 * 24 * 3600;
  payload["exp"] = kNowSeconds + 366 * 24 * 3600;
  CHECK(Refusal(codec.Verify(ForgePayload(payload), kNow)) == "token not yet valid");

  // A token issued for later by ourselves, verified now.
  CHECK(Refusal(codec.Verify(codec.Issue("alice", Role::kViewer, kNow + hours(1)), kNow)) == "token not yet valid");

  payload = GoodPayload();
  payload["nbf"] = kNowSeconds + 60;
  CHECK(Refusal(codec.Verify(ForgePayload(payload), kNow)) == "token not yet valid");
  CHECK(Refusal(codec.Verify(ForgePayload(payload), kNow + seconds(30))).empty());
  payload["nbf"] = "soon";
  CHECK(Refusal(codec.Verify(ForgePayload(payload), kNow)) == "invalid claim nbf");
}

TEST_CASE("jwt: missing or malformed claims are refused", "[gateway][security]") {
  const JwtCodec codec = MakeCodec();
  const auto refusal_without = [&](const std::string& claim) {
    Json payload = GoodPayload();
    payload.erase(claim);
    return Refusal(codec.Verify(ForgePayload(payload), kNow));
  };
  const auto refusal_with = [&](const std::string& claim, const Json& value) {
    Json payload = GoodPayload();
    payload[claim] = value;
    return Refusal(codec.Verify(ForgePayload(payload), kNow));
  };
  CHECK(refusal_without("sub") == "missing claim sub");
  CHECK(refusal_with("sub", "") == "missing claim sub");
  CHECK(refusal_with("sub", 42) == "missing claim sub");
  CHECK(refusal_with("role", "root") == "unknown role");
  CHECK(refusal_with("role", "Admin") == "unknown role");
  CHECK(refusal_with("role", 3) == "unknown role");
  CHECK(refusal_without("role") == "missing claim role");
  CHECK(refusal_without("exp") == "missing claim exp");
  CHECK(refusal_without("iat") == "missing claim iat");
  CHECK(refusal_with("exp", std::to_string(kNowSeconds + 3600)) == "invalid claim exp");
  CHECK(refusal_with("exp", static_cast<double>(kNowSeconds) + 3600.5) == "invalid claim exp");
  CHECK(refusal_with("exp", nullptr) == "invalid claim exp");
  CHECK(refusal_with("exp", uint64_t{18446744073709551615U}) == "invalid claim exp");
  CHECK(refusal_with("exp", int64_t{-1}) == "invalid claim exp");
  CHECK(refusal_with("iat", true) == "invalid claim iat");
  CHECK(refusal_with("jti", 7) == "invalid claim jti");
  CHECK(refusal_without("jti").empty());  // jti is informative only
}

TEST_CASE("jwt: malformed tokens are refused", "[gateway][security]") {
  const JwtCodec codec = MakeCodec();
  const std::string token = codec.Issue("alice", Role::kOperator, kNow);
  const std::vector<std::string> parts = Parts(token);
  REQUIRE(codec.Verify(token, kNow).ok());

  const std::vector<std::string> malformed = {
      "",
      ".",
      "..",
      parts[0],
      parts[0] + "." + parts[1],                                                             // two parts
      token + ".",                                                                           // four parts
      token + "." + parts[2],                                                                // four parts
      token + "=",                                                                           // padding
      token + "==",                                                                          // padding
      parts[0] + "=." + parts[1] + "." + parts[2],                                           // padding in the header
      parts[0] + "." + parts[1] + "=." + parts[2],                                           // padding in the payload
      parts[0] + "." + parts[1] + "." + parts[2].substr(0, 20) + "+" + parts[2].substr(21),  // base64, not url
      parts[0] + "." + parts[1] + "." + parts[2].substr(0, 20) + "/" + parts[2].substr(21),
      " " + token,
      token + "\n",
      "Bearer " + token,
  };
  for (const std::string& text : malformed) {
    INFO(text);
    CHECK(Refusal(codec.Verify(text, kNow)) == "malformed token");
  }
  // A header or payload that is not a JSON object, or names a member twice.
  CHECK(Refusal(codec.Verify(Forge("[]", GoodPayload().dump()), kNow)) == "malformed token");
  CHECK(Refusal(codec.Verify(Forge("not json", GoodPayload().dump()), kNow)) == "malformed token");
  CHECK(Refusal(codec.Verify(Forge(kHs256Header, R"("alice")"), kNow)) == "malformed token");
  CHECK(Refusal(codec.Verify(Forge(kHs256Header, "[1,2]"), kNow)) == "malformed token");
  CHECK(Refusal(codec.Verify(Forge(kHs256Header, ""), kNow)) == "malformed token");
  CHECK(Refusal(codec.Verify(Forge(R"({"alg":"none","alg":"HS256"})", GoodPayload().dump()), kNow)) ==
        "malformed token");
  std::string twice = GoodPayload().dump();
  twice.insert(1, R"("role":"admin",)");
  CHECK(Refusal(codec.Verify(Forge(kHs256Header, twice), kNow)) == "malformed token");
  std::string not_utf8 = GoodPayload().dump();
  not_utf8.replace(not_utf8.find("alice"), 5, "al\xffoe");
  CHECK(Refusal(codec.Verify(Forge(kHs256Header, not_utf8), kNow)) == "malformed token");
}

TEST_CASE("jwt: a token over 8 KiB is refused", "[gateway][security]") {
  const JwtCodec codec = MakeCodec();
  // A long subject that still fits is fine...
  const std::string fits = codec.Issue(std::string(5000, 'a'), Role::kViewer, kNow);
  REQUIRE(fits.size() < 8192);
  CHECK(codec.Verify(fits, kNow).ok());
  // ...one that does not is refused before anything is decoded.
  const std::string too_large = codec.Issue(std::string(6200, 'a'), Role::kViewer, kNow);
  REQUIRE(too_large.size() > 8192);
  CHECK(Refusal(codec.Verify(too_large, kNow)) == "token too large");
  CHECK(Refusal(codec.Verify(std::string(8193, 'A'), kNow)) == "token too large");
}

TEST_CASE("jwt: the RFC 7515 HS256 example passes the signature check", "[gateway][security]") {
  // RFC 7515 appendix A.1: a header with CR LF and spaces, signed by another
  // implementation. It has no audience, so it stops there, after the signature.
  const std::optional<std::string> key =
      Base64UrlDecode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
  REQUIRE(key.has_value());
  absl::StatusOr<JwtCodec> codec = JwtCodec::Create(*key, "joe", kAudience, hours(1));
  REQUIRE(codec.ok());
  const std::string token =
      "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
      ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
      ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  const TimePoint when = TimePoint(seconds(1300819380 - 60));
  CHECK(Refusal(codec->Verify(token, when)) == "missing claim aud");
  std::string tampered = token;
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  CHECK(Refusal(codec->Verify(tampered, when)) == "bad signature");
}

// ---------------------------------------------------------------- API keys

TEST_CASE("api keys: cok_ and 43 base64url characters, never twice the same", "[gateway][security]") {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const std::string key = NewApiKey();
    REQUIRE(key.size() == 4 + 43);
    CHECK(absl::StartsWith(key, "cok_"));
    const std::string body = key.substr(4);
    CHECK(body.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
          std::string::npos);
    const std::optional<std::string> bytes = Base64UrlDecode(body);
    REQUIRE(bytes.has_value());
    CHECK(bytes->size() == 32);
    seen.insert(key);
  }
  CHECK(seen.size() == 50);
}

TEST_CASE("api keys: the digest is the lowercase hex SHA-256 of the key", "[gateway][security]") {
  CHECK(ApiKeyDigest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string key = NewApiKey();
  const std::string digest = ApiKeyDigest(key);
  CHECK(digest.size() == 64);
  CHECK(digest.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(digest == ApiKeyDigest(key));
  CHECK(digest != ApiKeyDigest(key + "x"));
  CHECK(digest.find(key.substr(4)) == std::string::npos);
}

// ---------------------------------------------------------------- rate limiter

TEST_CASE("rate limiter: a burst then a refusal with the right Retry-After", "[gateway][security]") {
  FakeClock clock(kNow);
  RateLimiter limiter(2.0, 3.0, clock);
  for (int i = 0; i < 3; ++i) CHECK_FALSE(limiter.Take("alice").has_value());
  const std::optional<seconds> retry = limiter.Take("alice");
  REQUIRE(retry.has_value());
  CHECK(*retry == seconds(1));  // half a second, rounded up

  RateLimiter slow(0.25, 2.0, clock);
  CHECK_FALSE(slow.Take("bob").has_value());
  CHECK_FALSE(slow.Take("bob").has_value());
  CHECK(slow.Take("bob") == std::optional<seconds>(seconds(4)));
  clock.Advance(std::chrono::milliseconds(1500));                 // 0.375 tokens
  CHECK(slow.Take("bob") == std::optional<seconds>(seconds(3)));  // 2.5 s, rounded up
  clock.Advance(std::chrono::milliseconds(2500));
  CHECK_FALSE(slow.Take("bob").has_value());
  CHECK(slow.Take("bob") == std::optional<seconds>(seconds(4)));
}

TEST_CASE("rate limiter: tokens refill as the clock moves, up to the burst", "[gateway][security]") {
  FakeClock clock(kNow);
  RateLimiter limiter(1.0, 5.0, clock);
  for (int i = 0; i < 5; ++i) CHECK_FALSE(limiter.Take("alice").has_value());
  CHECK(limiter.Take("alice").has_value());

  clock.Advance(seconds(2));
  CHECK_FALSE(limiter.Take("alice").has_value());
  CHECK_FALSE(limiter.Take("alice").has_value());
  CHECK(limiter.Take("alice").has_value());

  clock.Advance(minutes(5));  // far more than the burst: only 5 come back
  int granted = 0;
  for (int i = 0; i < 20; ++i) {
    if (!limiter.Take("alice").has_value()) ++granted;
  }
  CHECK(granted == 5);

  // Refusals take nothing: one second later there is exactly one token.
  clock.Advance(seconds(1));
  CHECK_FALSE(limiter.Take("alice").has_value());
  CHECK(limiter.Take("alice").has_value());
}

TEST_CASE("rate limiter: separate keys are independent", "[gateway][security]") {
  FakeClock clock(kNow);
  RateLimiter limiter(1.0, 2.0, clock);
  CHECK_FALSE(limiter.Take("alice").has_value());
  CHECK_FALSE(limiter.Take("alice").has_value());
  CHECK(limiter.Take("alice").has_value());
  CHECK_FALSE(limiter.Take("bob").has_value());
  CHECK_FALSE(limiter.Take("bob").has_value());
  CHECK(limiter.Take("bob").has_value());
  CHECK_FALSE(limiter.Take("alice ").has_value());
  CHECK(limiter.tracked_keys() == 3);
}

TEST_CASE("rate limiter: idle keys are swept", "[gateway][security]") {
  FakeClock clock(kNow);
  RateLimiter limiter(1.0, 10.0, clock);
  CHECK_FALSE(limiter.Take("alice").has_value());
  CHECK_FALSE(limiter.Take("bob").has_value());
  CHECK(limiter.tracked_keys() == 2);

  clock.Advance(minutes(5));
  CHECK_FALSE(limiter.Take("bob").has_value());  // bob is active again
  CHECK(limiter.tracked_keys() == 2);

  clock.Advance(minutes(6));  // alice idle 11 minutes, bob 6
  CHECK_FALSE(limiter.Take("carol").has_value());
  CHECK(limiter.tracked_keys() == 2);

  clock.Advance(minutes(11));
  CHECK_FALSE(limiter.Take("dave").has_value());
  CHECK(limiter.tracked_keys() == 1);

  // Many keys, all gone after they fall idle.
  for (int i = 0; i < 1000; ++i) CHECK_FALSE(limiter.Take("user-" + std::to_string(i)).has_value());
  CHECK(limiter.tracked_keys() == 1001);
  clock.Advance(minutes(10));
  CHECK_FALSE(limiter.Take("erin").has_value());
  CHECK(limiter.tracked_keys() == 1);
}

TEST_CASE("rate limiter: an idle key whose bucket is not full yet is kept", "[gateway][security]") {
  FakeClock clock(kNow);
  RateLimiter limiter(1.0 / 512, 2.0, clock);  // a token every 512 s (exact in binary)
  CHECK_FALSE(limiter.Take("alice").has_value());
  CHECK_FALSE(limiter.Take("alice").has_value());
  clock.Advance(minutes(11));  // 660 s: 1.2890625 tokens back of 2
  CHECK_FALSE(limiter.Take("bob").has_value());
  CHECK(limiter.tracked_keys() == 2);
  CHECK_FALSE(limiter.Take("alice").has_value());
  // 0.2890625 left: 0.7109375 * 512 = 364 s to the next token.
  CHECK(limiter.Take("alice") == std::optional<seconds>(seconds(364)));
}

TEST_CASE("rate limiter: concurrent takes never grant more than the burst", "[gateway][security]") {
  FakeClock clock(kNow);
  RateLimiter limiter(1.0, 50.0, clock);
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (!limiter.Take("shared").has_value()) ++granted;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(granted.load() == 50);
  CHECK(limiter.tracked_keys() == 1);
}

}  // namespace
}  // namespace cityops::gateway
