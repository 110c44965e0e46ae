#pragma once

// Helpers for integration tests against the real Kafka and PostgreSQL of the
// local stack. Settings come from the environment (eval "$(deploy/local/stack.sh env)"):
// CITYOPS_KAFKA_BOOTSTRAP and CITYOPS_PG_ADMIN_DSN. A missing one fails the
// test with a message saying so: integration tests never skip silently.

#include <chrono>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cityops/common/kafka.h"

namespace cityops::testing {

// The value of an environment variable; FAILs the current test when unset.
std::string RequireEnv(const char* name);
std::string KafkaBootstrap();  // CITYOPS_KAFKA_BOOTSTRAP
std::string PgAdminDsn();      // CITYOPS_PG_ADMIN_DSN

// KafkaSettings for the test broker, client id "cityops-test".
common::KafkaSettings TestKafkaSettings();

// prefix + "_" + 12 random lowercase letters and digits: a valid schema,
// topic or group name.
std::string UniqueName(std::string_view prefix);

// Path of a file of the source tree (CITYOPS_SOURCE_DIR + "/" + relative).
std::string SourcePath(std::string_view relative);

// A fresh schema (created with the admin DSN) dropped with CASCADE at the end.
class TestSchema {
 public:
  explicit TestSchema(std::string_view prefix = "t");
  ~TestSchema();
  TestSchema(const TestSchema&) = delete;
  TestSchema& operator=(const TestSchema&) = delete;
  const std::string& name() const { return name_; }
  // The DSN to connect to it with (the admin's).
  const std::string& dsn() const { return dsn_; }

 private:
  std::string dsn_;
  std::string name_;
};

// The topics of deploy/topics.json (or the specs given) created under a random
// prefix ("t_xxxxxxxxxxxx."), deleted at the end.
class TestTopics {
 public:
  TestTopics();
  explicit TestTopics(const std::vector<common::TopicSpec>& specs);
  ~TestTopics();
  TestTopics(const TestTopics&) = delete;
  TestTopics& operator=(const TestTopics&) = delete;
  const std::string& prefix() const { return prefix_; }
  // prefix + logical name.
  std::string Name(std::string_view logical) const { return prefix_ + std::string(logical); }

 private:
  void Create(const std::vector<common::TopicSpec>& specs);
  std::string prefix_;
  std::vector<std::string> created_;
};

// A topic spec for tests (delete policy, no config).
common::TopicSpec SimpleTopic(std::string name, int partitions = 1);

// Everything on `topic` from the beginning, read by a new consumer group until
// nothing arrived for `idle` (or `max_wait` passed). FAILs on consumer errors.
std::vector<common::ConsumedMessage> ConsumeAll(const std::string& topic,
                                                std::chrono::milliseconds idle = std::chrono::seconds(2),
                                                std::chrono::milliseconds max_wait = std::chrono::seconds(30));

// Polls `done` every 100 ms until it holds or `timeout` passed; its last answer.
template <typename Predicate>
bool Eventually(Predicate done, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

}  // namespace cityops::testing
