// Readings reach Kafka exactly as acknowledged, and the history and state follow.
#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

#include "cityops/common/proto_time.h"
#include "cityops/common/topic_names.h"
#include "ingest_fixture.h"

namespace cityops::testing {
namespace {

void RegisterLine(IngestFixture& f, const std::string& cabinet, int lamps) {
  tv1::RegisterAssetsRequest request;
  *request.add_assets() = Cabinet(cabinet);
  for (int i = 0; i < lamps; ++i) *request.add_assets() = LightPoint(cabinet + "-lp" + std::to_string(i), cabinet);
  grpc::ClientContext context;
  tv1::RegisterAssetsResponse response;
  auto status = f.stub().RegisterAssets(&context, request, &response);
  REQUIRE(status.ok());
  REQUIRE(response.registered() == static_cast<uint32_t>(lamps + 1));
}

TEST_CASE("acknowledged readings are exactly the readings on the topic, and history and state follow") {
  IngestFixture f;
  RegisterLine(f, "cab-1", 50);
  const auto now = std::chrono::system_clock::now();

  std::vector<tv1::ReadingBatch> batches;
  for (int b = 0; b < 20; ++b) {
    tv1::ReadingBatch batch;
    batch.set_batch_id(static_cast<uint64_t>(b));
    for (int i = 0; i < 500; ++i) {
      const auto t = now - std::chrono::seconds(60) + std::chrono::milliseconds(b * 500 + i);
      *batch.add_readings() = MakeReading("cab-1-lp" + std::to_string(i % 50), "power_w", 40.0 + i % 5, t);
    }
    if (b == 7) {  // one bad reading: the whole batch is refused
      batch.mutable_readings(123)->set_asset_id("no-such-lamp");
    }
    batches.push_back(batch);
  }
  auto acks = StreamBatches(f.stub(), batches);
  REQUIRE(acks.size() == batches.size());

  std::multiset<ReadingKey> acknowledged;
  for (size_t i = 0; i < acks.size(); ++i) {
    CHECK(acks[i].batch_id() == i);  // answered in order
    if (i == 7) {
      CHECK(acks[i].code() == 3);
      REQUIRE(acks[i].rejections_size() == 1);
      CHECK(acks[i].rejections(0).index() == 123);
      CHECK(acks[i].rejections(0).reason() == "unknown_asset");
      continue;
    }
    CHECK(acks[i].code() == 0);
    CHECK(acks[i].accepted() == 500);
    for (const auto& r : batches[i].readings()) acknowledged.insert(KeyOf(r));
  }
  REQUIRE(acknowledged.size() == 19 * 500);

  auto on_topic = ReadingKeysOnTopic(f.topics().Name(topics::kTelemetryReadings));
  std::multiset<ReadingKey> published(on_topic.begin(), on_topic.end());
  CHECK(published == acknowledged);

  // The consumer writes each reading to the history once, and keeps the latest state.
  CHECK(f.WaitForScalar("SELECT count(*) FROM readings", "9500") == "9500");
  CHECK(f.Scalar("SELECT count(*) FROM readings WHERE asset_id = 'no-such-lamp'") == "0");

  grpc::ClientContext context;
  tv1::GetReadingHistoryRequest history_request;
  history_request.set_asset_id("cab-1-lp3");
  history_request.set_metric("power_w");
  *history_request.mutable_from() = common::ToProtoTime(now - std::chrono::minutes(5));
  *history_request.mutable_to() = common::ToProtoTime(now + std::chrono::minutes(1));
  tv1::GetReadingHistoryResponse history;
  REQUIRE(f.stub().GetReadingHistory(&context, history_request, &history).ok());
  CHECK(history.readings_size() == 190);  // 10 per good batch
  CHECK_FALSE(history.truncated());
  CHECK(std::is_sorted(history.readings().begin(), history.readings().end(), [](const auto& a, const auto& b) {
    return common::FromProtoTime(a.time()) < common::FromProtoTime(b.time());
  }));

  grpc::ClientContext state_context;
  tv1::GetAssetStateRequest state_request;
  state_request.set_asset_id("cab-1-lp3");
  tv1::AssetState state;
  REQUIRE(f.stub().GetAssetState(&state_context, state_request, &state).ok());
  CHECK(state.health() == tv1::HEALTH_OK);
  REQUIRE(state.latest_size() == 1);
  CHECK(state.latest(0).metric() == "power_w");
  // PostgreSQL keeps microseconds.
  const auto micros = [](const google::protobuf::Timestamp& t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(common::FromProtoTime(t).time_since_epoch()).count();
  };
  CHECK(micros(state.latest(0).time()) == micros(history.readings(189).time()));
}

TEST_CASE("registering assets publishes them on the compacted assets topic") {
  IngestFixture f;
  RegisterLine(f, "cab-7", 3);
  tv1::RetireAssetRequest retire;
  retire.set_id("cab-7-lp2");
  grpc::ClientContext context;
  tv1::Asset retired;
  REQUIRE(f.stub().RetireAsset(&context, retire, &retired).ok());
  CHECK(retired.retired());
  CHECK(retired.version() == 2);

  // The relay publishes in id order: 4 registrations then 1 retirement.
  std::vector<common::ConsumedMessage> messages;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (messages.size() < 5 && std::chrono::steady_clock::now() < deadline) {
    messages = ConsumeAll(f.topics().Name(topics::kTelemetryAssets), std::chrono::milliseconds(500));
  }
  REQUIRE(messages.size() == 5);
  std::set<std::string> event_ids;
  std::vector<tv1::AssetEvent> of_lamp;  // one key: in order
  for (const auto& m : messages) {
    tv1::AssetEvent e;
    REQUIRE(e.ParseFromString(m.value));
    CHECK(m.key == e.asset().id());
    event_ids.insert(e.meta().event_id());
    if (e.asset().id() == "cab-7-lp2") of_lamp.push_back(e);
  }
  CHECK(event_ids.size() == 5);
  REQUIRE(of_lamp.size() == 2);
  CHECK(of_lamp[0].change() == tv1::ASSET_CHANGE_REGISTERED);
  CHECK(of_lamp[1].change() == tv1::ASSET_CHANGE_RETIRED);
  CHECK(of_lamp[1].asset().retired());
  CHECK(f.WaitForScalar("SELECT count(*) FROM outbox", "0") == "0");
}

}  // namespace
}  // namespace cityops::testing
