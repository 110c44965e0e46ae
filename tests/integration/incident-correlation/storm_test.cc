// The storm cases of the issue, on the real broker and database: forty dark
// lamps make one incident on their cabinet, recovery resolves it, and a
// service killed mid-storm or replaying its inputs opens nothing twice.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <thread>

#include "cityops/common/topic_names.h"
#include "correlation_fixture.h"

namespace cityops::testing {
namespace {

using namespace std::chrono_literals;

bool OneOpenOn(const std::vector<iv1::Incident>& incidents, const std::string& asset, int symptoms) {
  int matching = 0;
  int open = 0;
  for (const auto& i : incidents) {
    if (i.status() != iv1::INCIDENT_STATUS_OPEN) continue;
    ++open;
    if (i.asset_id() == asset && i.symptoms_size() == symptoms) ++matching;
  }
  return open == 1 && matching == 1;
}

TEST_CASE(
    "A cabinet whose 40 lamps go dark within a minute gives one incident with 40 symptoms, recovery resolves it") {
  CorrelationFixture f;
  std::vector<tv1::Asset> assets{CabinetAsset("cab-7")};
  for (int i = 0; i < 40; ++i) assets.push_back(LampAsset("cab-7", i));
  f.PublishAssets(assets);

  const auto t0 = std::chrono::system_clock::now() - 2min;
  std::vector<tv1::FaultEvent> dark;
  for (int i = 0; i < 40; ++i) {
    dark.push_back(FaultFor(assets[static_cast<size_t>(i + 1)], tv1::FAULT_TYPE_LAMP_FAILURE, t0 + i * 1500ms));
  }
  f.PublishFaults(dark);
  auto incidents = f.WaitUntil([](const auto& all) { return OneOpenOn(all, "cab-7", 40); });
  REQUIRE(OneOpenOn(incidents, "cab-7", 40));
  iv1::Incident cabinet;
  for (const auto& i : incidents) {
    if (i.status() == iv1::INCIDENT_STATUS_OPEN) cabinet = i;
  }
  CHECK(cabinet.rule() == iv1::RULE_TOPOLOGY);
  CHECK(cabinet.asset_kind() == tv1::ASSET_KIND_CONTROL_CABINET);
  CHECK_THAT(cabinet.title(), Catch::Contains("cabinet power loss"));
  CHECK_THAT(cabinet.explanation(), Catch::Contains("40 of 40 children"));
  // The lamps that failed before the threshold were folded in, not left open.
  for (const auto& i : incidents) {
    if (i.id() != cabinet.id()) {
      CHECK(i.status() == iv1::INCIDENT_STATUS_MERGED);
      CHECK(i.merged_into() == cabinet.id());
    }
  }
  CHECK(incidents.size() <= 3);

  std::vector<tv1::FaultEvent> back;
  for (int i = 0; i < 40; ++i) {
    back.push_back(FaultFor(assets[static_cast<size_t>(i + 1)], tv1::FAULT_TYPE_LAMP_FAILURE, t0 + 90s, false));
  }
  f.PublishFaults(back);
  incidents = f.WaitUntil([&](const auto& all) {
    for (const auto& i : all) {
      if (i.id() == cabinet.id()) return i.status() == iv1::INCIDENT_STATUS_RESOLVED;
    }
    return false;
  });
  bool resolved = false;
  for (const auto& i : incidents) {
    if (i.id() == cabinet.id()) {
      resolved = i.status() == iv1::INCIDENT_STATUS_RESOLVED;
      CHECK(i.resolved_by() == "incident-correlation");
      CHECK_THAT(i.resolution(), Catch::Contains("recovered"));
    }
  }
  CHECK(resolved);

  // The topic tells the same story, keyed by incident id.
  const auto events = IncidentEventsOnTopic(f.topics().Name(topics::kIncidents));
  std::vector<iv1::IncidentChange> cabinet_changes;
  for (const auto& e : events) {
    if (e.incident().id() == cabinet.id()) cabinet_changes.push_back(e.change());
  }
  REQUIRE_FALSE(cabinet_changes.empty());
  CHECK(cabinet_changes.front() == iv1::INCIDENT_CHANGE_OPENED);
  CHECK(cabinet_changes.back() == iv1::INCIDENT_CHANGE_RESOLVED);
  CHECK(ScrapeMetric(f.service().metrics_port(), "cityops_incident_correlation_faults_in_total{state=\"raised\"}") ==
        40);
}

// Ten cabinets of 40 lamps and 20 junctions, published in two halves.
struct Storm {
  std::vector<tv1::Asset> assets;
  std::vector<tv1::FaultEvent> first, second;
};

Storm MakeStorm() {
  Storm s;
  const auto t0 = std::chrono::system_clock::now() - 5min;
  std::vector<tv1::FaultEvent> all;
  for (int c = 0; c < 10; ++c) {
    const std::string cab = "cab-" + std::to_string(c);
    s.assets.push_back(CabinetAsset(cab, 47.30 + 0.01 * c, 5.02));
    for (int i = 0; i < 40; ++i) {
      s.assets.push_back(LampAsset(cab, i, 47.30 + 0.01 * c, 5.02));
      all.push_back(FaultFor(s.assets.back(), tv1::FAULT_TYPE_SILENT, t0 + std::chrono::seconds(i)));
    }
  }
  for (int j = 0; j < 20; ++j) {
    s.assets.push_back(
        PlainAsset("tc-" + std::to_string(j), tv1::ASSET_KIND_TRAFFIC_CONTROLLER, 47.33, 5.03 + 0.01 * j));
    all.push_back(FaultFor(s.assets.back(), tv1::FAULT_TYPE_DEVICE_FAILURE, t0 + 10s));
  }
  // Interleave so that every cabinet is half-way through when the service dies.
  for (size_t k = 0; k < all.size(); ++k) (k % 2 == 0 ? s.first : s.second).push_back(all[k]);
  return s;
}

// (asset, rule, status, symptoms) of each incident that is not merged.
std::multiset<std::tuple<std::string, int, int, int>> Outcome(const std::vector<iv1::Incident>& incidents) {
  std::multiset<std::tuple<std::string, int, int, int>> out;
  for (const auto& i : incidents) {
    if (i.status() != iv1::INCIDENT_STATUS_MERGED) out.insert({i.asset_id(), i.rule(), i.status(), i.symptoms_size()});
  }
  return out;
}

bool StormDone(const std::vector<iv1::Incident>& incidents) {
  int cabinets = 0;
  int junctions = 0;
  for (const auto& i : incidents) {
    if (i.status() != iv1::INCIDENT_STATUS_OPEN) continue;
    if (i.rule() == iv1::RULE_TOPOLOGY && i.symptoms_size() == 40) ++cabinets;
    if (i.asset_kind() == tv1::ASSET_KIND_TRAFFIC_CONTROLLER) ++junctions;
  }
  return cabinets == 10 && junctions == 20;
}

TEST_CASE("Killed mid-storm and restarted, then replaying every input: the same incidents, none twice") {
  CorrelationFixture f;
  const Storm storm = MakeStorm();
  f.PublishAssets(storm.assets);
  f.PublishFaults(storm.first);
  REQUIRE(f.WaitForApplied(static_cast<int>(storm.first.size()) / 2));
  f.service().Kill();
  f.PublishFaults(storm.second);
  f.Start();
  auto incidents = f.WaitUntil(StormDone, 60s);
  REQUIRE(StormDone(incidents));
  CHECK(f.Scalar("SELECT count(*) FROM applied_events") == std::to_string(storm.first.size() + storm.second.size()));
  CHECK(f.Scalar("SELECT count(*) FROM incidents WHERE status IN (1, 2)") == "30");
  // Exactly one open incident per cabinet and per junction.
  CHECK(f.Scalar("SELECT count(*) FROM (SELECT asset_id FROM incidents WHERE status IN (1, 2) GROUP BY asset_id "
                 "HAVING count(*) > 1) d") == "0");
  const auto before = Outcome(incidents);
  const auto events_before = f.Scalar("SELECT count(*) FROM incidents");

  // A new consumer group reads every input again from the start: all replays.
  f.service().Stop();
  f.Start({"--consumer-group=" + UniqueName("replay")});
  const int total = static_cast<int>(storm.first.size() + storm.second.size());
  bool replayed = false;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!replayed && std::chrono::steady_clock::now() < deadline) {
    replayed = ScrapeMetric(f.service().metrics_port(), "cityops_incident_correlation_inputs_replayed_total") >= total;
    std::this_thread::sleep_for(100ms);
  }
  CHECK(replayed);
  CHECK(Outcome(f.List()) == before);
  CHECK(f.Scalar("SELECT count(*) FROM incidents") == events_before);
}

TEST_CASE("A second instance on the same schema waits for the writer's lock, and takes over when the first stops") {
  CorrelationFixture f;
  const std::string log = "/tmp/" + UniqueName("incident_correlation_second") + ".log";
  std::unique_ptr<ServiceProcess> second;
  std::thread starter([&] { second = std::make_unique<ServiceProcess>(INCIDENT_CORRELATION_BINARY, f.Args(), log); });
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (ReadFile(log).find("writer's lock") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
  }
  CHECK_THAT(ReadFile(log), Catch::Contains("another instance holds the writer's lock"));
  CHECK(ReadFile(log).find("ready in") == std::string::npos);
  CHECK(f.service().Stop() == 0);
  starter.join();
  REQUIRE(second != nullptr);
  CHECK(second->grpc_port() > 0);
  CHECK_THAT(ReadFile(log), Catch::Contains("ready in"));
  CHECK(second->Stop() == 0);
}

}  // namespace
}  // namespace cityops::testing
