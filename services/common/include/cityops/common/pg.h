#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cityops::common {

// A fixed-size pool of libpq connections whose search_path is the service's schema.
class PgPool {
 public:
  // Connects `size` connections; UNAVAILABLE when the database does not answer.
  static absl::StatusOr<std::unique_ptr<PgPool>> Create(const std::string& dsn, const std::string& schema, int size);
  ~PgPool();

  const std::string& schema() const { return schema_; }

  // Runs fn inside one transaction, committed when fn returns OK and rolled
  // back otherwise. libpqxx exceptions become Status (broken connection:
  // UNAVAILABLE, after which the connection is replaced; constraint violations:
  // FAILED_PRECONDITION or ALREADY_EXISTS for unique violations).
  absl::Status WithTransaction(const std::function<absl::Status(pqxx::work&)>& fn,
                               std::chrono::milliseconds acquire_timeout = std::chrono::seconds(5));
  // Runs fn with a connection and no transaction (LISTEN, COPY with its own transaction...).
  absl::Status WithConnection(const std::function<absl::Status(pqxx::connection&)>& fn,
                              std::chrono::milliseconds acquire_timeout = std::chrono::seconds(5));
  // SELECT 1 (readiness).
  absl::Status Ping();
  // A new connection outside the pool, with the same search_path, for work
  // that holds a session (advisory locks, LISTEN): the caller owns it.
  absl::StatusOr<std::unique_ptr<pqxx::connection>> ConnectDedicated() { return Connect(); }

 private:
  PgPool(std::string dsn, std::string schema);
  absl::StatusOr<std::unique_ptr<pqxx::connection>> Connect();
  absl::StatusOr<std::unique_ptr<pqxx::connection>> Acquire(std::chrono::milliseconds timeout);
  void Release(std::unique_ptr<pqxx::connection> conn, bool broken);

  std::string dsn_;
  std::string schema_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int missing_ = 0;  // connections to re-create (broken ones)
};

// Array literals for `$1::text[]` and `$1::bytea[]` parameters (`= ANY($1)`,
// `unnest($1, $2, ...)` for many rows in one statement).
std::string PgTextArray(const std::vector<std::string>& values);
std::string PgByteaArray(const std::vector<std::string>& values);
// `$1::int8[]`, `$1::float8[]`...: whole numbers as they are, doubles at full
// precision (17 significant digits), booleans as t/f.
std::string PgNumberArray(const std::vector<int64_t>& values);
std::string PgNumberArray(const std::vector<int>& values);
std::string PgNumberArray(const std::vector<double>& values);
std::string PgBoolArray(const std::vector<bool>& values);

// Maps an exception thrown by libpqxx to a Status: broken connection or
// commit outcome unknown: UNAVAILABLE; unique violation: ALREADY_EXISTS; other
// constraint violations: FAILED_PRECONDITION; serialization failure or
// deadlock: ABORTED (retry); other SQL errors: INTERNAL with the SQLSTATE.
absl::Status StatusFromPqxx(const std::exception& e);

struct Migration {
  int version = 0;   // from the file name: 0001_init.sql -> 1
  std::string name;  // 0001_init.sql
  std::string sql;
};

// Hex SHA-256 of a migration's SQL, as recorded in schema_migrations.checksum.
std::string MigrationChecksum(std::string_view sql);

// Parses and orders migrations; INVALID_ARGUMENT for a bad file name or a duplicate version.
absl::StatusOr<std::vector<Migration>> OrderMigrations(std::vector<Migration> migrations);

// Applies, in order and each in its own transaction, the migrations not yet
// recorded in <schema>.schema_migrations, under an advisory lock on the schema
// so that instances starting together apply each once. FAILED_PRECONDITION if
// a recorded migration's checksum differs from the file's (a landed migration
// was edited). Returns how many were applied.
absl::StatusOr<int> ApplyMigrations(PgPool& pool, const std::vector<Migration>& migrations);

}  // namespace cityops::common
