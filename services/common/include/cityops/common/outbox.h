#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <prometheus/registry.h>
#include <pqxx/pqxx>

#include "cityops/common/kafka.h"
#include "cityops/common/pg.h"

namespace cityops::common {

// The transactional outbox. Each service's first migration creates, in its schema:
//   CREATE TABLE outbox (id bigserial PRIMARY KEY, topic text NOT NULL,
//     key bytea NOT NULL, value bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
// Events that follow from a database change are enqueued in the same
// transaction; the relay publishes them in id order and deletes them once
// Kafka confirmed them.
class Outbox {
 public:
  // topic is the logical name (without the prefix).
  static void Enqueue(pqxx::work& tx, std::string_view topic, std::string_view key, std::string_view value);
  // Many events of one topic in one statement (bulk changes), in order.
  static void EnqueueMany(pqxx::work& tx, std::string_view topic, const std::vector<std::string>& keys,
                          const std::vector<std::string>& values);
};

struct OutboxRelayOptions {
  std::string topic_prefix;
  size_t batch_size = 1000;
  std::chrono::milliseconds idle_wait{200};  // also woken by NOTIFY <schema>_outbox
};

// One thread; only one relay per schema publishes at a time (advisory lock),
// so events of one key stay in order.
class OutboxRelay {
 public:
  OutboxRelay(PgPool& pool, KafkaProducer& producer, OutboxRelayOptions options,
              std::shared_ptr<prometheus::Registry> registry, std::string_view metric_service);
  ~OutboxRelay();
  void Start();
  // Publishes what is pending (bounded by timeout) and stops.
  void Stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Publishes one batch now; returns how many events were published (tests).
  absl::StatusOr<size_t> RelayOnce();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cityops::common
