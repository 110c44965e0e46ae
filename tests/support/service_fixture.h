#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cityops/common/kafka.h"
#include "cityops_test_support.h"
#include "service_process.h"

namespace cityops::testing {

// One service under test: a fresh schema, prefixed topics, a producer for
// its input topics, and the real binary running on them on free ports.
class ServiceFixture {
 public:
  // `args` are the service's own flags beyond the schema, topics and ports.
  ServiceFixture(std::string binary, std::string_view schema_prefix, std::vector<std::string> args);
  virtual ~ServiceFixture();

  // (Re)starts the service on the same schema and topics, with more flags.
  void Start(const std::vector<std::string>& more_args = {});
  // The flags it is started with (without `more_args`).
  std::vector<std::string> Args() const;
  ServiceProcess& service() { return *service_; }
  const TestTopics& topics() const { return topics_; }
  const TestSchema& schema() const { return schema_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(service_->grpc_port()); }

  // Publishes one message on prefix + logical_topic and waits for Kafka's acknowledgement.
  void Publish(std::string_view logical_topic, const std::string& key, const std::string& value);
  // Many (key, value) messages, in order, waiting once for all acknowledgements.
  void PublishMany(std::string_view logical_topic, const std::vector<std::pair<std::string, std::string>>& messages);
  // One value of a SQL query on the schema ("" for NULL or no row).
  std::string Scalar(const std::string& sql) const;
  // Polls Scalar(sql) until it equals `expected` or the timeout; returns the last value.
  std::string WaitForScalar(const std::string& sql, const std::string& expected,
                            std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

 protected:
  // Called after each (re)start, to make stubs on the new port.
  virtual void OnStarted() {}

 private:
  std::string binary_;
  std::vector<std::string> args_;
  TestSchema schema_;
  TestTopics topics_;
  std::string log_path_;
  std::unique_ptr<common::KafkaProducer> producer_;
  std::unique_ptr<ServiceProcess> service_;
};

}  // namespace cityops::testing
