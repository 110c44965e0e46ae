// cityops-admin: operator chores for the local stack.
//
//   cityops-admin topics [--spec deploy/topics.json] [--bootstrap H:P] [--prefix P]
//       creates the topics of the spec that do not exist yet (bootstrap also
//       from CITYOPS_KAFKA_BOOTSTRAP, prefix from CITYOPS_TOPIC_PREFIX).
//   cityops-admin migrate --dir services/<name>/migrations --schema <schema> [--pg-dsn DSN]
//       applies the migrations of a folder (DSN also from CITYOPS_PG_DSN).

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cityops/common/config.h"
#include "cityops/common/kafka.h"
#include "cityops/common/log.h"
#include "cityops/common/pg.h"

namespace {

using cityops::common::Config;

constexpr const char* kUsage =
    "usage:\n"
    "  cityops-admin topics [--spec deploy/topics.json] [--bootstrap HOST:PORT] [--prefix PREFIX]\n"
    "      bootstrap also from CITYOPS_KAFKA_BOOTSTRAP, prefix from CITYOPS_TOPIC_PREFIX\n"
    "  cityops-admin migrate --dir DIR --schema SCHEMA [--pg-dsn DSN]\n"
    "      DSN also from CITYOPS_PG_DSN\n";

int Fail(const absl::Status& status) {
  std::cerr << "cityops-admin: " << status.message() << "\n";
  return 1;
}

// A setting under either of two names (the short flag first).
std::string Either(const Config& config, std::string_view name, std::string_view other, std::string_view fallback) {
  if (config.Has(name)) return config.GetString(name, fallback);
  return config.GetString(other, fallback);
}

int Topics(const Config& config) {
  const std::string spec_path = config.GetString("spec", "deploy/topics.json");
  const std::string bootstrap = Either(config, "bootstrap", "kafka-bootstrap", "");
  if (bootstrap.empty()) {
    return Fail(absl::InvalidArgumentError("no Kafka bootstrap: set CITYOPS_KAFKA_BOOTSTRAP or --bootstrap"));
  }
  const std::string prefix = Either(config, "prefix", "topic-prefix", "");
  auto timeout = config.GetDuration("timeout", std::chrono::seconds(30));
  if (!timeout.ok()) return Fail(timeout.status());
  auto specs = cityops::common::LoadTopicSpecs(spec_path);
  if (!specs.ok()) return Fail(specs.status());
  cityops::common::KafkaSettings settings;
  settings.bootstrap = bootstrap;
  settings.client_id = "cityops-admin";
  auto result = cityops::common::CreateMissingTopics(settings, *specs, prefix, *timeout);
  if (!result.ok()) return Fail(result.status());
  for (const std::string& name : result->created) std::cout << "created " << name << "\n";
  for (const std::string& name : result->existing) std::cout << "kept    " << name << "\n";
  return 0;
}

int Migrate(const Config& config) {
  auto dir = config.GetRequired("dir");
  if (!dir.ok()) return Fail(dir.status());
  auto schema = config.GetRequired("schema");
  if (!schema.ok()) return Fail(schema.status());
  auto dsn = config.GetRequired("pg-dsn");
  if (!dsn.ok()) return Fail(dsn.status());
  std::vector<cityops::common::Migration> migrations;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(*dir, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".sql") continue;
    std::ifstream in(entry.path());
    std::stringstream sql;
    sql << in.rdbuf();
    if (!in) return Fail(absl::UnavailableError("cannot read " + entry.path().string()));
    migrations.push_back({0, entry.path().filename().string(), sql.str()});
  }
  if (ec) return Fail(absl::NotFoundError("cannot list " + *dir + ": " + ec.message()));
  auto pool = cityops::common::PgPool::Create(*dsn, *schema, 1);
  if (!pool.ok()) return Fail(pool.status());
  auto applied = cityops::common::ApplyMigrations(**pool, migrations);
  if (!applied.ok()) return Fail(applied.status());
  std::cout << "applied " << *applied << " migration(s) of " << migrations.size() << " to schema " << *schema << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "help") {
    std::cerr << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  cityops::common::InitLogging("cityops-admin", "warn");
  // The command takes the place of the program name for the flag parser.
  auto config = Config::Load(argc - 1, argv + 1);
  if (!config.ok()) {
    std::cerr << "cityops-admin: " << config.status().message() << "\n" << kUsage;
    return 2;
  }
  if (command == "topics") return Topics(*config);
  if (command == "migrate") return Migrate(*config);
  std::cerr << "cityops-admin: unknown command '" << command << "'\n" << kUsage;
  return 2;
}
