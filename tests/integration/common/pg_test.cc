#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "cityops/common/pg.h"
#include "cityops_test_support.h"

using namespace std::chrono_literals;
using cityops::common::ApplyMigrations;
using cityops::common::Migration;
using cityops::common::PgPool;
namespace testing = cityops::testing;

namespace {

std::unique_ptr<PgPool> MakePool(const testing::TestSchema& schema, int size) {
  auto pool = PgPool::Create(schema.dsn(), schema.name(), size);
  INFO(pool.status().ToString());
  REQUIRE(pool.ok());
  return *std::move(pool);
}

int64_t CountRows(PgPool& pool, const std::string& sql) {
  int64_t n = -1;
  REQUIRE(pool.WithTransaction([&](pqxx::work& tx) {
                n = tx.exec(sql)[0][0].as<int64_t>();
                return absl::OkStatus();
              })
              .ok());
  return n;
}

const std::vector<Migration> kMigrations = {
    {0, "0002_items_name.sql", "ALTER TABLE items ADD COLUMN name text;"},
    {0, "0001_init.sql",
     "CREATE TABLE items (id bigint PRIMARY KEY, note text NOT NULL);\n"
     "CREATE INDEX items_note ON items (note);"},
};

}  // namespace

TEST_CASE("PgPool works in the service's schema and maps errors to Status", "[pg]") {
  testing::TestSchema schema;
  auto pool = MakePool(schema, 2);
  CHECK(pool->schema() == schema.name());
  REQUIRE(pool->Ping().ok());

  std::string current;
  REQUIRE(pool->WithTransaction([&](pqxx::work& tx) {
                tx.exec("CREATE TABLE kv (k text PRIMARY KEY, v int NOT NULL CHECK (v >= 0))");
                current = tx.exec("SELECT current_schema()")[0][0].as<std::string>();
                return absl::OkStatus();
              })
              .ok());
  CHECK(current == schema.name());

  const auto insert = [&](const std::string& k, int v) {
    return pool->WithTransaction([&](pqxx::work& tx) {
      tx.exec_params("INSERT INTO kv (k, v) VALUES ($1, $2)", k, v);
      return absl::OkStatus();
    });
  };
  REQUIRE(insert("a", 1).ok());

  SECTION("unique violation is ALREADY_EXISTS") {
    const absl::Status s = insert("a", 2);
    CHECK(s.code() == absl::StatusCode::kAlreadyExists);
    CHECK_THAT(std::string(s.message()), Catch::Contains("23505"));
  }
  SECTION("other constraint violations are FAILED_PRECONDITION") {
    CHECK(insert("b", -1).code() == absl::StatusCode::kFailedPrecondition);
  }
  SECTION("other SQL errors are INTERNAL with the SQLSTATE") {
    const absl::Status s = pool->WithTransaction([](pqxx::work& tx) {
      tx.exec("SELEC 1");
      return absl::OkStatus();
    });
    CHECK(s.code() == absl::StatusCode::kInternal);
    CHECK_THAT(std::string(s.message()), Catch::Contains("42601"));
  }
  SECTION("a function's error rolls the transaction back") {
    const absl::Status s = pool->WithTransaction([](pqxx::work& tx) {
      tx.exec("INSERT INTO kv (k, v) VALUES ('rolled', 1)");
      return absl::InvalidArgumentError("no thanks");
    });
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK(CountRows(*pool, "SELECT count(*) FROM kv WHERE k = 'rolled'") == 0);
  }
  CHECK(CountRows(*pool, "SELECT count(*) FROM kv") == 1);
}

TEST_CASE("PgPool replaces a broken connection and times out when exhausted", "[pg]") {
  testing::TestSchema schema;
  auto pool = MakePool(schema, 1);
  const absl::Status killed = pool->WithTransaction([](pqxx::work& tx) {
    tx.exec("SELECT pg_terminate_backend(pg_backend_pid())");
    return absl::OkStatus();
  });
  CHECK(killed.code() == absl::StatusCode::kUnavailable);
  // The next call gets a new connection, with the schema set again.
  std::string current;
  REQUIRE(pool->WithTransaction([&](pqxx::work& tx) {
                current = tx.exec("SELECT current_schema()")[0][0].as<std::string>();
                return absl::OkStatus();
              })
              .ok());
  CHECK(current == schema.name());

  // The only connection is busy: a nested acquire times out as UNAVAILABLE.
  absl::Status nested;
  REQUIRE(pool->WithConnection([&](pqxx::connection&) {
                nested = pool->WithTransaction([](pqxx::work&) { return absl::OkStatus(); }, 100ms);
                return absl::OkStatus();
              })
              .ok());
  CHECK(nested.code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("PgPool creation fails as UNAVAILABLE when PostgreSQL does not answer", "[pg]") {
  auto pool = PgPool::Create("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", "x", 1);
  REQUIRE_FALSE(pool.ok());
  CHECK(pool.status().code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("Migrations apply once, in order, and refuse an edited one", "[pg][migrations]") {
  testing::TestSchema schema;
  auto pool = MakePool(schema, 2);

  auto first = ApplyMigrations(*pool, kMigrations);
  INFO(first.status().ToString());
  REQUIRE(first.ok());
  CHECK(*first == 2);
  auto second = ApplyMigrations(*pool, kMigrations);
  REQUIRE(second.ok());
  CHECK(*second == 0);
  CHECK(CountRows(*pool, "SELECT count(*) FROM schema_migrations") == 2);
  CHECK(CountRows(*pool, "SELECT count(*) FROM schema_migrations WHERE length(checksum) = 64") == 2);
  // 0002 ran after 0001 (it needs the table).
  REQUIRE(pool->WithTransaction([](pqxx::work& tx) {
                tx.exec("INSERT INTO items (id, note, name) VALUES (1, 'n', 'x')");
                return absl::OkStatus();
              })
              .ok());

  SECTION("an edited migration is refused, naming it") {
    auto edited = kMigrations;
    edited[1].sql += "\n-- edited";
    auto result = ApplyMigrations(*pool, edited);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK_THAT(std::string(result.status().message()), Catch::Contains("0001_init.sql"));
  }
  SECTION("a new migration is applied alone") {
    auto more = kMigrations;
    more.push_back({0, "0003_more.sql", "CREATE TABLE more_items (id int);"});
    auto result = ApplyMigrations(*pool, more);
    REQUIRE(result.ok());
    CHECK(*result == 1);
    CHECK(CountRows(*pool, "SELECT count(*) FROM schema_migrations") == 3);
  }
  SECTION("a failing migration is not recorded and names itself") {
    auto broken = kMigrations;
    broken.push_back({0, "0003_broken.sql", "CREATE TABLE t (id int); CREATE TABLE t (id int);"});
    auto result = ApplyMigrations(*pool, broken);
    REQUIRE_FALSE(result.ok());
    CHECK_THAT(std::string(result.status().message()), Catch::Contains("0003_broken.sql"));
    CHECK(CountRows(*pool, "SELECT count(*) FROM schema_migrations") == 2);
    CHECK(CountRows(*pool, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 't'") ==
          0);
  }
}

TEST_CASE("Instances migrating together apply each migration once", "[pg][migrations]") {
  testing::TestSchema schema;
  auto pool = MakePool(schema, 4);
  std::atomic<int> applied{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> instances;
  for (int i = 0; i < 4; ++i) {
    instances.emplace_back([&] {
      auto n = ApplyMigrations(*pool, kMigrations);
      if (n.ok()) {
        applied += *n;
      } else {
        ++failures;
      }
    });
  }
  for (auto& t : instances) t.join();
  CHECK(failures == 0);
  CHECK(applied == 2);
  CHECK(CountRows(*pool, "SELECT count(*) FROM schema_migrations") == 2);
}

TEST_CASE("Migrating a schema that does not exist is FAILED_PRECONDITION", "[pg][migrations]") {
  auto pool = PgPool::Create(testing::PgAdminDsn(), testing::UniqueName("absent"), 1);
  REQUIRE(pool.ok());
  auto result = ApplyMigrations(**pool, kMigrations);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == absl::StatusCode::kFailedPrecondition);
}
