#include <algorithm>
#include <cctype>
#include <map>
#include <utility>

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "cityops/common/pg.h"

namespace cityops::common {
namespace {

constexpr size_t kVersionDigits = 4;

// "0001_init.sql" -> 1; 0 when the name is not NNNN_name.sql.
int VersionFromName(std::string_view name) {
  constexpr std::string_view kSuffix = ".sql";
  if (name.size() <= kVersionDigits + 1 + kSuffix.size()) return 0;
  if (name.substr(name.size() - kSuffix.size()) != kSuffix || name[kVersionDigits] != '_') return 0;
  int version = 0;
  for (size_t i = 0; i < kVersionDigits; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(name[i]))) return 0;
    version = version * 10 + (name[i] - '0');
  }
  const std::string_view label = name.substr(kVersionDigits + 1, name.size() - kVersionDigits - 1 - kSuffix.size());
  for (char c : label) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '_' && c != '-') return 0;
  }
  return version;
}

}  // namespace

std::string MigrationChecksum(std::string_view sql) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(sql.data(), sql.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xF]);
  }
  return hex;
}

absl::StatusOr<std::vector<Migration>> OrderMigrations(std::vector<Migration> migrations) {
  std::map<int, std::string> seen;
  for (Migration& m : migrations) {
    const int version = VersionFromName(m.name);
    if (version <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "migration '", m.name, "': the name must be NNNN_name.sql with NNNN from 0001 (letters, digits, _ and -)"));
    }
    if (m.version != 0 && m.version != version) {
      return absl::InvalidArgumentError(
          absl::StrCat("migration '", m.name, "': version ", m.version, " does not match its name"));
    }
    m.version = version;
    if (auto [it, inserted] = seen.emplace(version, m.name); !inserted) {
      return absl::InvalidArgumentError(
          absl::StrCat("migrations '", it->second, "' and '", m.name, "' have the same version ", version));
    }
  }
  std::sort(migrations.begin(), migrations.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  return migrations;
}

absl::StatusOr<int> ApplyMigrations(PgPool& pool, const std::vector<Migration>& migrations) {
  auto ordered = OrderMigrations(migrations);
  if (!ordered.ok()) return ordered.status();
  // A connection of its own: the session advisory lock lives as long as it.
  auto conn = pool.ConnectDedicated();
  if (!conn.ok()) return conn.status();
  pqxx::connection& c = **conn;
  const std::string schema = pool.schema();
  int applied = 0;
  try {
    const std::string table = c.quote_name(schema) + ".schema_migrations";
    {
      pqxx::nontransaction tx(c);
      if (tx.exec_params("SELECT 1 FROM pg_namespace WHERE nspname = $1", schema).empty()) {
        return absl::FailedPreconditionError(absl::StrCat("schema '", schema, "' does not exist"));
      }
      // Instances starting together queue here; each migration is applied once.
      tx.exec_params("SELECT pg_advisory_lock(hashtext($1))", schema);
      tx.exec("CREATE TABLE IF NOT EXISTS " + table +
              " (version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
              " applied_at timestamptz NOT NULL DEFAULT now())");
    }
    std::map<int, std::pair<std::string, std::string>> recorded;  // version -> name, checksum
    {
      pqxx::nontransaction tx(c);
      for (const auto& row : tx.exec("SELECT version, name, checksum FROM " + table)) {
        recorded[row[0].as<int>()] = {row[1].as<std::string>(), row[2].as<std::string>()};
      }
    }
    absl::Status status;
    for (const Migration& m : *ordered) {
      const std::string checksum = MigrationChecksum(m.sql);
      if (const auto it = recorded.find(m.version); it != recorded.end()) {
        if (it->second.second != checksum) {
          status = absl::FailedPreconditionError(absl::StrCat("migration ", m.name,
                                                              " was edited after it was applied to schema '", schema,
                                                              "' (checksum differs): add a new migration instead"));
          break;
        }
        continue;
      }
      try {
        pqxx::work tx(c);
        tx.exec(m.sql);
        tx.exec_params("INSERT INTO " + table + " (version, name, checksum) VALUES ($1, $2, $3)", m.version, m.name,
                       checksum);
        tx.commit();
      } catch (const pqxx::broken_connection&) {
        throw;
      } catch (const std::exception& e) {
        const absl::Status cause = StatusFromPqxx(e);
        status = absl::Status(cause.code(), absl::StrCat("migration ", m.name, " failed: ", cause.message()));
        break;
      }
      spdlog::info("migration {} applied to schema {}", m.name, schema);
      ++applied;
    }
    {
      pqxx::nontransaction tx(c);
      tx.exec_params("SELECT pg_advisory_unlock(hashtext($1))", schema);
    }
    if (!status.ok()) return status;
  } catch (const std::exception& e) {
    // The lock goes with the session when the connection closes.
    return StatusFromPqxx(e);
  }
  return applied;
}

}  // namespace cityops::common
