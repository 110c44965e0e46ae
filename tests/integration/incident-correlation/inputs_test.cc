// What comes in on Kafka: malformed messages are set aside without stopping
// the consumer; residents' requests link to the incident they describe.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

#include "cityops/common/topic_names.h"
#include "correlation_fixture.h"

namespace cityops::testing {
namespace {

using namespace std::chrono_literals;

TEST_CASE("Malformed input messages are counted, kept with their offset, and do not stop the consumer") {
  CorrelationFixture f;
  f.Publish(topics::kTelemetryFaults, "junk", "\xff\xfe not a protobuf \x01\x02");
  auto nameless = FaultFor(PlainAsset("tc-1", tv1::ASSET_KIND_TRAFFIC_CONTROLLER, 47.33, 5.03),
                           tv1::FAULT_TYPE_DEVICE_FAILURE, std::chrono::system_clock::now());
  nameless.clear_asset_id();
  f.Publish(topics::kTelemetryFaults, "tc-1", nameless.SerializeAsString());
  f.Publish(topics::kCallsRequests, "r-1", "garbage");
  // A good one after them still gets through.
  f.PublishFaults({FaultFor(PlainAsset("tc-2", tv1::ASSET_KIND_TRAFFIC_CONTROLLER, 47.33, 5.04),
                            tv1::FAULT_TYPE_DEVICE_FAILURE, std::chrono::system_clock::now())});
  const auto incidents = f.WaitUntil([](const auto& all) { return all.size() == 1; });
  REQUIRE(incidents.size() == 1);
  CHECK(incidents.front().asset_id() == "tc-2");
  CHECK(f.Scalar("SELECT count(*) FROM dead_letters") == "3");
  CHECK(f.Scalar("SELECT reason FROM dead_letters WHERE key = 'tc-1'::bytea") == "no asset id");
  CHECK(f.Scalar("SELECT count(*) FROM dead_letters WHERE \"offset\" >= 0 AND partition >= 0") == "3");
  const auto faults_topic = f.topics().Name(topics::kTelemetryFaults);
  CHECK(ScrapeMetric(f.service().metrics_port(),
                     "cityops_incident_correlation_messages_set_aside_total{reason=\"no "
                     "asset id\",topic=\"" +
                         faults_topic + "\"}") == 1);
  CHECK_THAT(ReadFile(f.service().log_path()), Catch::Contains("set aside " + faults_topic));
}

TEST_CASE("A resident's request near a matching incident links to it, one far away opens its own") {
  CorrelationFixture f;
  std::vector<tv1::Asset> assets{CabinetAsset("cab-3")};
  for (int i = 0; i < 5; ++i) assets.push_back(LampAsset("cab-3", i));
  f.PublishAssets(assets);
  const auto now = std::chrono::system_clock::now();
  f.PublishFaults({FaultFor(assets[2], tv1::FAULT_TYPE_LAMP_FAILURE, now)});
  REQUIRE(f.WaitUntil([](const auto& all) { return all.size() == 1; }).size() == 1);

  // 60 m north of the dark lamp, and 2 km away.
  const double lat = assets[2].location().lat();
  f.Publish(topics::kCallsRequests, "req-1",
            RequestAt("req-1", "street_lighting", lat + 60.0 / 111195.0, 5.0400, now).SerializeAsString());
  f.Publish(topics::kCallsRequests, "req-2",
            RequestAt("req-2", "street_lighting", lat + 2000.0 / 111195.0, 5.0400, now).SerializeAsString());
  const auto incidents = f.WaitUntil([](const auto& all) {
    int requests = 0;
    for (const auto& i : all) requests += i.requests_size();
    return requests == 2;
  });
  REQUIRE(incidents.size() == 2);
  for (const auto& i : incidents) {
    REQUIRE(i.requests_size() == 1);
    if (i.rule() == iv1::RULE_DEDUPLICATION) {
      CHECK(i.requests(0).request_id() == "req-1");
      CHECK(i.requests(0).distance_m() == Approx(60).margin(2));
    } else {
      CHECK(i.rule() == iv1::RULE_RESIDENT_CALL);
      CHECK(i.requests(0).request_id() == "req-2");
      CHECK(i.category() == "street_lighting");
    }
  }
}

TEST_CASE("A rules file with a mistake stops the service at start, naming the field") {
  const std::string path = "/tmp/" + UniqueName("bad_rules") + ".json";
  std::ofstream(path) << R"({"deduplication": {"resolve_hold_s": 30, "reopen_window_s": 600, "flapping_reopen": 3}})";
  TestSchema schema("ic");
  const std::string log = "/tmp/" + UniqueName("ic_bad_rules") + ".log";
  const std::string command = std::string(INCIDENT_CORRELATION_BINARY) + " --pg-dsn='" + schema.dsn() +
                              "' --pg-schema=" + schema.name() + " --rules-file=" + path +
                              " --grpc-address=127.0.0.1:0 --metrics-address=127.0.0.1:0 > " + log + " 2>&1";
  const int status = std::system(command.c_str());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
  CHECK_THAT(ReadFile(log), Catch::Contains("deduplication.flapping_reopen: unknown field"));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace cityops::testing
