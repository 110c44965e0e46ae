#include "service_fixture.h"

#include <catch2/catch.hpp>
#include <thread>

#include <pqxx/pqxx>

namespace cityops::testing {

ServiceFixture::ServiceFixture(std::string binary, std::string_view schema_prefix, std::vector<std::string> args)
    : binary_(std::move(binary)),
      args_(std::move(args)),
      schema_(schema_prefix),
      log_path_("/tmp/" + UniqueName(schema_.name()) + ".log") {
  auto producer = common::KafkaProducer::Create(TestKafkaSettings());
  REQUIRE(producer.ok());
  producer_ = std::move(*producer);
}

ServiceFixture::~ServiceFixture() {
  if (service_ && service_->running()) service_->Stop();
}

std::vector<std::string> ServiceFixture::Args() const {
  std::vector<std::string> args = {
      "--pg-dsn=" + schema_.dsn(),
      "--pg-schema=" + schema_.name(),
      "--kafka-bootstrap=" + KafkaBootstrap(),
      "--topic-prefix=" + topics_.prefix(),
      "--grpc-address=127.0.0.1:0",
      "--metrics-address=127.0.0.1:0",
      "--log-level=info",
  };
  args.insert(args.end(), args_.begin(), args_.end());
  return args;
}

void ServiceFixture::Start(const std::vector<std::string>& more_args) {
  std::vector<std::string> args = Args();
  args.insert(args.end(), more_args.begin(), more_args.end());
  service_.reset();
  service_ = std::make_unique<ServiceProcess>(binary_, args, log_path_);
  OnStarted();
}

void ServiceFixture::Publish(std::string_view logical_topic, const std::string& key, const std::string& value) {
  common::DeliveryLatch latch(1);
  REQUIRE(producer_->Produce(topics_.Name(logical_topic), key, value, [&](const auto& r) { latch.Done(r); }).ok());
  REQUIRE(latch.Wait(std::chrono::seconds(10)).ok());
}

void ServiceFixture::PublishMany(std::string_view logical_topic,
                                 const std::vector<std::pair<std::string, std::string>>& messages) {
  if (messages.empty()) return;
  common::DeliveryLatch latch(messages.size());
  const std::string topic = topics_.Name(logical_topic);
  for (const auto& [key, value] : messages) {
    REQUIRE(producer_->Produce(topic, key, value, [&](const auto& r) { latch.Done(r); }).ok());
  }
  REQUIRE(latch.Wait(std::chrono::seconds(30)).ok());
}

std::string ServiceFixture::Scalar(const std::string& sql) const {
  pqxx::connection conn(schema_.dsn());
  pqxx::work tx(conn);
  tx.exec("SET search_path TO " + tx.quote_name(schema_.name()));
  auto r = tx.exec(sql);
  return r.empty() || r[0][0].is_null() ? std::string() : r[0][0].as<std::string>();
}

std::string ServiceFixture::WaitForScalar(const std::string& sql, const std::string& expected,
                                          std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string value;
  for (;;) {
    value = Scalar(sql);
    if (value == expected || std::chrono::steady_clock::now() > deadline) return value;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace cityops::testing
