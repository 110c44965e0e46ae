#include "cityops_test_support.h"

#include <cstdlib>
#include <random>

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

namespace cityops::testing {

std::string RequireEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    FAIL(name << " is not set: integration tests need the local stack (deploy/local/stack.sh start, then "
                 "eval \"$(deploy/local/stack.sh env)\")");
  }
  return value;
}

std::string KafkaBootstrap() { return RequireEnv("CITYOPS_KAFKA_BOOTSTRAP"); }

std::string PgAdminDsn() { return RequireEnv("CITYOPS_PG_ADMIN_DSN"); }

common::KafkaSettings TestKafkaSettings() {
  common::KafkaSettings settings;
  settings.bootstrap = KafkaBootstrap();
  settings.client_id = "cityops-test";
  return settings;
}

std::string UniqueName(std::string_view prefix) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::uniform_int_distribution<size_t> pick(0, sizeof kChars - 2);
  std::string name(prefix);
  name.push_back('_');
  for (int i = 0; i < 12; ++i) name.push_back(kChars[pick(rng)]);
  return name;
}

std::string SourcePath(std::string_view relative) {
  return std::string(CITYOPS_SOURCE_DIR) + "/" + std::string(relative);
}

TestSchema::TestSchema(std::string_view prefix) : dsn_(PgAdminDsn()), name_(UniqueName(prefix)) {
  try {
    pqxx::connection conn(dsn_);
    pqxx::nontransaction tx(conn);
    tx.exec("CREATE SCHEMA " + tx.quote_name(name_));
  } catch (const std::exception& e) {
    FAIL("cannot create test schema " << name_ << ": " << e.what());
  }
}

TestSchema::~TestSchema() {
  try {
    pqxx::connection conn(dsn_);
    pqxx::nontransaction tx(conn);
    tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(name_) + " CASCADE");
  } catch (const std::exception& e) {
    WARN("cannot drop test schema " << name_ << ": " << e.what());
  }
}

common::TopicSpec SimpleTopic(std::string name, int partitions) {
  common::TopicSpec spec;
  spec.name = std::move(name);
  spec.key = "test";
  spec.value_type = "bytes";
  spec.partitions = partitions;
  spec.replication = 1;
  return spec;
}

TestTopics::TestTopics() : prefix_(UniqueName("t") + ".") {
  auto specs = common::LoadTopicSpecs(SourcePath("deploy/topics.json"));
  if (!specs.ok()) FAIL("deploy/topics.json: " << specs.status().ToString());
  Create(*specs);
}

TestTopics::TestTopics(const std::vector<common::TopicSpec>& specs) : prefix_(UniqueName("t") + ".") { Create(specs); }

void TestTopics::Create(const std::vector<common::TopicSpec>& specs) {
  auto result = common::CreateMissingTopics(TestKafkaSettings(), specs, prefix_, std::chrono::seconds(30));
  if (!result.ok()) FAIL("cannot create test topics: " << result.status().ToString());
  created_ = result->created;
  if (created_.size() != specs.size()) FAIL("test topics with prefix " << prefix_ << " existed already");
}

TestTopics::~TestTopics() {
  if (created_.empty()) return;
  const char* bootstrap = std::getenv("CITYOPS_KAFKA_BOOTSTRAP");
  if (bootstrap == nullptr) return;
  common::KafkaSettings settings;
  settings.bootstrap = bootstrap;
  settings.client_id = "cityops-test";
  if (auto status = common::DeleteTopics(settings, created_, std::chrono::seconds(30)); !status.ok()) {
    WARN("cannot delete test topics: " << status.ToString());
  }
}

std::vector<common::ConsumedMessage> ConsumeAll(const std::string& topic, std::chrono::milliseconds idle,
                                                std::chrono::milliseconds max_wait) {
  auto consumer = common::KafkaConsumer::Create(TestKafkaSettings(), UniqueName("g"), {topic});
  if (!consumer.ok()) FAIL("consumer for " << topic << ": " << consumer.status().ToString());
  std::vector<common::ConsumedMessage> all;
  const auto give_up = std::chrono::steady_clock::now() + max_wait;
  auto last_message = std::chrono::steady_clock::now();
  // The first assignment takes a while: idle time counts once something came or after a grace period.
  const auto grace = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < give_up) {
    auto batch = (*consumer)->Poll(1000, std::chrono::milliseconds(200));
    if (!batch.ok()) FAIL("consuming " << topic << ": " << batch.status().ToString());
    const auto now = std::chrono::steady_clock::now();
    if (!batch->empty()) {
      last_message = now;
      for (auto& m : *batch) all.push_back(std::move(m));
    } else if (now - last_message >= idle && now >= grace) {
      break;
    }
  }
  (*consumer)->Close();
  return all;
}

}  // namespace cityops::testing
