#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "absl/status/statusor.h"
#include "cityops/common/http.h"
#include "cityops/common/kafka.h"
#include "feed_buffer.h"

// The live feed: events read from Kafka into a FeedBuffer, sent to browsers
// as Server-Sent Events.
namespace cityops::gateway {

// The feed's event types and the topics they come from.
struct FeedTopic {
  std::string type;        // "incident"
  std::string topic;       // logical name, "cityops.incidents.v1"
  std::string value_type;  // "cityops.incidents.v1.IncidentEvent"
};
const std::vector<FeedTopic>& FeedTopics();

// A Kafka message of `topic` (full name, with the prefix) as a feed event:
// its type and the value as one line of JSON. INVALID_ARGUMENT for an
// unknown topic or an undecodable value.
struct DecodedFeedEvent {
  std::string type;
  std::string data;
};
absl::StatusOr<DecodedFeedEvent> DecodeFeedMessage(const common::ConsumedMessage& message,
                                                   std::string_view topic_prefix);

// Reads the feed's topics into the buffer on a thread of its own.
class FeedPump {
 public:
  FeedPump(common::KafkaConsumer& consumer, FeedBuffer& buffer, std::string topic_prefix,
           prometheus::Registry& metrics);
  ~FeedPump();
  FeedPump(const FeedPump&) = delete;
  FeedPump& operator=(const FeedPump&) = delete;
  void Start();
  void Stop();

 private:
  void Run();

  common::KafkaConsumer& consumer_;
  FeedBuffer& buffer_;
  std::string topic_prefix_;
  prometheus::Family<prometheus::Counter>& events_;
  prometheus::Counter& undecodable_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// One client's stream. `types` empty: every type the role may see.
struct FeedStreamOptions {
  std::set<std::string, std::less<>> types;
  bool may_see_calls = false;
  // Crises are an operator's business, as their REST routes.
  bool may_see_crises = false;
  std::chrono::seconds keep_alive{15};
};

// The SSE body for one client: an optional reset, then the events after where
// it resumes, then keep-alive comments when nothing happens. Ends when
// `stopping` turns true.
class FeedStream final : public common::ResponseStream {
 public:
  FeedStream(const FeedBuffer& buffer, FeedBuffer::Resume resume, FeedStreamOptions options,
             const std::atomic<bool>& stopping, prometheus::Gauge& clients);
  ~FeedStream() override;
  FeedStream(const FeedStream&) = delete;
  FeedStream& operator=(const FeedStream&) = delete;
  std::optional<std::string> Next() override;

 private:
  const FeedBuffer& buffer_;
  uint64_t after_;
  bool reset_pending_;
  FeedStreamOptions options_;
  const std::atomic<bool>& stopping_;
  prometheus::Gauge& clients_;
  std::chrono::steady_clock::time_point last_sent_;
};

}  // namespace cityops::gateway
