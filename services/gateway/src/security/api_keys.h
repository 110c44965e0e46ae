#pragma once

#include <string>
#include <string_view>

// Integration clients' API keys. The key is shown once, when it is created;
// the database keeps only its digest, and a request's X-Api-Key is looked up
// by digest.
namespace cityops::gateway {

// A new random API key: "cok_" followed by 43 base64url characters (32 random
// bytes).
std::string NewApiKey();

// Lowercase hex SHA-256 of the key: what the database stores (never the key).
std::string ApiKeyDigest(std::string_view key);

}  // namespace cityops::gateway
