#include <catch2/catch.hpp>

#include "cityops/common/pg.h"

using cityops::common::Migration;
using cityops::common::MigrationChecksum;
using cityops::common::OrderMigrations;

TEST_CASE("OrderMigrations sorts by the version in the name", "[migrations]") {
  auto ordered = OrderMigrations({{0, "0010_late.sql", "c"}, {0, "0001_init.sql", "a"}, {2, "0002_more.sql", "b"}});
  REQUIRE(ordered.ok());
  REQUIRE(ordered->size() == 3);
  CHECK((*ordered)[0].name == "0001_init.sql");
  CHECK((*ordered)[0].version == 1);
  CHECK((*ordered)[0].sql == "a");
  CHECK((*ordered)[1].version == 2);
  CHECK((*ordered)[2].version == 10);
  CHECK((*ordered)[2].name == "0010_late.sql");
}

TEST_CASE("OrderMigrations refuses bad names", "[migrations]") {
  for (const char* name : {"init.sql", "1_init.sql", "0001init.sql", "0001_.sql", "0001_init.txt", "0000_zero.sql",
                           "00a1_x.sql", "0001_in it.sql", "0001_init.sql.bak"}) {
    INFO(name);
    auto ordered = OrderMigrations({{0, name, "SELECT 1"}});
    REQUIRE_FALSE(ordered.ok());
    CHECK(ordered.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(ordered.status().message()), Catch::Contains(name));
  }
}

TEST_CASE("OrderMigrations refuses duplicate versions, naming both files", "[migrations]") {
  auto ordered = OrderMigrations({{0, "0001_init.sql", ""}, {0, "0002_a.sql", ""}, {0, "0002_b.sql", ""}});
  REQUIRE_FALSE(ordered.ok());
  CHECK(ordered.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(ordered.status().message()), Catch::Contains("0002_a.sql") && Catch::Contains("0002_b.sql"));
}

TEST_CASE("OrderMigrations refuses a version that contradicts the name", "[migrations]") {
  auto ordered = OrderMigrations({{3, "0001_init.sql", ""}});
  REQUIRE_FALSE(ordered.ok());
  CHECK(ordered.status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("OrderMigrations of nothing is nothing", "[migrations]") {
  auto ordered = OrderMigrations({});
  REQUIRE(ordered.ok());
  CHECK(ordered->empty());
}

TEST_CASE("MigrationChecksum is the hex SHA-256 of the SQL", "[migrations]") {
  CHECK(MigrationChecksum("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(MigrationChecksum("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(MigrationChecksum("CREATE TABLE a();") != MigrationChecksum("CREATE TABLE a ();"));
}
