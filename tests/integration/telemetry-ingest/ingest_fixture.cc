#include "ingest_fixture.h"

#include <catch2/catch.hpp>
#include <thread>

#include <pqxx/pqxx>

#include "cityops/common/proto_time.h"
#include "cityops/common/topic_names.h"

namespace cityops::testing {

IngestFixture::IngestFixture(std::vector<std::string> extra_args)
    : extra_args_(std::move(extra_args)), schema_("ti"), log_path_("/tmp/" + UniqueName("telemetry_ingest") + ".log") {
  Start();
}

IngestFixture::~IngestFixture() {
  stub_.reset();
  if (service_ && service_->running()) service_->Stop();
}

void IngestFixture::Start() {
  std::vector<std::string> args = {
      "--pg-dsn=" + schema_.dsn(),
      "--pg-schema=" + schema_.name(),
      "--kafka-bootstrap=" + KafkaBootstrap(),
      "--topic-prefix=" + topics_.prefix(),
      "--grpc-address=127.0.0.1:0",
      "--metrics-address=127.0.0.1:0",
      "--log-level=info",
  };
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  service_.reset();
  service_ = std::make_unique<ServiceProcess>(TELEMETRY_INGEST_BINARY, args, log_path_);
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(service_->grpc_port()), grpc::InsecureChannelCredentials());
  stub_ = tv1::TelemetryIngest::NewStub(channel);
}

std::string IngestFixture::Scalar(const std::string& sql) const {
  pqxx::connection conn(schema_.dsn());
  pqxx::work tx(conn);
  tx.exec("SET search_path TO " + tx.quote_name(schema_.name()));
  auto r = tx.exec(sql);
  return r.empty() || r[0][0].is_null() ? std::string() : r[0][0].as<std::string>();
}

std::string IngestFixture::WaitForScalar(const std::string& sql, const std::string& expected,
                                         std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string value;
  for (;;) {
    value = Scalar(sql);
    if (value == expected || std::chrono::steady_clock::now() > deadline) return value;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

tv1::Asset Cabinet(const std::string& id, int district) {
  tv1::Asset a;
  a.set_id(id);
  a.set_kind(tv1::ASSET_KIND_CONTROL_CABINET);
  a.set_district(district);
  a.mutable_location()->set_lat(47.322);
  a.mutable_location()->set_lon(5.041);
  a.set_reporting_interval_s(60);
  return a;
}

tv1::Asset LightPoint(const std::string& id, const std::string& cabinet, int district) {
  tv1::Asset a;
  a.set_id(id);
  a.set_kind(tv1::ASSET_KIND_LIGHT_POINT);
  a.set_district(district);
  a.mutable_location()->set_lat(47.3221);
  a.mutable_location()->set_lon(5.0412);
  a.set_parent_id(cabinet);
  a.set_reporting_interval_s(60);
  a.set_rated_watts(40);
  a.set_baseline_watts(150);
  return a;
}

tv1::Reading MakeReading(const std::string& asset, const std::string& metric, double value, common::TimePoint t) {
  tv1::Reading r;
  r.set_asset_id(asset);
  r.set_metric(metric);
  r.set_value(value);
  *r.mutable_time() = common::ToProtoTime(t);
  return r;
}

std::vector<tv1::BatchAck> StreamBatches(tv1::TelemetryIngest::Stub& stub,
                                         const std::vector<tv1::ReadingBatch>& batches) {
  grpc::ClientContext context;
  auto stream = stub.StreamReadings(&context);
  std::vector<tv1::BatchAck> acks;
  std::thread reader([&] {
    tv1::BatchAck ack;
    while (stream->Read(&ack)) acks.push_back(ack);
  });
  for (const auto& b : batches) {
    if (!stream->Write(b)) break;
  }
  stream->WritesDone();
  reader.join();
  auto status = stream->Finish();
  CHECK(status.ok());
  return acks;
}

ReadingKey KeyOf(const tv1::Reading& r) {
  return {
      r.asset_id(), r.metric(),
      std::chrono::duration_cast<std::chrono::nanoseconds>(common::FromProtoTime(r.time()).time_since_epoch()).count()};
}

std::vector<ReadingKey> ReadingKeysOnTopic(const std::string& topic) {
  std::vector<ReadingKey> keys;
  for (const auto& m : ConsumeAll(topic)) {
    tv1::TelemetryRecord record;
    REQUIRE(record.ParseFromString(m.value));
    if (record.has_reading()) {
      CHECK(m.key == record.reading().asset_id());
      keys.push_back(KeyOf(record.reading()));
    }
  }
  return keys;
}

std::vector<tv1::FaultEvent> FaultEventsOnTopic(const std::string& topic) {
  std::vector<tv1::FaultEvent> events;
  for (const auto& m : ConsumeAll(topic)) {
    tv1::FaultEvent e;
    REQUIRE(e.ParseFromString(m.value));
    CHECK(m.key == e.asset_id());
    events.push_back(e);
  }
  return events;
}

}  // namespace cityops::testing
