#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/registry.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cityops::common {

struct KafkaSettings {
  std::string bootstrap = "127.0.0.1:19092";
  std::string client_id = "cityops";
  // Extra librdkafka properties, applied last (tests, tuning).
  std::map<std::string, std::string> extra;
  // librdkafka's log lines (syslog level 0-7, "FACILITY message"), called from
  // librdkafka's threads, so it must be thread-safe. Unset: they go to spdlog.
  std::function<void(int level, const std::string& line)> log_sink;
};

struct DeliveryResult {
  absl::Status status;  // OK once every in-sync replica has the message.
  int32_t partition = -1;
  int64_t offset = -1;
};

using DeliveryCallback = std::function<void(const DeliveryResult&)>;

// Counts deliveries of a group of messages (a batch of readings) and lets a
// caller wait until all are confirmed or one failed.
class DeliveryLatch {
 public:
  explicit DeliveryLatch(size_t expected) : pending_(expected) {}
  // Called from delivery callbacks.
  void Done(const DeliveryResult& result);
  // OK when all were delivered; the first failure otherwise; DEADLINE_EXCEEDED on timeout.
  absl::Status Wait(std::chrono::milliseconds timeout);

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  size_t pending_;
  absl::Status first_error_;
};

// An idempotent producer (enable.idempotence, acks=all, lz4) with a poll thread
// that serves delivery reports. Metrics (when a registry is given):
// cityops_<service>_kafka_delivery_latency_seconds, ..._kafka_delivery_failures_total.
class KafkaProducer {
 public:
  static absl::StatusOr<std::unique_ptr<KafkaProducer>> Create(const KafkaSettings& settings,
                                                               std::shared_ptr<prometheus::Registry> registry = nullptr,
                                                               std::string_view metric_service = "common");
  virtual ~KafkaProducer() = default;
  // Enqueues a message; on_delivery runs on the poll thread once Kafka
  // confirmed or failed it. An error here means it was not enqueued (and
  // on_delivery will not run).
  virtual absl::Status Produce(std::string_view topic, std::string_view key, std::string_view value,
                               DeliveryCallback on_delivery) = 0;
  // Waits for everything in flight; returns the number still not delivered.
  virtual int Flush(std::chrono::milliseconds timeout) = 0;
  // Metadata round trip to the brokers (readiness).
  virtual absl::Status Ping(std::chrono::milliseconds timeout) = 0;
};

struct ConsumedMessage {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  int64_t timestamp_ms = 0;
};

// Where a consumer group that has no committed offset yet starts reading a
// partition (librdkafka's auto.offset.reset); once it has committed, it goes
// on from there.
enum class ConsumeFrom {
  kEarliest,  // the oldest message kept: nothing is missed
  kLatest,    // only what was produced after the consumer was created: a live feed
};

// A consumer in a group whose offsets are committed only when the caller says
// the work is done (after its database transaction committed).
class KafkaConsumer {
 public:
  // KafkaSettings::extra, applied last, may still set auto.offset.reset itself.
  static absl::StatusOr<std::unique_ptr<KafkaConsumer>> Create(const KafkaSettings& settings,
                                                               const std::string& group_id,
                                                               const std::vector<std::string>& topics,
                                                               ConsumeFrom from = ConsumeFrom::kEarliest);
  virtual ~KafkaConsumer() = default;
  // Up to max_messages, returning early at the timeout (possibly with none),
  // or as soon as something arrived and nothing more is fetched already (so a
  // batch never waits for stragglers). Transient errors are logged and
  // retried by librdkafka; fatal and authorization errors are returned.
  virtual absl::StatusOr<std::vector<ConsumedMessage>> Poll(size_t max_messages, std::chrono::milliseconds timeout) = 0;
  // Synchronously commits, per partition, the offset after the highest one given.
  virtual absl::Status Commit(const std::vector<ConsumedMessage>& processed) = 0;
  // Messages behind the end of the partitions assigned to this consumer
  // (high watermark minus position, from what the last fetches told; no round
  // trip). Call it from the polling thread.
  virtual int64_t Lag() = 0;
  virtual void Close() = 0;
};

// One topic as declared in the single source of truth, deploy/topics.json.
struct TopicSpec {
  std::string name;
  std::string key;         // what the messages are keyed by (documentation)
  std::string value_type;  // the protobuf message of the value
  int partitions = 1;
  int replication = 1;                        // for the local stack; production overrides
  std::map<std::string, std::string> config;  // cleanup.policy, retention.ms...
};

absl::StatusOr<std::vector<TopicSpec>> LoadTopicSpecs(const std::string& path);

struct EnsureTopicsResult {
  std::vector<std::string> created;   // full names (with the prefix)
  std::vector<std::string> existing;  // already there, left as they are
};

// Creates the topics that do not exist yet (named prefix + name), leaves the
// others, and tells which were which.
absl::StatusOr<EnsureTopicsResult> CreateMissingTopics(const KafkaSettings& settings,
                                                       const std::vector<TopicSpec>& topics, std::string_view prefix,
                                                       std::chrono::milliseconds timeout);

// Creates the topics that do not exist yet (named prefix + name), leaves the others.
absl::Status EnsureTopics(const KafkaSettings& settings, const std::vector<TopicSpec>& topics, std::string_view prefix,
                          std::chrono::milliseconds timeout);

// Deletes the topics named (full names); unknown topics are not an error
// (tests clean up their prefixed topics with it).
absl::Status DeleteTopics(const KafkaSettings& settings, const std::vector<std::string>& names,
                          std::chrono::milliseconds timeout);

}  // namespace cityops::common
