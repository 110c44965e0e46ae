#include <catch2/catch.hpp>

#include "cityops/common/config.h"

using cityops::common::Config;
using namespace std::chrono_literals;

TEST_CASE("EnvName maps kebab-case to CITYOPS_UPPER_SNAKE", "[config]") {
  CHECK(Config::EnvName("kafka-bootstrap") == "CITYOPS_KAFKA_BOOTSTRAP");
  CHECK(Config::EnvName("pg-dsn") == "CITYOPS_PG_DSN");
}

TEST_CASE("Config reads CITYOPS_ variables and flags override them", "[config]") {
  const char* env[] = {"CITYOPS_KAFKA_BOOTSTRAP=env:9092", "CITYOPS_PG_POOL_SIZE=4", "OTHER_THING=ignored",
                       "CITYOPS_LOG_LEVEL=info", nullptr};
  const char* argv[] = {"svc", "--kafka-bootstrap=flag:9092", "--log-level", "debug", "--grpc_address=0.0.0.0:1"};
  auto config = Config::Load(5, argv, env);
  REQUIRE(config.ok());
  CHECK(config->GetString("kafka-bootstrap", "") == "flag:9092");
  CHECK(config->GetString("log-level", "") == "debug");
  CHECK(config->GetString("grpc-address", "") == "0.0.0.0:1");  // underscores in flags are dashes
  auto size = config->GetInt("pg-pool-size", 1);
  REQUIRE(size.ok());
  CHECK(*size == 4);
  CHECK_FALSE(config->Has("other-thing"));
  CHECK_FALSE(config->Has("thing"));
  CHECK(config->GetString("absent", "fallback") == "fallback");
}

TEST_CASE("Config without flags keeps the environment's value", "[config]") {
  const char* env[] = {"CITYOPS_KAFKA_BOOTSTRAP=env:9092", nullptr};
  const char* argv[] = {"svc"};
  auto config = Config::Load(1, argv, env);
  REQUIRE(config.ok());
  CHECK(config->GetString("kafka-bootstrap", "") == "env:9092");
}

TEST_CASE("Malformed flags are INVALID_ARGUMENT", "[config]") {
  const char* env[] = {nullptr};
  SECTION("positional argument") {
    const char* argv[] = {"svc", "oops"};
    auto config = Config::Load(2, argv, env);
    REQUIRE_FALSE(config.ok());
    CHECK(config.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(config.status().message()), Catch::Contains("oops"));
  }
  SECTION("flag without a value at the end") {
    const char* argv[] = {"svc", "--pg-dsn"};
    auto config = Config::Load(2, argv, env);
    REQUIRE_FALSE(config.ok());
    CHECK_THAT(std::string(config.status().message()), Catch::Contains("--pg-dsn"));
  }
  SECTION("flag followed by another flag") {
    const char* argv[] = {"svc", "--pg-dsn", "--log-level=info"};
    CHECK_FALSE(Config::Load(3, argv, env).ok());
  }
  SECTION("bad characters in the name") {
    const char* argv[] = {"svc", "--we!rd=1"};
    CHECK(Config::Load(2, argv, env).status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("Missing required settings name the variable and the flag", "[config]") {
  const Config config = Config::FromMap({{"empty", ""}});
  auto dsn = config.GetRequired("pg-dsn");
  REQUIRE_FALSE(dsn.ok());
  CHECK(dsn.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(dsn.status().message()), Catch::Contains("CITYOPS_PG_DSN"));
  CHECK_THAT(std::string(dsn.status().message()), Catch::Contains("--pg-dsn"));
  CHECK_FALSE(config.GetRequired("empty").ok());
  CHECK(*Config::FromMap({{"pg-dsn", "x"}}).GetRequired("pg-dsn") == "x");
}

TEST_CASE("Numbers are checked", "[config]") {
  const Config config = Config::FromMap({{"n", "42"}, {"neg", "-7"}, {"bad", "12abc"}, {"d", "0.25"}, {"dbad", "x1"}});
  CHECK(*config.GetInt("n", 0) == 42);
  CHECK(*config.GetInt("neg", 0) == -7);
  CHECK(*config.GetInt("absent", 9) == 9);
  auto bad = config.GetInt("bad", 0);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("CITYOPS_BAD"));
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("12abc"));
  CHECK(*config.GetDouble("d", 0) == Approx(0.25));
  CHECK_FALSE(config.GetDouble("dbad", 0).ok());
}

TEST_CASE("Booleans accept true/false/1/0/yes/no only", "[config]") {
  const Config config = Config::FromMap({{"a", "true"}, {"b", "0"}, {"c", "YES"}, {"d", "no"}, {"e", "maybe"}});
  CHECK(*config.GetBool("a", false));
  CHECK_FALSE(*config.GetBool("b", true));
  CHECK(*config.GetBool("c", false));
  CHECK_FALSE(*config.GetBool("d", true));
  CHECK(*config.GetBool("absent", true));
  CHECK(config.GetBool("e", false).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("Durations take a unit or milliseconds", "[config]") {
  const Config config = Config::FromMap({{"ms", "250ms"},
                                         {"s", "2s"},
                                         {"m", "5m"},
                                         {"h", "1h"},
                                         {"bare", "1500"},
                                         {"frac", "1.5s"},
                                         {"unit-only", "s"},
                                         {"neg", "-1s"},
                                         {"bad-unit", "3d"},
                                         {"empty", ""}});
  CHECK(*config.GetDuration("ms", 0ms) == 250ms);
  CHECK(*config.GetDuration("s", 0ms) == 2000ms);
  CHECK(*config.GetDuration("m", 0ms) == 300000ms);
  CHECK(*config.GetDuration("h", 0ms) == 3600000ms);
  CHECK(*config.GetDuration("bare", 0ms) == 1500ms);
  CHECK(*config.GetDuration("frac", 0ms) == 1500ms);
  CHECK(*config.GetDuration("absent", 42ms) == 42ms);
  for (const char* name : {"unit-only", "neg", "bad-unit", "empty"}) {
    INFO(name);
    auto d = config.GetDuration(name, 0ms);
    REQUIRE_FALSE(d.ok());
    CHECK(d.status().code() == absl::StatusCode::kInvalidArgument);
  }
}
