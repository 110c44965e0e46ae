#include <catch2/catch.hpp>

#include <map>
#include <thread>

#include <prometheus/registry.h>

#include "cityops/common/outbox.h"
#include "cityops/common/pg.h"
#include "cityops_test_support.h"

using namespace std::chrono_literals;
using cityops::common::KafkaProducer;
using cityops::common::Outbox;
using cityops::common::OutboxRelay;
using cityops::common::OutboxRelayOptions;
using cityops::common::PgPool;
namespace testing = cityops::testing;

namespace {

const std::vector<cityops::common::Migration> kOutboxMigration = {
    {0, "0001_outbox.sql",
     "CREATE TABLE outbox (id bigserial PRIMARY KEY, topic text NOT NULL, key bytea NOT NULL,"
     " value bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now());"},
};

// A schema with its outbox, a topic, a producer.
struct Fixture {
  Fixture() : topics({testing::SimpleTopic("events", 3)}) {
    auto p = PgPool::Create(schema.dsn(), schema.name(), 2);
    REQUIRE(p.ok());
    pool = *std::move(p);
    REQUIRE(cityops::common::ApplyMigrations(*pool, kOutboxMigration).ok());
    auto k = KafkaProducer::Create(testing::TestKafkaSettings());
    REQUIRE(k.ok());
    producer = *std::move(k);
  }

  void Enqueue(const std::string& key, const std::string& value) {
    REQUIRE(pool->WithTransaction([&](pqxx::work& tx) {
                  Outbox::Enqueue(tx, "events", key, value);
                  return absl::OkStatus();
                })
                .ok());
  }

  int64_t Pending() {
    int64_t n = -1;
    REQUIRE(pool->WithTransaction([&](pqxx::work& tx) {
                  n = tx.exec("SELECT count(*) FROM outbox")[0][0].as<int64_t>();
                  return absl::OkStatus();
                })
                .ok());
    return n;
  }

  OutboxRelayOptions Options() const {
    OutboxRelayOptions options;
    options.topic_prefix = topics.prefix();
    options.batch_size = 7;
    return options;
  }

  testing::TestSchema schema;
  testing::TestTopics topics;
  std::unique_ptr<PgPool> pool;
  std::unique_ptr<KafkaProducer> producer;
};

double MetricValue(prometheus::Registry& registry, const std::string& name) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name || family.metric.empty()) continue;
    const auto& m = family.metric.front();
    switch (family.type) {
      case prometheus::MetricType::Counter:
        return m.counter.value;
      case prometheus::MetricType::Gauge:
        return m.gauge.value;
      case prometheus::MetricType::Histogram:
        return static_cast<double>(m.histogram.sample_count);
      default:
        return -1;
    }
  }
  return -1;
}

}  // namespace

TEST_CASE("The relay publishes enqueued events in order, exactly once, and deletes them", "[outbox]") {
  Fixture f;
  // Binary keys and values go through unchanged.
  const std::string binary_value("\x00\x01\xff\x7f", 4);
  for (int i = 0; i < 20; ++i) f.Enqueue(i % 2 == 0 ? "even" : "odd", "event-" + std::to_string(i));
  f.Enqueue("bin", binary_value);
  // A rolled-back transaction's event never leaves.
  const absl::Status rolled_back = f.pool->WithTransaction([](pqxx::work& tx) {
    Outbox::Enqueue(tx, "events", "ghost", "ghost");
    return absl::AbortedError("changed my mind");
  });
  REQUIRE(rolled_back.code() == absl::StatusCode::kAborted);
  CHECK(f.Pending() == 21);

  auto registry = std::make_shared<prometheus::Registry>();
  OutboxRelay relay(*f.pool, *f.producer, f.Options(), registry, "outbox-test");
  size_t published = 0;
  for (int round = 0; round < 10; ++round) {
    auto n = relay.RelayOnce();
    INFO(n.status().ToString());
    REQUIRE(n.ok());
    if (*n == 0) break;
    CHECK(*n <= 7);  // the batch size
    published += *n;
  }
  CHECK(published == 21);
  CHECK(f.Pending() == 0);
  CHECK(*relay.RelayOnce() == 0);
  CHECK(MetricValue(*registry, "cityops_outbox_test_outbox_published_total") == 21);
  CHECK(MetricValue(*registry, "cityops_outbox_test_outbox_pending") == 0);
  CHECK(MetricValue(*registry, "cityops_outbox_test_outbox_publish_latency_seconds") == 21);

  const auto messages = testing::ConsumeAll(f.topics.Name("events"));
  REQUIRE(messages.size() == 21);
  std::map<std::string, std::vector<std::string>> by_key;
  std::map<std::pair<int32_t, int64_t>, int> seen;
  for (const auto& m : messages) {
    by_key[m.key].push_back(m.value);
    ++seen[{m.partition, m.offset}];
  }
  CHECK(by_key.count("ghost") == 0);
  REQUIRE(by_key["even"].size() == 10);
  REQUIRE(by_key["odd"].size() == 10);
  for (int i = 0; i < 10; ++i) {
    CHECK(by_key["even"][i] == "event-" + std::to_string(2 * i));
    CHECK(by_key["odd"][i] == "event-" + std::to_string(2 * i + 1));
  }
  REQUIRE(by_key["bin"].size() == 1);
  CHECK(by_key["bin"][0] == binary_value);
  CHECK(seen.size() == 21);  // no message twice
}

TEST_CASE("The relay thread publishes on NOTIFY and drains what is pending on Stop", "[outbox]") {
  Fixture f;
  auto options = f.Options();
  options.idle_wait = 30s;  // only a notification can wake it in time
  OutboxRelay relay(*f.pool, *f.producer, options, nullptr, "outbox-test");
  relay.Start();
  std::this_thread::sleep_for(300ms);  // let it reach its wait
  f.Enqueue("k", "woken");
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (f.Pending() > 0 && std::chrono::steady_clock::now() < give_up) std::this_thread::sleep_for(50ms);
  CHECK(f.Pending() == 0);

  for (int i = 0; i < 30; ++i) f.Enqueue("k", "late-" + std::to_string(i));
  relay.Stop(20s);
  CHECK(f.Pending() == 0);
  const auto messages = testing::ConsumeAll(f.topics.Name("events"));
  REQUIRE(messages.size() == 31);
  CHECK(messages.front().value == "woken");
  CHECK(messages.back().value == "late-29");
}

TEST_CASE("Only one relay per schema publishes", "[outbox]") {
  Fixture f;
  OutboxRelay leader(*f.pool, *f.producer, f.Options(), nullptr, "outbox-test");
  OutboxRelay follower(*f.pool, *f.producer, f.Options(), nullptr, "outbox-test");
  f.Enqueue("k", "one");
  auto first = leader.RelayOnce();
  REQUIRE(first.ok());
  CHECK(*first == 1);
  f.Enqueue("k", "two");
  auto second = follower.RelayOnce();
  REQUIRE(second.ok());
  CHECK(*second == 0);  // the leader holds the schema's relay lock
  CHECK(f.Pending() == 1);
  CHECK(*leader.RelayOnce() == 1);
  CHECK(f.Pending() == 0);
}
