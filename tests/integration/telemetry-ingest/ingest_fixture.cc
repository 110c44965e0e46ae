#include "ingest_fixture.h"

#include <catch2/catch.hpp>
#include <thread>

#include <pqxx/pqxx>

#include "cityops/common/proto_time.h"
#include "cityops/common/topic_names.h"

namespace cityops::testing {

IngestFixture::IngestFixture(std::vector<std::string> extra_args)
    : ServiceFixture(TELEMETRY_INGEST_BINARY, "ti", std::move(extra_args)) {
  Start();
}

IngestFixture::~IngestFixture() { stub_.reset(); }

void IngestFixture::OnStarted() {
  stub_ = tv1::TelemetryIngest::NewStub(grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
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
