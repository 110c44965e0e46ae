#include <catch2/catch.hpp>

#include "cityops/common/service_settings.h"
#include "cityops/common/startup.h"

using cityops::common::Config;
using cityops::common::ConsumeFrom;
using cityops::common::LoadServiceSettings;
using cityops::common::ServiceDefaults;
using cityops::common::ServiceSettings;
using namespace std::chrono_literals;

namespace {

ServiceDefaults Lighting() {
  return {.name = "lighting-control",
          .grpc_address = "127.0.0.1:50054",
          .metrics_address = "127.0.0.1:9104",
          .pg_schema = "lighting_control",
          .pg_pool_size = 4,
          .consumer_group = "lighting-control"};
}

Config WithDsn(std::map<std::string, std::string, std::less<>> values) {
  values.emplace("pg-dsn", "postgresql://localhost/cityops");
  return Config::FromMap(std::move(values));
}

}  // namespace

TEST_CASE("LoadServiceSettings takes the service's defaults", "[service_settings]") {
  auto s = LoadServiceSettings(WithDsn({}), Lighting());
  REQUIRE(s.ok());
  CHECK(s->name == "lighting-control");
  CHECK(s->grpc_address == "127.0.0.1:50054");
  CHECK(s->metrics_address == "127.0.0.1:9104");
  CHECK(s->pg_dsn == "postgresql://localhost/cityops");
  CHECK(s->pg_schema == "lighting_control");
  CHECK(s->pg_pool_size == 4);
  CHECK(s->kafka.bootstrap == "127.0.0.1:19092");
  CHECK(s->kafka.client_id == "lighting-control");
  CHECK(s->kafka.extra.empty());
  CHECK(s->topic_prefix.empty());
  CHECK(s->consumer_group == "lighting-control");
  CHECK(s->log_level == "info");
  CHECK(s->startup_timeout == 30s);
  CHECK(s->ready_file.empty());
}

TEST_CASE("LoadServiceSettings reads every common setting", "[service_settings]") {
  auto s = LoadServiceSettings(WithDsn({{"grpc-address", "0.0.0.0:1"},
                                        {"metrics-address", "0.0.0.0:2"},
                                        {"pg-schema", "other"},
                                        {"pg-pool-size", "10"},
                                        {"kafka-bootstrap", "kafka:9092"},
                                        {"topic-prefix", "t1."},
                                        {"consumer-group", "mine"},
                                        {"log-level", "debug"},
                                        {"startup-timeout", "2m"},
                                        {"ready-file", "/tmp/ready.json"}}),
                               Lighting());
  REQUIRE(s.ok());
  CHECK(s->grpc_address == "0.0.0.0:1");
  CHECK(s->metrics_address == "0.0.0.0:2");
  CHECK(s->pg_schema == "other");
  CHECK(s->pg_pool_size == 10);
  CHECK(s->kafka.bootstrap == "kafka:9092");
  CHECK(s->kafka.client_id == "lighting-control");
  CHECK(s->topic_prefix == "t1.");
  CHECK(s->consumer_group == "mine");  // given: taken as it is, without the prefix
  CHECK(s->log_level == "debug");
  CHECK(s->startup_timeout == 2min);
  CHECK(s->ready_file == "/tmp/ready.json");
}

TEST_CASE("A flag overrides the environment's value", "[service_settings]") {
  const char* env[] = {"CITYOPS_PG_DSN=env-dsn", "CITYOPS_PG_POOL_SIZE=8", "CITYOPS_LOG_LEVEL=warn", nullptr};
  const char* argv[] = {"lighting-control", "--pg-pool-size=12", "--log_level", "debug"};
  auto config = Config::Load(4, argv, env);
  REQUIRE(config.ok());
  auto s = LoadServiceSettings(*config, Lighting());
  REQUIRE(s.ok());
  CHECK(s->pg_dsn == "env-dsn");
  CHECK(s->pg_pool_size == 12);
  CHECK(s->log_level == "debug");
}

TEST_CASE("A missing pg-dsn names the variable and the flag", "[service_settings]") {
  for (const auto& values : {std::map<std::string, std::string, std::less<>>{},
                             std::map<std::string, std::string, std::less<>>{{"pg-dsn", ""}}}) {
    auto s = LoadServiceSettings(Config::FromMap(values), Lighting());
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().code() == absl::StatusCode::kNotFound);
    CHECK_THAT(std::string(s.status().message()), Catch::Contains("CITYOPS_PG_DSN") && Catch::Contains("--pg-dsn"));
  }
}

TEST_CASE("pg-pool-size must be within 2..64", "[service_settings]") {
  for (const std::string good : {"2", "64"}) {
    auto s = LoadServiceSettings(WithDsn({{"pg-pool-size", good}}), Lighting());
    REQUIRE(s.ok());
    CHECK(s->pg_pool_size == std::stoi(good));
  }
  // 4294967300 is 4 once narrowed to 32 bits: it must not pass for 4.
  for (const std::string bad : {"1", "65", "0", "-4", "4294967300"}) {
    auto s = LoadServiceSettings(WithDsn({{"pg-pool-size", bad}}), Lighting());
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(s.status().message() == "pg-pool-size must be within 2..64");
  }
  auto not_a_number = LoadServiceSettings(WithDsn({{"pg-pool-size", "six"}}), Lighting());
  REQUIRE_FALSE(not_a_number.ok());
  CHECK_THAT(std::string(not_a_number.status().message()), Catch::Contains("CITYOPS_PG_POOL_SIZE"));
}

TEST_CASE("The default consumer group follows the topic prefix", "[service_settings]") {
  auto s = LoadServiceSettings(WithDsn({{"topic-prefix", "t1."}}), Lighting());
  REQUIRE(s.ok());
  CHECK(s->consumer_group == "t1.lighting-control");

  ServiceDefaults other = Lighting();
  other.consumer_group = "lighting-assets";
  auto own = LoadServiceSettings(WithDsn({{"topic-prefix", "t2."}}), other);
  REQUIRE(own.ok());
  CHECK(own->consumer_group == "t2.lighting-assets");
  CHECK(own->kafka.client_id == "lighting-control");
}

TEST_CASE("A malformed startup-timeout names the setting", "[service_settings]") {
  auto s = LoadServiceSettings(WithDsn({{"startup-timeout", "soon"}}), Lighting());
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(s.status().message()), Catch::Contains("CITYOPS_STARTUP_TIMEOUT"));
}

TEST_CASE("GetConsumeFrom reads latest or earliest", "[service_settings]") {
  using cityops::common::GetConsumeFrom;
  CHECK(*GetConsumeFrom(Config::FromMap({}), "readings-from", ConsumeFrom::kLatest) == ConsumeFrom::kLatest);
  CHECK(*GetConsumeFrom(Config::FromMap({}), "readings-from", ConsumeFrom::kEarliest) == ConsumeFrom::kEarliest);
  CHECK(*GetConsumeFrom(Config::FromMap({{"readings-from", "earliest"}}), "readings-from", ConsumeFrom::kLatest) ==
        ConsumeFrom::kEarliest);
  CHECK(*GetConsumeFrom(Config::FromMap({{"readings-from", "latest"}}), "readings-from", ConsumeFrom::kEarliest) ==
        ConsumeFrom::kLatest);
  for (const std::string bad : {"", "Latest", "beginning"}) {
    auto from = GetConsumeFrom(Config::FromMap({{"positions-from", bad}}), "positions-from", ConsumeFrom::kLatest);
    REQUIRE_FALSE(from.ok());
    CHECK(from.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(from.status().message() == "positions-from must be latest or earliest");
  }
}

namespace {

struct TinySettings {
  ServiceSettings service;
};

absl::StatusOr<TinySettings> LoadTiny(const Config& config) {
  auto service = LoadServiceSettings(config, Lighting());
  if (!service.ok()) return service.status();
  return TinySettings{*service};
}

}  // namespace

TEST_CASE("ReadSettings gives the flags to the service's loader, or the error", "[service_settings]") {
  const char* good[] = {"lighting-control", "--pg-dsn=flag-dsn", "--pg-pool-size=3"};
  auto s = cityops::common::ReadSettings(3, good, LoadTiny);
  REQUIRE(s.ok());
  CHECK(s->service.pg_dsn == "flag-dsn");
  CHECK(s->service.pg_pool_size == 3);

  const char* positional[] = {"lighting-control", "oops"};
  auto bad = cityops::common::ReadSettings(2, positional, LoadTiny);
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("oops"));

  const char* small_pool[] = {"lighting-control", "--pg-dsn=flag-dsn", "--pg-pool-size=1"};
  CHECK(cityops::common::ReadSettings(3, small_pool, LoadTiny).status().message() ==
        "pg-pool-size must be within 2..64");
}
