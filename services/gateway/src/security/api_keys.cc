#include "security/api_keys.h"

#include "security/encoding.h"

namespace cityops::gateway {
namespace {

constexpr std::string_view kApiKeyPrefix = "cok_";
constexpr size_t kApiKeyRandomBytes = 32;

}  // namespace

std::string NewApiKey() {
  std::string key(kApiKeyPrefix);
  key += Base64UrlEncode(RandomBytesOrDie(kApiKeyRandomBytes));
  return key;
}

std::string ApiKeyDigest(std::string_view key) { return HexEncode(Sha256(key)); }

}  // namespace cityops::gateway
