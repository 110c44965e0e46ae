// Faults from equipment: one event when an asset goes faulty, one when it recovers.
#include <catch2/catch.hpp>
#include <thread>

#include "cityops/common/proto_time.h"
#include "cityops/common/topic_names.h"
#include "ingest_fixture.h"

namespace cityops::testing {
namespace {

void Report(IngestFixture& f, const std::string& asset, tv1::FaultType type, bool cleared) {
  grpc::ClientContext context;
  tv1::ReportFaultRequest request;
  request.mutable_report()->set_asset_id(asset);
  request.mutable_report()->set_type(type);
  request.mutable_report()->set_cleared(cleared);
  request.mutable_report()->set_detail("reported by the test");
  *request.mutable_report()->mutable_time() = common::ToProtoTime(std::chrono::system_clock::now());
  tv1::ReportFaultResponse response;
  auto status = f.stub().ReportFault(&context, request, &response);
  REQUIRE(status.ok());
  CHECK_FALSE(response.record_id().empty());
}

std::vector<tv1::FaultEvent> WaitForFaults(IngestFixture& f, size_t count) {
  std::vector<tv1::FaultEvent> events;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (events.size() < count && std::chrono::steady_clock::now() < deadline) {
    events = FaultEventsOnTopic(f.topics().Name(topics::kTelemetryFaults));
  }
  return events;
}

void Send(IngestFixture& f, const std::vector<tv1::Reading>& readings) {
  tv1::ReadingBatch batch;
  for (const auto& r : readings) *batch.add_readings() = r;
  auto acks = StreamBatches(f.stub(), {batch});
  REQUIRE(acks.size() == 1);
  REQUIRE(acks[0].code() == 0);
}

tv1::Health HealthOf(IngestFixture& f, const std::string& id) {
  grpc::ClientContext context;
  tv1::GetAssetStateRequest request;
  request.set_asset_id(id);
  tv1::AssetState state;
  REQUIRE(f.stub().GetAssetState(&context, request, &state).ok());
  return state.health();
}

TEST_CASE("self-reported and out-of-range faults raise once and clear once, with the asset's place") {
  IngestFixture f;
  grpc::ClientContext context;
  tv1::RegisterAssetsRequest request;
  *request.add_assets() = Cabinet("cab-1", 5);
  *request.add_assets() = LightPoint("lp-1", "cab-1", 5);
  tv1::RegisterAssetsResponse response;
  REQUIRE(f.stub().RegisterAssets(&context, request, &response).ok());

  Report(f, "cab-1", tv1::FAULT_TYPE_POWER_LOSS, false);
  Report(f, "cab-1", tv1::FAULT_TYPE_POWER_LOSS, false);  // a repeat: no second event
  Report(f, "cab-1", tv1::FAULT_TYPE_POWER_LOSS, true);
  const auto now = std::chrono::system_clock::now();
  Send(f, {MakeReading("lp-1", "power_w", 41, now - std::chrono::seconds(3)),
           MakeReading("lp-1", "power_w", 9999, now - std::chrono::seconds(2)),
           MakeReading("lp-1", "power_w", 8888, now - std::chrono::seconds(1))});
  CHECK(f.WaitForScalar("SELECT health FROM asset_state WHERE asset_id = 'lp-1'",
                        std::to_string(static_cast<int>(tv1::HEALTH_FAULTY))) ==
        std::to_string(static_cast<int>(tv1::HEALTH_FAULTY)));
  CHECK(HealthOf(f, "lp-1") == tv1::HEALTH_FAULTY);
  Send(f, {MakeReading("lp-1", "power_w", 42, now)});

  auto all = WaitForFaults(f, 4);
  REQUIRE(all.size() == 4);
  // Events are keyed by asset: in order per asset (partitions differ between assets).
  std::vector<tv1::FaultEvent> cabinet, lamp;
  for (const auto& e : all) (e.asset_id() == "cab-1" ? cabinet : lamp).push_back(e);
  REQUIRE(cabinet.size() == 2);
  REQUIRE(lamp.size() == 2);
  CHECK(cabinet[0].type() == tv1::FAULT_TYPE_POWER_LOSS);
  CHECK(cabinet[0].state() == tv1::FAULT_STATE_RAISED);
  CHECK(cabinet[0].source() == tv1::FAULT_SOURCE_SELF_REPORTED);
  CHECK(cabinet[0].district() == 5);
  CHECK(cabinet[0].asset_kind() == tv1::ASSET_KIND_CONTROL_CABINET);
  CHECK(cabinet[1].type() == tv1::FAULT_TYPE_POWER_LOSS);
  CHECK(cabinet[1].state() == tv1::FAULT_STATE_CLEARED);
  CHECK(lamp[0].type() == tv1::FAULT_TYPE_READING_OUT_OF_RANGE);
  CHECK(lamp[0].state() == tv1::FAULT_STATE_RAISED);
  CHECK(lamp[0].source() == tv1::FAULT_SOURCE_OUT_OF_RANGE);
  CHECK(lamp[0].metric() == "power_w");
  CHECK(lamp[0].value() == 9999);
  CHECK(lamp[0].parent_id() == "cab-1");
  CHECK(lamp[1].type() == tv1::FAULT_TYPE_READING_OUT_OF_RANGE);
  CHECK(lamp[1].state() == tv1::FAULT_STATE_CLEARED);
  CHECK(cabinet[0].meta().event_id() != cabinet[1].meta().event_id());
  CHECK(HealthOf(f, "lp-1") == tv1::HEALTH_OK);
}

TEST_CASE("an asset not heard for three reporting intervals goes silent once, and recovers on its next reading") {
  IngestFixture f({"--silence-scan-interval=200ms"});
  auto lamp = Cabinet("cab-quiet");
  lamp.set_reporting_interval_s(1);
  grpc::ClientContext context;
  tv1::RegisterAssetRequest request;
  *request.mutable_asset() = lamp;
  tv1::Asset response;
  REQUIRE(f.stub().RegisterAsset(&context, request, &response).ok());
  Send(f, {MakeReading("cab-quiet", "voltage_v", 230, std::chrono::system_clock::now())});

  const std::string silent = std::to_string(static_cast<int>(tv1::HEALTH_SILENT));
  REQUIRE(f.WaitForScalar("SELECT health FROM asset_state WHERE asset_id = 'cab-quiet'", silent,
                          std::chrono::seconds(15)) == silent);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // more scans: still one event
  Send(f, {MakeReading("cab-quiet", "voltage_v", 231, std::chrono::system_clock::now())});

  auto events = WaitForFaults(f, 2);
  // Raised once however many scans ran, cleared by the reading. (Left alone
  // again, it goes silent again: a third event may follow, a raise.)
  REQUIRE(events.size() >= 2);
  REQUIRE(events.size() <= 3);
  if (events.size() == 3) CHECK(events[2].state() == tv1::FAULT_STATE_RAISED);
  CHECK(events[0].type() == tv1::FAULT_TYPE_SILENT);
  CHECK(events[0].source() == tv1::FAULT_SOURCE_SILENCE);
  CHECK(events[0].state() == tv1::FAULT_STATE_RAISED);
  CHECK(events[1].type() == tv1::FAULT_TYPE_SILENT);
  CHECK(events[1].state() == tv1::FAULT_STATE_CLEARED);
}

}  // namespace
}  // namespace cityops::testing
