// Bad input gets a clear status and changes nothing: no row, no event.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "cityops/common/proto_time.h"
#include "cityops/common/topic_names.h"
#include "ingest_fixture.h"

namespace cityops::testing {
namespace {

grpc::StatusCode Register(IngestFixture& f, const tv1::Asset& asset, std::string* message = nullptr) {
  grpc::ClientContext context;
  tv1::RegisterAssetRequest request;
  *request.mutable_asset() = asset;
  tv1::Asset response;
  auto status = f.stub().RegisterAsset(&context, request, &response);
  if (message) *message = status.error_message();
  return status.error_code();
}

TEST_CASE("bad input is refused with a clear status and changes neither tables nor topics") {
  IngestFixture f;
  REQUIRE(Register(f, Cabinet("cab-1")) == grpc::StatusCode::OK);
  REQUIRE(Register(f, LightPoint("lp-1", "cab-1")) == grpc::StatusCode::OK);
  // Registering the same data again is accepted and changes nothing.
  REQUIRE(Register(f, LightPoint("lp-1", "cab-1")) == grpc::StatusCode::OK);
  const std::string assets_before = f.Scalar("SELECT count(*) FROM assets");
  REQUIRE(assets_before == "2");

  std::string message;
  SECTION("assets") {
    auto outside = LightPoint("lp-2", "cab-1");
    outside.mutable_location()->set_lat(48.85);  // Paris
    CHECK(Register(f, outside, &message) == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(message, Catch::Contains("location"));

    auto injection = LightPoint("lp-3'; DROP TABLE assets; --", "cab-1");
    CHECK(Register(f, injection) == grpc::StatusCode::INVALID_ARGUMENT);

    CHECK(Register(f, LightPoint("lp-4", "no-such-cabinet"), &message) == grpc::StatusCode::NOT_FOUND);
    CHECK_THAT(message, Catch::Contains("no-such-cabinet"));

    auto different = LightPoint("lp-1", "cab-1");
    different.set_district(9);
    CHECK(Register(f, different) == grpc::StatusCode::ALREADY_EXISTS);

    auto wrong_parent = LightPoint("lp-5", "lp-1");  // a lamp cannot hang off a lamp
    CHECK(Register(f, wrong_parent) == grpc::StatusCode::INVALID_ARGUMENT);

    auto nan_location = LightPoint("lp-6", "cab-1");
    nan_location.mutable_location()->set_lon(std::numeric_limits<double>::quiet_NaN());
    CHECK(Register(f, nan_location) == grpc::StatusCode::INVALID_ARGUMENT);

    auto long_attribute = LightPoint("lp-7", "cab-1");
    (*long_attribute.mutable_attributes())["street"] = std::string(5000, 'x');
    CHECK(Register(f, long_attribute) == grpc::StatusCode::INVALID_ARGUMENT);

    // A request of many where the last one is bad registers none of them.
    tv1::RegisterAssetsRequest many;
    for (int i = 0; i < 10; ++i) *many.add_assets() = LightPoint("lp-many-" + std::to_string(i), "cab-1");
    many.mutable_assets(9)->set_district(99);
    grpc::ClientContext context;
    tv1::RegisterAssetsResponse response;
    CHECK(f.stub().RegisterAssets(&context, many, &response).error_code() == grpc::StatusCode::INVALID_ARGUMENT);

    grpc::ClientContext get_context;
    tv1::GetAssetRequest get;
    get.set_id("no-such-asset");
    tv1::Asset asset;
    CHECK(f.stub().GetAsset(&get_context, get, &asset).error_code() == grpc::StatusCode::NOT_FOUND);

    grpc::ClientContext retire_context;
    tv1::RetireAssetRequest retire;
    retire.set_id("cab-1");  // still has an active light point
    CHECK(f.stub().RetireAsset(&retire_context, retire, &asset).error_code() == grpc::StatusCode::FAILED_PRECONDITION);

    CHECK(f.Scalar("SELECT count(*) FROM assets") == assets_before);
    CHECK(f.Scalar("SELECT max(version) FROM assets") == "1");
    // Two registrations reached the topic, nothing else.
    CHECK(f.WaitForScalar("SELECT count(*) FROM outbox", "0") == "0");
    CHECK(ConsumeAll(f.topics().Name(topics::kTelemetryAssets), std::chrono::seconds(1)).size() == 2);
  }

  SECTION("readings and fault reports") {
    const auto now = std::chrono::system_clock::now();
    auto batch_with = [&](tv1::Reading bad) {
      tv1::ReadingBatch batch;
      *batch.add_readings() = MakeReading("lp-1", "power_w", 40, now);
      *batch.add_readings() = std::move(bad);
      return batch;
    };
    std::vector<tv1::ReadingBatch> batches = {
        batch_with(MakeReading("nobody", "power_w", 40, now)),
        batch_with(MakeReading("lp-1", "power_w", std::numeric_limits<double>::quiet_NaN(), now)),
        batch_with(MakeReading("lp-1", "power_w", std::numeric_limits<double>::infinity(), now)),
        batch_with(MakeReading("lp-1", "power_w", 40, now + std::chrono::hours(1))),
        batch_with(MakeReading("lp-1", "power_w", 40, now - std::chrono::hours(24 * 30))),
        batch_with(MakeReading("lp-1", "power'); DELETE FROM readings; --", 40, now)),
        tv1::ReadingBatch(),  // empty
    };
    tv1::ReadingBatch oversized;
    for (int i = 0; i < 10001; ++i) {
      *oversized.add_readings() = MakeReading("lp-1", "power_w", 40, now - std::chrono::milliseconds(i));
    }
    batches.push_back(oversized);
    const std::vector<std::string> reasons = {"unknown_asset",   "not_finite", "not_finite",  "future_timestamp",
                                              "stale_timestamp", "bad_metric", "empty_batch", "oversized_batch"};
    auto acks = StreamBatches(f.stub(), batches);
    REQUIRE(acks.size() == batches.size());
    for (size_t i = 0; i < acks.size(); ++i) {
      INFO("batch " << i);
      CHECK(acks[i].code() == 3);
      CHECK(acks[i].accepted() == 0);
      REQUIRE(acks[i].rejections_size() >= 1);
      CHECK(acks[i].rejections(0).reason() == reasons[i]);
      CHECK_FALSE(acks[i].message().empty());
    }

    grpc::ClientContext context;
    tv1::ReportFaultRequest report;
    report.mutable_report()->set_asset_id("nobody");
    report.mutable_report()->set_type(tv1::FAULT_TYPE_POWER_LOSS);
    *report.mutable_report()->mutable_time() = common::ToProtoTime(now);
    tv1::ReportFaultResponse response;
    CHECK(f.stub().ReportFault(&context, report, &response).error_code() == grpc::StatusCode::NOT_FOUND);

    grpc::ClientContext context2;
    report.mutable_report()->set_asset_id("lp-1");
    report.mutable_report()->set_type(tv1::FAULT_TYPE_UNSPECIFIED);
    CHECK(f.stub().ReportFault(&context2, report, &response).error_code() == grpc::StatusCode::INVALID_ARGUMENT);

    CHECK(ReadingKeysOnTopic(f.topics().Name(topics::kTelemetryReadings)).empty());
    CHECK(ConsumeAll(f.topics().Name(topics::kTelemetryReadings), std::chrono::seconds(1)).empty());
    CHECK(f.Scalar("SELECT count(*) FROM readings") == "0");
  }
}

}  // namespace
}  // namespace cityops::testing
