#include <chrono>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <utility>

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "cityops/common/kafka.h"
#include "kafka_internal.h"

namespace cityops::common {
namespace {

constexpr size_t kMaxTopicNameLength = 249;

bool IsLegalTopicName(std::string_view name) {
  if (name.empty() || name.size() > kMaxTopicNameLength || name == "." || name == "..") return false;
  for (char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

absl::Status Bad(const std::string& path, std::string_view where, std::string_view what) {
  return absl::InvalidArgumentError(path + ": " + std::string(where) + ": " + std::string(what));
}

absl::StatusOr<TopicSpec> ParseTopic(const std::string& path, size_t index, const nlohmann::json& j) {
  std::string where = absl::StrCat("topics[", index, "]");
  if (!j.is_object()) return Bad(path, where, "must be an object");
  static const std::set<std::string> kKnown = {"name", "key", "value_type", "partitions", "replication", "config"};
  TopicSpec spec;
  // The name first, so later messages can name the topic.
  const auto name = j.find("name");
  if (name == j.end() || !name->is_string()) return Bad(path, where, "field 'name' must be a string");
  spec.name = name->get<std::string>();
  if (!IsLegalTopicName(spec.name)) {
    return Bad(path, where,
               absl::StrCat("field 'name' ('", spec.name, "') is not a legal Kafka topic name ([a-zA-Z0-9._-], ",
                            "at most ", kMaxTopicNameLength, " characters)"));
  }
  where = absl::StrCat("topic '", spec.name, "'");
  for (const auto& [field, value] : j.items()) {
    if (kKnown.count(field) == 0) return Bad(path, where, absl::StrCat("unknown field '", field, "'"));
    (void)value;
  }
  for (const auto& [field, target] : {std::pair{"key", &spec.key}, std::pair{"value_type", &spec.value_type}}) {
    const auto it = j.find(field);
    if (it == j.end() || !it->is_string() || it->get<std::string>().empty()) {
      return Bad(path, where, absl::StrCat("field '", field, "' must be a non-empty string"));
    }
    *target = it->get<std::string>();
  }
  for (const auto& [field, target] :
       {std::pair{"partitions", &spec.partitions}, std::pair{"replication", &spec.replication}}) {
    const auto it = j.find(field);
    if (it == j.end() || !it->is_number_integer()) {
      return Bad(path, where, absl::StrCat("field '", field, "' must be an integer"));
    }
    const auto v = it->get<int64_t>();
    if (v < 1 || v > 100000) return Bad(path, where, absl::StrCat("field '", field, "' must be at least 1, not ", v));
    *target = static_cast<int>(v);
  }
  if (const auto it = j.find("config"); it != j.end()) {
    if (!it->is_object()) return Bad(path, where, "field 'config' must be an object of strings");
    for (const auto& [key, value] : it->items()) {
      if (!value.is_string()) {
        return Bad(path, where, absl::StrCat("config '", key, "' must be a string (\"86400000\", not 86400000)"));
      }
      spec.config[key] = value.get<std::string>();
    }
  }
  return spec;
}

// An admin handle (a producer that sends nothing), freed on scope exit.
struct AdminClient {
  explicit AdminClient(const KafkaSettings& settings) : bridge(settings) {}
  kafka_internal::EventBridge bridge;
  std::unique_ptr<RdKafka::Producer> handle;
};

absl::StatusOr<std::unique_ptr<AdminClient>> MakeAdmin(const KafkaSettings& settings) {
  auto admin = std::make_unique<AdminClient>(settings);
  auto conf = kafka_internal::MakeConf(settings, {}, &admin->bridge);
  if (!conf.ok()) return conf.status();
  std::string errstr;
  admin->handle.reset(RdKafka::Producer::create(conf->get(), errstr));
  if (admin->handle == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("cannot create the Kafka admin client: ", errstr));
  }
  return admin;
}

template <typename T, void (*Destroy)(T*)>
struct Deleter {
  void operator()(T* p) const { Destroy(p); }
};
using EventPtr = std::unique_ptr<rd_kafka_event_t, Deleter<rd_kafka_event_t, rd_kafka_event_destroy>>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, Deleter<rd_kafka_queue_t, rd_kafka_queue_destroy>>;
using OptionsPtr =
    std::unique_ptr<rd_kafka_AdminOptions_t, Deleter<rd_kafka_AdminOptions_t, rd_kafka_AdminOptions_destroy>>;

// Waits for the result event of an admin request on its queue.
absl::StatusOr<EventPtr> AwaitResult(rd_kafka_queue_t* queue, rd_kafka_event_type_t type,
                                     std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout + std::chrono::seconds(1);
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return absl::DeadlineExceededError("Kafka admin request: no answer in time");
    EventPtr event(rd_kafka_queue_poll(queue, static_cast<int>(left.count())));
    if (event == nullptr) continue;
    if (rd_kafka_event_type(event.get()) != type) continue;
    if (const rd_kafka_resp_err_t err = rd_kafka_event_error(event.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::Status(kafka_internal::CodeFor(static_cast<RdKafka::ErrorCode>(err)),
                          absl::StrCat("Kafka admin request: ", rd_kafka_event_error_string(event.get())));
    }
    return event;
  }
}

OptionsPtr MakeOptions(rd_kafka_t* rk, rd_kafka_admin_op_t op, std::chrono::milliseconds timeout) {
  OptionsPtr options(rd_kafka_AdminOptions_new(rk, op));
  char errstr[256];
  rd_kafka_AdminOptions_set_operation_timeout(options.get(), static_cast<int>(timeout.count()), errstr, sizeof errstr);
  rd_kafka_AdminOptions_set_request_timeout(options.get(), static_cast<int>(timeout.count()), errstr, sizeof errstr);
  return options;
}

}  // namespace

absl::StatusOr<std::vector<TopicSpec>> LoadTopicSpecs(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read topic specs ", path));
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not valid JSON: ", e.what()));
  }
  if (!doc.is_object()) return absl::InvalidArgumentError(absl::StrCat(path, ": must be a JSON object"));
  const auto topics = doc.find("topics");
  if (topics == doc.end() || !topics->is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": field 'topics' must be an array"));
  }
  std::vector<TopicSpec> specs;
  std::set<std::string> names;
  for (size_t i = 0; i < topics->size(); ++i) {
    auto spec = ParseTopic(path, i, (*topics)[i]);
    if (!spec.ok()) return spec.status();
    if (!names.insert(spec->name).second) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": topic '", spec->name, "' is declared twice"));
    }
    specs.push_back(*std::move(spec));
  }
  return specs;
}

absl::StatusOr<EnsureTopicsResult> CreateMissingTopics(const KafkaSettings& settings,
                                                       const std::vector<TopicSpec>& topics, std::string_view prefix,
                                                       std::chrono::milliseconds timeout) {
  EnsureTopicsResult result;
  if (topics.empty()) return result;
  for (const TopicSpec& spec : topics) {
    const std::string name = std::string(prefix) + spec.name;
    if (!IsLegalTopicName(name)) {
      return absl::InvalidArgumentError(absl::StrCat("'", name, "' is not a legal Kafka topic name"));
    }
  }
  auto admin = MakeAdmin(settings);
  if (!admin.ok()) return admin.status();
  rd_kafka_t* rk = (*admin)->handle->c_ptr();

  std::vector<rd_kafka_NewTopic_t*> new_topics;
  new_topics.reserve(topics.size());
  const auto free_topics = [&] { rd_kafka_NewTopic_destroy_array(new_topics.data(), new_topics.size()); };
  for (const TopicSpec& spec : topics) {
    const std::string name = std::string(prefix) + spec.name;
    char errstr[512];
    rd_kafka_NewTopic_t* topic =
        rd_kafka_NewTopic_new(name.c_str(), spec.partitions, spec.replication, errstr, sizeof errstr);
    if (topic == nullptr) {
      free_topics();
      return absl::InvalidArgumentError(absl::StrCat("topic ", name, ": ", errstr));
    }
    new_topics.push_back(topic);
    for (const auto& [key, value] : spec.config) {
      if (rd_kafka_NewTopic_set_config(topic, key.c_str(), value.c_str()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        free_topics();
        return absl::InvalidArgumentError(absl::StrCat("topic ", name, ": bad config ", key, "=", value));
      }
    }
  }
  QueuePtr queue(rd_kafka_queue_new(rk));
  OptionsPtr options = MakeOptions(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout);
  rd_kafka_CreateTopics(rk, new_topics.data(), new_topics.size(), options.get(), queue.get());
  free_topics();
  auto event = AwaitResult(queue.get(), RD_KAFKA_EVENT_CREATETOPICS_RESULT, timeout);
  if (!event.ok()) return event.status();
  const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(event->get());
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &count);
  for (size_t i = 0; i < count; ++i) {
    const std::string name = rd_kafka_topic_result_name(results[i]);
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      result.created.push_back(name);
    } else if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      result.existing.push_back(name);
    } else {
      const char* why = rd_kafka_topic_result_error_string(results[i]);
      return absl::Status(
          kafka_internal::CodeFor(static_cast<RdKafka::ErrorCode>(err)),
          absl::StrCat("cannot create Kafka topic ", name, ": ", why != nullptr ? why : rd_kafka_err2str(err)));
    }
  }
  return result;
}

absl::Status EnsureTopics(const KafkaSettings& settings, const std::vector<TopicSpec>& topics, std::string_view prefix,
                          std::chrono::milliseconds timeout) {
  auto result = CreateMissingTopics(settings, topics, prefix, timeout);
  if (!result.ok()) return result.status();
  for (const std::string& name : result->created) spdlog::info("Kafka topic {} created", name);
  return absl::OkStatus();
}

absl::Status DeleteTopics(const KafkaSettings& settings, const std::vector<std::string>& names,
                          std::chrono::milliseconds timeout) {
  if (names.empty()) return absl::OkStatus();
  auto admin = MakeAdmin(settings);
  if (!admin.ok()) return admin.status();
  rd_kafka_t* rk = (*admin)->handle->c_ptr();
  std::vector<rd_kafka_DeleteTopic_t*> topics;
  topics.reserve(names.size());
  for (const std::string& name : names) topics.push_back(rd_kafka_DeleteTopic_new(name.c_str()));
  QueuePtr queue(rd_kafka_queue_new(rk));
  OptionsPtr options = MakeOptions(rk, RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout);
  rd_kafka_DeleteTopics(rk, topics.data(), topics.size(), options.get(), queue.get());
  rd_kafka_DeleteTopic_destroy_array(topics.data(), topics.size());
  auto event = AwaitResult(queue.get(), RD_KAFKA_EVENT_DELETETOPICS_RESULT, timeout);
  if (!event.ok()) return event.status();
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event->get()), &count);
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      return absl::Status(kafka_internal::CodeFor(static_cast<RdKafka::ErrorCode>(err)),
                          absl::StrCat("cannot delete Kafka topic ", rd_kafka_topic_result_name(results[i]), ": ",
                                       rd_kafka_err2str(err)));
    }
  }
  return absl::OkStatus();
}

}  // namespace cityops::common
