#include "live_feed.h"

#include <memory>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "cityops/calls/v1/requests.pb.h"
#include "cityops/common/topic_names.h"
#include "cityops/dispatch/v1/crew_dispatch.pb.h"
#include "cityops/dispatch/v1/dispatch.pb.h"
#include "cityops/incidents/v1/crisis.pb.h"
#include "cityops/incidents/v1/incidents.pb.h"
#include "cityops/lighting/v1/lighting.pb.h"
#include "proto_json.h"

namespace cityops::gateway {

const std::vector<FeedTopic>& FeedTopics() {
  static const std::vector<FeedTopic> topics = {
      {"incident", std::string(topics::kIncidents), incidents::v1::IncidentEvent::descriptor()->full_name()},
      {"assignment", std::string(topics::kDispatchAssignments),
       dispatch::v1::AssignmentEvent::descriptor()->full_name()},
      {"crew", std::string(topics::kDispatchCrews), dispatch::v1::CrewEvent::descriptor()->full_name()},
      {"lighting", std::string(topics::kLightingCommands), lighting::v1::LightingCommand::descriptor()->full_name()},
      {"call", std::string(topics::kCallsRequests), calls::v1::RequestEvent::descriptor()->full_name()},
      {"crisis", std::string(topics::kCrises), incidents::v1::CrisisEvent::descriptor()->full_name()},
  };
  return topics;
}

absl::StatusOr<DecodedFeedEvent> DecodeFeedMessage(const common::ConsumedMessage& message,
                                                   std::string_view topic_prefix) {
  for (const FeedTopic& feed : FeedTopics()) {
    if (message.topic != topics::Full(topic_prefix, feed.topic)) continue;
    const auto* descriptor = google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(feed.value_type);
    const google::protobuf::Message* prototype =
        descriptor == nullptr ? nullptr
                              : google::protobuf::MessageFactory::generated_factory()->GetPrototype(descriptor);
    if (prototype == nullptr) return absl::InternalError("no message type " + feed.value_type);
    std::unique_ptr<google::protobuf::Message> value(prototype->New());
    if (!value->ParseFromString(message.value)) {
      return absl::InvalidArgumentError(absl::StrCat("undecodable ", feed.value_type, " at ", message.topic, "/",
                                                     message.partition, "@", message.offset));
    }
    return DecodedFeedEvent{feed.type, ToJson(*value)};
  }
  return absl::InvalidArgumentError("unexpected topic " + message.topic);
}

FeedPump::FeedPump(common::KafkaConsumer& consumer, FeedBuffer& buffer, std::string topic_prefix,
                   prometheus::Registry& metrics)
    : consumer_(consumer),
      buffer_(buffer),
      topic_prefix_(std::move(topic_prefix)),
      events_(prometheus::BuildCounter()
                  .Name("cityops_gateway_feed_events_total")
                  .Help("Events read from Kafka into the live feed, by type")
                  .Register(metrics)),
      undecodable_(prometheus::BuildCounter()
                       .Name("cityops_gateway_feed_undecodable_total")
                       .Help("Kafka messages the live feed could not decode (skipped)")
                       .Register(metrics)
                       .Add({})) {}

FeedPump::~FeedPump() { Stop(); }

void FeedPump::Start() {
  thread_ = std::thread([this] { Run(); });
}

void FeedPump::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void FeedPump::Run() {
  while (!stopping_.load()) {
    auto batch = consumer_.Poll(500, std::chrono::milliseconds(200));
    if (!batch.ok()) {
      spdlog::error("live feed: {}", batch.status().ToString());
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    for (const auto& message : *batch) {
      auto event = DecodeFeedMessage(message, topic_prefix_);
      if (!event.ok()) {
        undecodable_.Increment();
        spdlog::warn("live feed: {}", event.status().ToString());
        continue;
      }
      events_.Add({{"type", event->type}}).Increment();
      buffer_.Add(std::move(event->type), std::move(event->data));
    }
  }
}

FeedStream::FeedStream(const FeedBuffer& buffer, FeedBuffer::Resume resume, FeedStreamOptions options,
                       const std::atomic<bool>& stopping, prometheus::Gauge& clients)
    : buffer_(buffer),
      after_(resume.after),
      reset_pending_(resume.reset),
      options_(std::move(options)),
      stopping_(stopping),
      clients_(clients),
      last_sent_(std::chrono::steady_clock::now()) {
  clients_.Increment();
}

FeedStream::~FeedStream() { clients_.Decrement(); }

std::optional<std::string> FeedStream::Next() {
  if (stopping_.load()) return std::nullopt;
  std::string out;
  if (reset_pending_) {
    reset_pending_ = false;
    absl::StrAppend(&out, "id: ", buffer_.IdOf(after_), "\nevent: reset\ndata: {}\n\n");
  }
  for (const FeedEvent& event : buffer_.After(after_, 200)) {
    after_ = event.seq;
    if (event.type == "call" && !options_.may_see_calls) continue;
    if (event.type == "crisis" && !options_.may_see_crises) continue;
    if (!options_.types.empty() && !options_.types.contains(event.type)) continue;
    absl::StrAppend(&out, "id: ", buffer_.IdOf(event.seq), "\nevent: ", event.type, "\ndata: ", event.data, "\n\n");
  }
  const auto now = std::chrono::steady_clock::now();
  if (out.empty() && now - last_sent_ >= options_.keep_alive) out = ": keep-alive\n\n";
  if (!out.empty()) last_sent_ = now;
  return out;
}

}  // namespace cityops::gateway
