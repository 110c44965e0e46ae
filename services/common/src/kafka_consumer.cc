#include <algorithm>
#include <chrono>
#include <map>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cityops/common/kafka.h"
#include "kafka_internal.h"

namespace cityops::common {
namespace {

// For ConsumeFrom::kLatest: a partition the group has no committed offset for
// starts at the first message stamped at or after the consumer's creation,
// not at the end of the partition when the group's join completes. Joining a
// new group takes seconds (the broker's initial rebalance delay, more on a
// loaded machine); with plain "latest" whatever was produced in between, after
// the service said it was ready, would never be seen.
class StartAtCreation final : public RdKafka::RebalanceCb {
 public:
  explicit StartAtCreation(int64_t created_ms) : created_ms_(created_ms) {}

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    if (err != RdKafka::ERR__ASSIGN_PARTITIONS) {
      consumer->unassign();
      return;
    }
    constexpr int kTimeoutMs = 5000;
    if (const auto c = consumer->committed(partitions, kTimeoutMs); c != RdKafka::ERR_NO_ERROR) {
      spdlog::warn("Kafka: committed offsets unknown ({}); starting at the end", RdKafka::err2str(c));
    }
    std::vector<RdKafka::TopicPartition*> fresh;
    for (RdKafka::TopicPartition* tp : partitions) {
      if (tp->offset() < 0) fresh.push_back(tp);
    }
    // The end of each partition now, as a concrete offset: "the end" given to
    // assign() is resolved only when fetching starts, possibly seconds later,
    // after messages that belong to this consumer.
    std::vector<int64_t> ends(fresh.size(), RdKafka::Topic::OFFSET_END);
    for (size_t i = 0; i < fresh.size(); ++i) {
      int64_t low = 0;
      int64_t high = 0;
      if (consumer->query_watermark_offsets(fresh[i]->topic(), fresh[i]->partition(), &low, &high, kTimeoutMs) ==
          RdKafka::ERR_NO_ERROR) {
        ends[i] = high;
      }
    }
    // Then the first offset stamped at or after the creation; none (-1): every
    // message up to now is older, so the end taken before is right. A
    // partition whose leader is not known yet (topics just created) answers
    // with an error of its own: asked again, a few times.
    std::vector<size_t> ask(fresh.size());
    for (size_t i = 0; i < ask.size(); ++i) ask[i] = i;
    for (int attempt = 0; attempt < 5 && !ask.empty(); ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200 * attempt));
      std::vector<RdKafka::TopicPartition*> query;
      for (const size_t i : ask) {
        fresh[i]->set_offset(created_ms_);
        query.push_back(fresh[i]);
      }
      const auto e = consumer->offsetsForTimes(query, kTimeoutMs);
      std::vector<size_t> again;
      for (const size_t i : ask) {
        if (e != RdKafka::ERR_NO_ERROR || fresh[i]->err() != RdKafka::ERR_NO_ERROR) again.push_back(i);
      }
      ask = std::move(again);
    }
    for (const size_t i : ask) {
      spdlog::warn("Kafka: {}[{}]: no offset for the consumer's start ({}); starting at the end", fresh[i]->topic(),
                   fresh[i]->partition(), RdKafka::err2str(fresh[i]->err()));
      fresh[i]->set_offset(-1);
    }
    for (size_t i = 0; i < fresh.size(); ++i) {
      if (fresh[i]->offset() < 0) fresh[i]->set_offset(ends[i]);
    }
    std::string starts;
    for (RdKafka::TopicPartition* tp : fresh) {
      if (tp->offset() < 0) tp->set_offset(RdKafka::Topic::OFFSET_END);
      absl::StrAppend(&starts, starts.empty() ? "" : ", ", tp->topic(), "[", tp->partition(), "]@",
                      tp->offset() == RdKafka::Topic::OFFSET_END ? std::string("end") : std::to_string(tp->offset()));
    }
    spdlog::info("Kafka: live consumer assigned {} partition(s); new to the group: {}", partitions.size(),
                 starts.empty() ? "none" : starts);
    consumer->assign(partitions);
  }

 private:
  int64_t created_ms_;
};

class KafkaConsumerImpl final : public KafkaConsumer {
 public:
  explicit KafkaConsumerImpl(const KafkaSettings& settings) : bridge_(settings) {}

  ~KafkaConsumerImpl() override { Close(); }

  absl::Status Init(const KafkaSettings& settings, const std::string& group_id, const std::vector<std::string>& topics,
                    ConsumeFrom from) {
    if (group_id.empty()) return absl::InvalidArgumentError("Kafka consumer needs a group id");
    if (topics.empty()) return absl::InvalidArgumentError("Kafka consumer needs at least one topic");
    auto conf = kafka_internal::MakeConf(settings,
                                         {{"group.id", group_id},
                                          {"enable.auto.commit", "false"},
                                          {"enable.auto.offset.store", "false"},
                                          {"auto.offset.reset", from == ConsumeFrom::kLatest ? "latest" : "earliest"},
                                          {"isolation.level", "read_committed"},
                                          {"enable.partition.eof", "false"},
                                          // A member that died without leaving is noticed in 10 s (not
                                          // 45): a restarted service gets its partitions back sooner.
                                          {"session.timeout.ms", "10000"},
                                          {"heartbeat.interval.ms", "3000"}},
                                         &bridge_);
    if (!conf.ok()) return conf.status();
    std::string errstr;
    if (from == ConsumeFrom::kLatest) {
      start_at_creation_ = std::make_unique<StartAtCreation>(
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count());
      if ((*conf)->set("rebalance_cb", start_at_creation_.get(), errstr) != RdKafka::Conf::CONF_OK) {
        return absl::InternalError(absl::StrCat("Kafka rebalance callback: ", errstr));
      }
    }
    consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), errstr));
    if (consumer_ == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("cannot create the Kafka consumer: ", errstr));
    }
    if (const auto err = consumer_->subscribe(topics); err != RdKafka::ERR_NO_ERROR) {
      return kafka_internal::ToStatus(err, absl::StrCat("Kafka subscribe to ", absl::StrJoin(topics, ",")));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<ConsumedMessage>> Poll(size_t max_messages, std::chrono::milliseconds timeout) override {
    std::vector<ConsumedMessage> batch;
    if (closed_) return absl::FailedPreconditionError("Kafka consumer is closed");
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (batch.size() < max_messages) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      // Once something arrived, take what is already fetched and return.
      const int wait_ms = batch.empty() ? static_cast<int>(std::max<int64_t>(left.count(), 0)) : 0;
      std::unique_ptr<RdKafka::Message> message(consumer_->consume(wait_ms));
      switch (message->err()) {
        case RdKafka::ERR_NO_ERROR: {
          ConsumedMessage& out = batch.emplace_back();
          out.topic = message->topic_name();
          out.partition = message->partition();
          out.offset = message->offset();
          if (message->key_pointer() != nullptr) {
            out.key.assign(static_cast<const char*>(message->key_pointer()), message->key_len());
          }
          if (message->payload() != nullptr) {
            out.value.assign(static_cast<const char*>(message->payload()), message->len());
          }
          out.timestamp_ms = message->timestamp().timestamp;
          break;
        }
        case RdKafka::ERR__TIMED_OUT:
          return batch;
        case RdKafka::ERR__PARTITION_EOF:
          break;
        default:
          if (message->err() == RdKafka::ERR__FATAL || message->err() == RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED ||
              message->err() == RdKafka::ERR_GROUP_AUTHORIZATION_FAILED) {
            std::string reason;
            if (message->err() == RdKafka::ERR__FATAL) consumer_->fatal_error(reason);
            return absl::Status(kafka_internal::CodeFor(message->err()),
                                absl::StrCat("Kafka consume: ", message->errstr(), reason.empty() ? "" : ": ", reason));
          }
          // Transient (broker down, unknown topic not created yet...): librdkafka retries.
          spdlog::warn("Kafka consume: {}", message->errstr());
          break;
      }
      if (std::chrono::steady_clock::now() >= deadline && batch.empty()) return batch;
    }
    return batch;
  }

  absl::Status Commit(const std::vector<ConsumedMessage>& processed) override {
    if (processed.empty()) return absl::OkStatus();
    if (closed_) return absl::FailedPreconditionError("Kafka consumer is closed");
    std::map<std::pair<std::string, int32_t>, int64_t> next_offsets;
    for (const ConsumedMessage& m : processed) {
      auto [it, inserted] = next_offsets.try_emplace({m.topic, m.partition}, m.offset + 1);
      if (!inserted) it->second = std::max(it->second, m.offset + 1);
    }
    std::vector<RdKafka::TopicPartition*> partitions;
    partitions.reserve(next_offsets.size());
    for (const auto& [tp, offset] : next_offsets) {
      partitions.push_back(RdKafka::TopicPartition::create(tp.first, tp.second, offset));
    }
    absl::Status status = kafka_internal::ToStatus(consumer_->commitSync(partitions), "Kafka commit");
    if (status.ok()) {
      for (const RdKafka::TopicPartition* tp : partitions) {
        if (tp->err() != RdKafka::ERR_NO_ERROR) {
          status = kafka_internal::ToStatus(tp->err(),
                                            absl::StrCat("Kafka commit of ", tp->topic(), "[", tp->partition(), "]"));
          break;
        }
      }
    }
    RdKafka::TopicPartition::destroy(partitions);
    return status;
  }

  int64_t Lag() override {
    if (closed_ || consumer_ == nullptr) return 0;
    std::vector<RdKafka::TopicPartition*> partitions;
    if (consumer_->assignment(partitions) != RdKafka::ERR_NO_ERROR) return 0;
    int64_t lag = 0;
    if (consumer_->position(partitions) == RdKafka::ERR_NO_ERROR) {
      for (const RdKafka::TopicPartition* tp : partitions) {
        int64_t low = 0;
        int64_t high = 0;
        if (consumer_->get_watermark_offsets(tp->topic(), tp->partition(), &low, &high) != RdKafka::ERR_NO_ERROR) {
          continue;
        }
        // Before the first fetch the position is unknown (negative): count from the low mark.
        const int64_t position = tp->offset() >= 0 ? tp->offset() : low;
        if (high >= 0 && high > position) lag += high - position;
      }
    }
    RdKafka::TopicPartition::destroy(partitions);
    return lag;
  }

  void Close() override {
    if (closed_ || consumer_ == nullptr) return;
    closed_ = true;
    consumer_->close();
  }

 private:
  kafka_internal::EventBridge bridge_;
  // Declared before the consumer, which calls it until it is destroyed.
  std::unique_ptr<StartAtCreation> start_at_creation_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  bool closed_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<KafkaConsumer>> KafkaConsumer::Create(const KafkaSettings& settings,
                                                                     const std::string& group_id,
                                                                     const std::vector<std::string>& topics,
                                                                     ConsumeFrom from) {
  auto consumer = std::make_unique<KafkaConsumerImpl>(settings);
  if (auto status = consumer->Init(settings, group_id, topics, from); !status.ok()) return status;
  return std::unique_ptr<KafkaConsumer>(std::move(consumer));
}

}  // namespace cityops::common
