#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "cityops/common/kafka.h"
#include "cityops/common/topic_names.h"

using cityops::common::LoadTopicSpecs;

namespace {

// A temporary folder removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("cityops_topics_test_" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string Write(const std::string& name, const std::string& text) const {
    const auto file = path_ / name;
    std::ofstream(file) << text;
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

std::string OneTopic(const std::string& fields) { return R"({"topics":[{)" + fields + "}]}"; }

constexpr const char* kGood =
    R"("name":"a.b.v1","key":"asset id","value_type":"x.v1.Y","partitions":3,"replication":1)";

}  // namespace

TEST_CASE("The real deploy/topics.json loads", "[topics]") {
  auto specs = LoadTopicSpecs(std::string(CITYOPS_SOURCE_DIR) + "/deploy/topics.json");
  REQUIRE(specs.ok());
  REQUIRE_FALSE(specs->empty());
  bool readings_found = false;
  for (const auto& spec : *specs) {
    INFO(spec.name);
    CHECK(spec.name.rfind("cityops.", 0) == 0);
    CHECK(spec.name.substr(spec.name.size() - 3) == ".v1");
    CHECK(spec.partitions >= 1);
    CHECK(spec.replication >= 1);
    CHECK_FALSE(spec.value_type.empty());
    if (spec.name == "cityops.telemetry.readings.v1") {
      readings_found = true;
      CHECK(spec.partitions == 12);
      CHECK(spec.value_type == "cityops.telemetry.v1.TelemetryRecord");
      CHECK(spec.config.at("cleanup.policy") == "delete");
      CHECK(spec.config.at("retention.ms") == "86400000");
    }
  }
  CHECK(readings_found);
}

TEST_CASE("Every topic the code names is declared in deploy/topics.json", "[topics]") {
  auto specs = LoadTopicSpecs(std::string(CITYOPS_SOURCE_DIR) + "/deploy/topics.json");
  REQUIRE(specs.ok());
  for (std::string_view name :
       {cityops::topics::kTelemetryAssets, cityops::topics::kTelemetryReadings, cityops::topics::kTelemetryFaults,
        cityops::topics::kCallsRequests, cityops::topics::kIncidents, cityops::topics::kDispatchAssignments,
        cityops::topics::kDispatchCrews, cityops::topics::kLightingCommands, cityops::topics::kCrises}) {
    INFO(name);
    bool declared = false;
    for (const auto& spec : *specs) declared = declared || spec.name == name;
    CHECK(declared);
  }
}

TEST_CASE("A good file gives its topics", "[topics]") {
  TempDir dir;
  auto specs =
      LoadTopicSpecs(dir.Write("t.json", OneTopic(std::string(kGood) + R"(,"config":{"retention.ms":"1000"})")));
  REQUIRE(specs.ok());
  REQUIRE(specs->size() == 1);
  CHECK((*specs)[0].name == "a.b.v1");
  CHECK((*specs)[0].key == "asset id");
  CHECK((*specs)[0].partitions == 3);
  CHECK((*specs)[0].config.at("retention.ms") == "1000");
}

TEST_CASE("A missing file is NOT_FOUND naming the path", "[topics]") {
  TempDir dir;
  auto specs = LoadTopicSpecs(dir.Write("x", "") + ".absent");
  REQUIRE_FALSE(specs.ok());
  CHECK(specs.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(specs.status().message()), Catch::Contains("x.absent"));
}

TEST_CASE("Bad content is INVALID_ARGUMENT naming the topic and the field", "[topics]") {
  TempDir dir;
  struct Case {
    const char* what;
    std::string text;
    std::vector<std::string> mentions;
  };
  const std::vector<Case> cases = {
      {"not JSON", "{\"topics\": [", {"not valid JSON"}},
      {"no topics array", R"({"topic": []})", {"'topics'"}},
      {"topics not an array", R"({"topics": {}})", {"'topics'"}},
      {"topic not an object", R"({"topics": [3]})", {"topics[0]"}},
      {"no name", OneTopic(R"("key":"k","value_type":"v","partitions":1,"replication":1)"), {"topics[0]", "'name'"}},
      {"illegal name",
       OneTopic(R"("name":"a b","key":"k","value_type":"v","partitions":1,"replication":1)"),
       {"'name'", "a b"}},
      {"zero partitions",
       OneTopic(R"("name":"t1","key":"k","value_type":"v","partitions":0,"replication":1)"),
       {"t1", "'partitions'"}},
      {"partitions as string",
       OneTopic(R"("name":"t1","key":"k","value_type":"v","partitions":"3","replication":1)"),
       {"t1", "'partitions'"}},
      {"no replication", OneTopic(R"("name":"t2","key":"k","value_type":"v","partitions":1)"), {"t2", "'replication'"}},
      {"empty value_type",
       OneTopic(R"("name":"t3","key":"k","value_type":"","partitions":1,"replication":1)"),
       {"t3", "'value_type'"}},
      {"config value not a string",
       OneTopic(std::string(kGood) + R"(,"config":{"retention.ms":1000})"),
       {"a.b.v1", "retention.ms"}},
      {"unknown field", OneTopic(std::string(kGood) + R"(,"partition":4)"), {"a.b.v1", "'partition'"}},
      {"duplicate", "{\"topics\":[{" + std::string(kGood) + "},{" + kGood + "}]}", {"a.b.v1", "twice"}},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    auto specs = LoadTopicSpecs(dir.Write("bad.json", c.text));
    REQUIRE_FALSE(specs.ok());
    CHECK(specs.status().code() == absl::StatusCode::kInvalidArgument);
    for (const std::string& m : c.mentions) CHECK_THAT(std::string(specs.status().message()), Catch::Contains(m));
  }
}

TEST_CASE("CreateMissingTopics refuses an illegal prefixed name before contacting Kafka", "[topics]") {
  cityops::common::TopicSpec spec;
  spec.name = "ok.v1";
  cityops::common::KafkaSettings settings;
  settings.bootstrap = "127.0.0.1:1";
  auto result = cityops::common::CreateMissingTopics(settings, {spec}, "bad prefix/", std::chrono::seconds(1));
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(result.status().message()), Catch::Contains("bad prefix/ok.v1"));
}
