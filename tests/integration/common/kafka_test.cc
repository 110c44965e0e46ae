#include <catch2/catch.hpp>

#include <algorithm>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cityops/common/kafka.h"
#include "cityops_test_support.h"

using namespace std::chrono_literals;
using cityops::common::ConsumedMessage;
using cityops::common::DeliveryLatch;
using cityops::common::DeliveryResult;
using cityops::common::KafkaConsumer;
using cityops::common::KafkaProducer;
namespace testing = cityops::testing;

namespace {

// Produces n messages key-i/value-i and waits for Kafka's confirmation.
void ProduceNumbered(KafkaProducer& producer, const std::string& topic, int n) {
  DeliveryLatch latch(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    REQUIRE(producer
                .Produce(topic, "key-" + std::to_string(i), "value-" + std::to_string(i),
                         [&latch](const DeliveryResult& r) { latch.Done(r); })
                .ok());
  }
  const absl::Status status = latch.Wait(30s);
  INFO(status.ToString());
  REQUIRE(status.ok());
}

// Polls until `count` messages came or the time is up.
std::vector<ConsumedMessage> PollAtLeast(KafkaConsumer& consumer, size_t count, std::chrono::seconds max_wait) {
  std::vector<ConsumedMessage> got;
  const auto give_up = std::chrono::steady_clock::now() + max_wait;
  while (got.size() < count && std::chrono::steady_clock::now() < give_up) {
    auto batch = consumer.Poll(count - got.size(), 500ms);
    REQUIRE(batch.ok());
    for (auto& m : *batch) got.push_back(std::move(m));
  }
  return got;
}

}  // namespace

TEST_CASE("Producer to consumer: only committed offsets count for the group", "[kafka]") {
  testing::TestTopics topics({testing::SimpleTopic("roundtrip", 1)});
  const std::string topic = topics.Name("roundtrip");
  auto producer = KafkaProducer::Create(testing::TestKafkaSettings());
  REQUIRE(producer.ok());
  REQUIRE((*producer)->Ping(10s).ok());
  ProduceNumbered(**producer, topic, 10);
  CHECK((*producer)->Flush(5s) == 0);

  const std::string group = testing::UniqueName("g");
  {
    auto first = KafkaConsumer::Create(testing::TestKafkaSettings(), group, {topic});
    REQUIRE(first.ok());
    auto got = PollAtLeast(**first, 10, 30s);
    REQUIRE(got.size() == 10);
    for (int i = 0; i < 10; ++i) {
      CHECK(got[i].topic == topic);
      CHECK(got[i].offset == i);
      CHECK(got[i].key == "key-" + std::to_string(i));
      CHECK(got[i].value == "value-" + std::to_string(i));
      CHECK(got[i].timestamp_ms > 0);
    }
    // Only the first five were "processed".
    REQUIRE((*first)->Commit({got.begin(), got.begin() + 5}).ok());
    (*first)->Close();
  }
  {
    auto second = KafkaConsumer::Create(testing::TestKafkaSettings(), group, {topic});
    REQUIRE(second.ok());
    auto got = PollAtLeast(**second, 5, 30s);
    REQUIRE(got.size() == 5);
    CHECK(got.front().offset == 5);
    CHECK(got.front().value == "value-5");
    CHECK(got.back().offset == 9);
    // Nothing else is waiting.
    auto more = (*second)->Poll(10, 1s);
    REQUIRE(more.ok());
    CHECK(more->empty());
    // Committing in any order commits after the highest offset.
    std::reverse(got.begin(), got.end());
    REQUIRE((*second)->Commit(got).ok());
    (*second)->Close();
  }
  {
    auto third = KafkaConsumer::Create(testing::TestKafkaSettings(), group, {topic});
    REQUIRE(third.ok());
    auto got = PollAtLeast(**third, 1, 8s);
    CHECK(got.empty());
    (*third)->Close();
  }
}

TEST_CASE("Idempotence, lz4 and MsgVer2 stay enabled against the real broker", "[kafka]") {
  testing::TestTopics topics({testing::SimpleTopic("features", 3)});
  const std::string topic = topics.Name("features");
  std::mutex mutex;
  std::vector<std::string> lines;
  auto settings = testing::TestKafkaSettings();
  settings.extra["debug"] = "feature";
  settings.log_sink = [&](int, const std::string& line) {
    std::lock_guard lock(mutex);
    lines.push_back(line);
  };
  {
    auto producer = KafkaProducer::Create(settings);
    REQUIRE(producer.ok());
    // Compressible values, so lz4 is actually used.
    DeliveryLatch latch(200);
    for (int i = 0; i < 200; ++i) {
      REQUIRE((*producer)
                  ->Produce(topic, "k" + std::to_string(i % 7), std::string(500, static_cast<char>('a' + i % 26)),
                            [&latch](const DeliveryResult& r) { latch.Done(r); })
                  .ok());
    }
    const absl::Status status = latch.Wait(30s);
    INFO(status.ToString());
    REQUIRE(status.ok());
  }
  std::lock_guard lock(mutex);
  // Kafka 4 dropped Fetch v1-v3, so librdkafka 2.0 disables MsgVer1 and
  // ThrottleTime, which MsgVer2 supersedes: what we rely on must stay on.
  std::set<std::string> enabled;
  for (const std::string& line : lines) {
    INFO(line);
    for (const char* feature : {"IdempotentProducer", "LZ4", "MsgVer2"}) {
      CHECK(line.find(std::string("Disabling feature ") + feature) == std::string::npos);
      if (line.find(std::string("Enabling feature ") + feature) != std::string::npos) enabled.insert(feature);
    }
  }
  // The feature debug lines came through the sink and say so.
  CHECK(enabled == std::set<std::string>{"IdempotentProducer", "LZ4", "MsgVer2"});
  CHECK(testing::ConsumeAll(topic).size() == 200);
}

TEST_CASE("Delivery to a topic that does not exist fails through the callback", "[kafka]") {
  auto settings = testing::TestKafkaSettings();
  settings.extra["message.timeout.ms"] = "3000";
  settings.extra["allow.auto.create.topics"] = "false";
  auto producer = KafkaProducer::Create(settings);
  REQUIRE(producer.ok());
  DeliveryLatch latch(1);
  const absl::Status enqueued = (*producer)->Produce(testing::UniqueName("absent"), "k", "v",
                                                     [&latch](const DeliveryResult& r) { latch.Done(r); });
  if (enqueued.ok()) {
    const absl::Status delivered = latch.Wait(20s);
    INFO(delivered.ToString());
    CHECK_FALSE(delivered.ok());
    // The delivery report told (message timed out or unknown topic), not our wait.
    CHECK_THAT(std::string(delivered.message()), Catch::Contains("Kafka delivery to"));
  } else {
    CHECK(enqueued.code() == absl::StatusCode::kNotFound);
  }
}

TEST_CASE("EnsureTopics creates the spec's topics once and keeps them after", "[kafka]") {
  auto specs = cityops::common::LoadTopicSpecs(testing::SourcePath("deploy/topics.json"));
  REQUIRE(specs.ok());
  testing::TestTopics topics(*specs);
  auto again = cityops::common::CreateMissingTopics(testing::TestKafkaSettings(), *specs, topics.prefix(), 30s);
  REQUIRE(again.ok());
  CHECK(again->created.empty());
  CHECK(again->existing.size() == specs->size());
  CHECK(cityops::common::EnsureTopics(testing::TestKafkaSettings(), *specs, topics.prefix(), 30s).ok());
}

TEST_CASE("A producer with a bad setting is refused at creation", "[kafka]") {
  auto settings = testing::TestKafkaSettings();
  settings.extra["no.such.property"] = "1";
  auto producer = KafkaProducer::Create(settings);
  REQUIRE_FALSE(producer.ok());
  CHECK(producer.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(producer.status().message()), Catch::Contains("no.such.property"));
}

TEST_CASE("A live consumer (kLatest) gets what was produced after its creation, even before its group joined",
          "[kafka]") {
  testing::TestTopics topics({testing::SimpleTopic("live", 2)});
  const std::string topic = topics.Name("live");
  auto producer = KafkaProducer::Create(testing::TestKafkaSettings());
  REQUIRE(producer.ok());
  REQUIRE((*producer)->Ping(10s).ok());
  ProduceNumbered(**producer, topic, 3);  // before the consumer: never delivered

  auto consumer = KafkaConsumer::Create(testing::TestKafkaSettings(), testing::UniqueName("g"), {topic},
                                        cityops::common::ConsumeFrom::kLatest);
  REQUIRE(consumer.ok());
  // Produced at once, before the first poll: the group has not joined yet.
  std::this_thread::sleep_for(20ms);  // the consumer's creation time is in milliseconds
  DeliveryLatch latch(4);
  for (int i = 0; i < 4; ++i) {
    REQUIRE((*producer)
                ->Produce(topic, "after-" + std::to_string(i), "after-" + std::to_string(i),
                          [&latch](const DeliveryResult& r) { latch.Done(r); })
                .ok());
  }
  REQUIRE(latch.Wait(30s).ok());
  auto got = PollAtLeast(**consumer, 4, 30s);
  std::set<std::string> values;
  for (const auto& m : got) values.insert(m.value);
  CHECK(values == std::set<std::string>{"after-0", "after-1", "after-2", "after-3"});
  auto more = (*consumer)->Poll(10, 1s);
  REQUIRE(more.ok());
  CHECK(more->empty());
  (*consumer)->Close();
}
