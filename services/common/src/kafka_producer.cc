#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "cityops/common/kafka.h"
#include "kafka_internal.h"

namespace cityops::common {
namespace kafka_internal {

EventBridge::EventBridge(KafkaSettings settings) : settings_(std::move(settings)) {}

void EventBridge::event_cb(RdKafka::Event& event) {
  switch (event.type()) {
    case RdKafka::Event::EVENT_LOG: {
      const int level = static_cast<int>(event.severity());
      if (settings_.log_sink) {
        settings_.log_sink(level, absl::StrCat(event.fac(), " ", event.str()));
        return;
      }
      const auto spd_level = level <= 3   ? spdlog::level::err
                             : level == 4 ? spdlog::level::warn
                             : level <= 6 ? spdlog::level::info
                                          : spdlog::level::debug;
      spdlog::log(spd_level, "kafka {}: {} {}", settings_.client_id, event.fac(), event.str());
      return;
    }
    case RdKafka::Event::EVENT_ERROR: {
      const std::string line =
          absl::StrCat(event.fatal() ? "FATAL " : "", RdKafka::err2str(event.err()), ": ", event.str());
      if (settings_.log_sink) settings_.log_sink(event.fatal() ? 2 : 3, absl::StrCat("ERROR ", line));
      // Transport errors are retried by librdkafka; fatal ones are not.
      if (event.fatal()) {
        spdlog::error("kafka {}: {}", settings_.client_id, line);
      } else {
        spdlog::warn("kafka {}: {}", settings_.client_id, line);
      }
      return;
    }
    default:
      return;
  }
}

absl::StatusCode CodeFor(RdKafka::ErrorCode err) {
  switch (err) {
    case RdKafka::ERR_NO_ERROR:
      return absl::StatusCode::kOk;
    case RdKafka::ERR__MSG_TIMED_OUT:
    case RdKafka::ERR__TIMED_OUT:
    case RdKafka::ERR_REQUEST_TIMED_OUT:
      return absl::StatusCode::kDeadlineExceeded;
    case RdKafka::ERR__QUEUE_FULL:
      return absl::StatusCode::kResourceExhausted;
    case RdKafka::ERR__UNKNOWN_TOPIC:
    case RdKafka::ERR_UNKNOWN_TOPIC_OR_PART:
    case RdKafka::ERR__UNKNOWN_PARTITION:
      return absl::StatusCode::kNotFound;
    case RdKafka::ERR_MSG_SIZE_TOO_LARGE:
    case RdKafka::ERR_INVALID_MSG:
    case RdKafka::ERR_TOPIC_EXCEPTION:
    case RdKafka::ERR__INVALID_ARG:
    case RdKafka::ERR_INVALID_PARTITIONS:
    case RdKafka::ERR_INVALID_REPLICATION_FACTOR:
    case RdKafka::ERR_INVALID_CONFIG:
      return absl::StatusCode::kInvalidArgument;
    case RdKafka::ERR_TOPIC_ALREADY_EXISTS:
      return absl::StatusCode::kAlreadyExists;
    case RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED:
    case RdKafka::ERR_GROUP_AUTHORIZATION_FAILED:
    case RdKafka::ERR_CLUSTER_AUTHORIZATION_FAILED:
      return absl::StatusCode::kPermissionDenied;
    case RdKafka::ERR_REBALANCE_IN_PROGRESS:
    case RdKafka::ERR_ILLEGAL_GENERATION:
    case RdKafka::ERR_UNKNOWN_MEMBER_ID:
    case RdKafka::ERR__PURGE_QUEUE:
    case RdKafka::ERR__PURGE_INFLIGHT:
      return absl::StatusCode::kAborted;
    case RdKafka::ERR__FATAL:
    case RdKafka::ERR__STATE:
      return absl::StatusCode::kInternal;
    default:
      return absl::StatusCode::kUnavailable;
  }
}

absl::Status ToStatus(RdKafka::ErrorCode err, std::string_view context) {
  if (err == RdKafka::ERR_NO_ERROR) return absl::OkStatus();
  return absl::Status(CodeFor(err), std::string(context) + ": " + RdKafka::err2str(err));
}

absl::StatusOr<std::unique_ptr<RdKafka::Conf>> MakeConf(
    const KafkaSettings& settings, const std::vector<std::pair<std::string, std::string>>& defaults,
    EventBridge* bridge) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string errstr;
  const auto set = [&](const std::string& key, const std::string& value) -> absl::Status {
    if (conf->set(key, value, errstr) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat("Kafka setting ", key, "=", value, ": ", errstr));
    }
    return absl::OkStatus();
  };
  if (auto s = set("bootstrap.servers", settings.bootstrap); !s.ok()) return s;
  if (auto s = set("client.id", settings.client_id); !s.ok()) return s;
  for (const auto& [key, value] : defaults) {
    if (auto s = set(key, value); !s.ok()) return s;
  }
  for (const auto& [key, value] : settings.extra) {
    if (auto s = set(key, value); !s.ok()) return s;
  }
  if (bridge != nullptr && conf->set("event_cb", bridge, errstr) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(absl::StrCat("Kafka event callback: ", errstr));
  }
  return conf;
}

std::string MetricPrefix(std::string_view service) {
  std::string prefix = "cityops_";
  for (char c : service) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    prefix.push_back(ok ? c : '_');
  }
  prefix.push_back('_');
  return prefix;
}

}  // namespace kafka_internal

namespace {

using kafka_internal::EventBridge;

// Travels with each message as its opaque; freed once its delivery report ran.
struct PendingDelivery {
  DeliveryCallback on_delivery;
  std::chrono::steady_clock::time_point enqueued;
};

class KafkaProducerImpl final : public KafkaProducer, private RdKafka::DeliveryReportCb {
 public:
  KafkaProducerImpl(const KafkaSettings& settings, std::shared_ptr<prometheus::Registry> registry,
                    std::string_view metric_service)
      : bridge_(settings), registry_(std::move(registry)) {
    if (registry_ != nullptr) {
      const std::string prefix = kafka_internal::MetricPrefix(metric_service);
      latency_ = &prometheus::BuildHistogram()
                      .Name(prefix + "kafka_delivery_latency_seconds")
                      .Help("Time from Produce to the broker's acknowledgement by all in-sync replicas")
                      .Register(*registry_)
                      .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                                       0.25, 0.5, 1, 2.5, 5, 10, 30});
      failures_ = &prometheus::BuildCounter()
                       .Name(prefix + "kafka_delivery_failures_total")
                       .Help("Messages Kafka did not confirm")
                       .Register(*registry_)
                       .Add({});
    }
  }

  absl::Status Init(const KafkaSettings& settings) {
    auto conf = kafka_internal::MakeConf(settings,
                                         {{"enable.idempotence", "true"},
                                          {"acks", "all"},
                                          {"compression.type", "lz4"},
                                          {"linger.ms", "5"},
                                          {"batch.num.messages", "10000"},
                                          {"batch.size", "1000000"},
                                          {"queue.buffering.max.messages", "1000000"},
                                          {"queue.buffering.max.kbytes", "1048576"}},
                                         &bridge_);
    if (!conf.ok()) return conf.status();
    std::string errstr;
    if ((*conf)->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(this), errstr) != RdKafka::Conf::CONF_OK) {
      return absl::InternalError(absl::StrCat("Kafka delivery callback: ", errstr));
    }
    producer_.reset(RdKafka::Producer::create(conf->get(), errstr));
    if (producer_ == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("cannot create the Kafka producer: ", errstr));
    }
    poll_thread_ = std::thread([this] {
      while (!stop_.load(std::memory_order_acquire)) producer_->poll(100);
    });
    return absl::OkStatus();
  }

  ~KafkaProducerImpl() override {
    if (producer_ == nullptr) return;
    const int left = Flush(std::chrono::seconds(10));
    if (left > 0) {
      spdlog::warn("Kafka producer closing with {} message(s) not confirmed: they fail as purged", left);
      producer_->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
      Flush(std::chrono::seconds(5));
    }
    stop_.store(true, std::memory_order_release);
    poll_thread_.join();
    // Whatever is still reported is served here, so every opaque is freed.
    producer_->flush(1000);
    producer_->poll(0);
  }

  absl::Status Produce(std::string_view topic, std::string_view key, std::string_view value,
                       DeliveryCallback on_delivery) override {
    auto* pending = new PendingDelivery{std::move(on_delivery), std::chrono::steady_clock::now()};
    const std::string topic_name(topic);
    const auto give_up_at = std::chrono::steady_clock::now() + kQueueFullWait;
    in_flight_.fetch_add(1, std::memory_order_acq_rel);
    while (true) {
      const RdKafka::ErrorCode err =
          producer_->produce(topic_name, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                             const_cast<char*>(value.data()), value.size(), key.data(), key.size(), 0, pending);
      if (err == RdKafka::ERR_NO_ERROR) return absl::OkStatus();
      if (err == RdKafka::ERR__QUEUE_FULL && std::chrono::steady_clock::now() < give_up_at) {
        // The poll thread serves delivery reports, which frees room in the queue.
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      delete pending;
      FinishOne();
      if (failures_ != nullptr) failures_->Increment();
      return kafka_internal::ToStatus(err, absl::StrCat("cannot enqueue to Kafka topic ", topic_name));
    }
  }

  int Flush(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mutex_);
    drained_.wait_for(lock, timeout, [this] { return in_flight_.load(std::memory_order_acquire) == 0; });
    return static_cast<int>(in_flight_.load(std::memory_order_acquire));
  }

  absl::Status Ping(std::chrono::milliseconds timeout) override {
    RdKafka::Metadata* metadata = nullptr;
    const RdKafka::ErrorCode err = producer_->metadata(false, nullptr, &metadata, static_cast<int>(timeout.count()));
    std::unique_ptr<RdKafka::Metadata> owned(metadata);
    if (err != RdKafka::ERR_NO_ERROR) return kafka_internal::ToStatus(err, "Kafka metadata request");
    if (owned == nullptr || owned->brokers()->empty()) return absl::UnavailableError("Kafka: no broker");
    return absl::OkStatus();
  }

 private:
  static constexpr auto kQueueFullWait = std::chrono::milliseconds(1000);

  void dr_cb(RdKafka::Message& message) override {
    std::unique_ptr<PendingDelivery> pending(static_cast<PendingDelivery*>(message.msg_opaque()));
    DeliveryResult result;
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      result.partition = message.partition();
      result.offset = message.offset();
    } else {
      result.status = absl::Status(kafka_internal::CodeFor(message.err()),
                                   absl::StrCat("Kafka delivery to ", message.topic_name(), ": ", message.errstr()));
      if (failures_ != nullptr) failures_->Increment();
    }
    if (pending != nullptr) {
      if (latency_ != nullptr && result.status.ok()) {
        latency_->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - pending->enqueued).count());
      }
      if (pending->on_delivery) {
        try {
          pending->on_delivery(result);
        } catch (const std::exception& e) {
          spdlog::error("Kafka delivery callback threw: {}", e.what());
        }
      }
    }
    FinishOne();
  }

  void FinishOne() {
    if (in_flight_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard lock(mutex_);
      drained_.notify_all();
    }
  }

  EventBridge bridge_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Histogram* latency_ = nullptr;
  prometheus::Counter* failures_ = nullptr;
  std::unique_ptr<RdKafka::Producer> producer_;
  std::thread poll_thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> in_flight_{0};
  std::mutex mutex_;
  std::condition_variable drained_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<KafkaProducer>> KafkaProducer::Create(const KafkaSettings& settings,
                                                                     std::shared_ptr<prometheus::Registry> registry,
                                                                     std::string_view metric_service) {
  std::unique_ptr<KafkaProducerImpl> producer;
  try {
    producer = std::make_unique<KafkaProducerImpl>(settings, std::move(registry), metric_service);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("Kafka producer metrics: ", e.what()));
  }
  if (auto status = producer->Init(settings); !status.ok()) return status;
  return std::unique_ptr<KafkaProducer>(std::move(producer));
}

}  // namespace cityops::common
