// Crisis mode through incident-correlation's gRPC door, on the real Kafka and
// PostgreSQL: a proposal from the sensors, a supervisor's declaration, the
// incidents grouped and raised, the events on cityops.crises.v1, the end that
// gives back, bad commands that change nothing, and a restart that keeps it.
// Lighting control and crew dispatch are not running here: their actions
// stay to do, saying why (the end-to-end tests run them for real).
#include <catch2/catch.hpp>

#include <fstream>

#include "cityops/common/proto_time.h"
#include "cityops/common/topic_names.h"
#include "cityops/incidents/v1/crisis.grpc.pb.h"
#include "correlation_fixture.h"

namespace cityops::testing {
namespace {

using namespace std::chrono_literals;

// Nothing listens there: the crisis actions fail and are retried.
const std::vector<std::string> kNoNeighbours = {"--lighting-address=127.0.0.1:9", "--dispatch-address=127.0.0.1:9",
                                                "--crisis-action-interval=200ms"};

struct CrisisRig {
  CorrelationFixture f{kNoNeighbours};
  std::unique_ptr<iv1::CrisisDesk::Stub> desk =
      iv1::CrisisDesk::NewStub(grpc::CreateChannel(f.address(), grpc::InsecureChannelCredentials()));

  void Reconnect() {
    desk = iv1::CrisisDesk::NewStub(grpc::CreateChannel(f.address(), grpc::InsecureChannelCredentials()));
  }

  std::vector<iv1::Crisis> List() {
    grpc::ClientContext c;
    iv1::ListCrisesRequest r;
    iv1::ListCrisesResponse out;
    REQUIRE(desk->ListCrises(&c, r, &out).ok());
    return {out.crises().begin(), out.crises().end()};
  }

  iv1::Crisis Get(const std::string& id) {
    grpc::ClientContext c;
    iv1::GetCrisisRequest r;
    r.set_id(id);
    iv1::Crisis out;
    REQUIRE(desk->GetCrisis(&c, r, &out).ok());
    return out;
  }
};

// Snow sensors in districts 3, 5 and 9 (positions inside them).
std::vector<tv1::Asset> SnowSensors() {
  std::vector<tv1::Asset> out;
  const int districts[] = {3, 5, 9};
  for (int i = 0; i < 3; ++i) {
    tv1::Asset a = PlainAsset("ss-" + std::to_string(i + 1), tv1::ASSET_KIND_SNOW_SENSOR, 47.31 + 0.01 * i, 5.03);
    a.set_district(districts[i]);
    out.push_back(a);
  }
  return out;
}

const iv1::CrisisAction* ActionOf(const iv1::Crisis& c, const std::string& id) {
  for (const auto& a : c.actions()) {
    if (a.id() == id) return &a;
  }
  return nullptr;
}

TEST_CASE("Ice in three districts: proposed, declared by a supervisor, grouped and raised, ended and given back") {
  CrisisRig rig;
  const auto sensors = SnowSensors();
  rig.f.PublishAssets(sensors);
  std::vector<tv1::FaultEvent> faults;
  for (const auto& s : sensors)
    faults.push_back(FaultFor(s, tv1::FAULT_TYPE_ICE_ON_ROAD, std::chrono::system_clock::now()));
  rig.f.PublishFaults(faults);

  // The proposal, from the sensors.
  std::vector<iv1::Crisis> crises;
  REQUIRE(Eventually([&] {
    crises = rig.List();
    return crises.size() == 1 && crises[0].status() == iv1::CRISIS_STATUS_PROPOSED;
  }));
  const iv1::Crisis proposal = crises[0];
  CHECK(proposal.playbook() == "snow");
  CHECK(std::vector<int>(proposal.districts().begin(), proposal.districts().end()) == std::vector<int>{3, 5, 9});
  CHECK(proposal.proposed_by() == "platform");

  // Declared by a supervisor over two of the three districts.
  iv1::Crisis declared;
  {
    grpc::ClientContext c;
    iv1::DeclareCrisisRequest r;
    r.set_crisis_id(proposal.id());
    r.add_districts(3);
    r.add_districts(5);
    r.set_actor("sam.supervisor");
    r.set_note("black ice on the main roads");
    REQUIRE(rig.desk->DeclareCrisis(&c, r, &declared).ok());
  }
  CHECK(declared.status() == iv1::CRISIS_STATUS_ACTIVE);
  CHECK(declared.declared_by() == "sam.supervisor");
  CHECK(declared.grouped_incidents() == 2);
  REQUIRE_FALSE(declared.incident_id().empty());

  auto incidents = rig.f.List();
  int raised = 0;
  for (const auto& i : incidents) {
    if (i.rule() == iv1::RULE_CRISIS) {
      CHECK(i.id() == declared.incident_id());
      CHECK(i.status() == iv1::INCIDENT_STATUS_OPEN);
      continue;
    }
    if (i.district() == 9) {
      CHECK(i.crisis_id().empty());
      CHECK(i.priority() == iv1::PRIORITY_HIGH);
    } else {
      CHECK(i.crisis_id() == declared.id());
      CHECK(i.priority() == iv1::PRIORITY_CRITICAL);
      CHECK(i.priority_before_crisis() == iv1::PRIORITY_HIGH);
      ++raised;
    }
  }
  CHECK(raised == 2);

  // Lighting control is unreachable: the action stays to do and says why.
  REQUIRE(Eventually([&] {
    const iv1::Crisis now = rig.Get(declared.id());
    const auto* a = ActionOf(now, "lighting:d3");
    return a != nullptr && a->state() == iv1::CRISIS_ACTION_STATE_PENDING &&
           a->detail().find("lighting-control") != std::string::npos;
  }));

  // Ended: priorities back, the crisis incident resolved.
  iv1::Crisis ended;
  {
    grpc::ClientContext c;
    iv1::EndCrisisRequest r;
    r.set_crisis_id(declared.id());
    r.set_actor("sam.supervisor");
    r.set_note("thaw");
    REQUIRE(rig.desk->EndCrisis(&c, r, &ended).ok());
  }
  CHECK(ended.status() == iv1::CRISIS_STATUS_ENDED);
  CHECK(ended.ended_by() == "sam.supervisor");
  for (const auto& i : rig.f.List()) {
    if (i.rule() == iv1::RULE_CRISIS) {
      CHECK(i.status() == iv1::INCIDENT_STATUS_RESOLVED);
    } else {
      CHECK(i.priority() == iv1::PRIORITY_HIGH);
      CHECK(i.priority_before_crisis() == iv1::PRIORITY_UNSPECIFIED);
    }
  }
  // What may have been made is still to undo: the lighting action waits for lighting control.
  CHECK(ActionOf(ended, "lighting:d3")->state() == iv1::CRISIS_ACTION_STATE_REVERTING);
  CHECK(ActionOf(ended, "priority")->state() == iv1::CRISIS_ACTION_STATE_REVERTED);

  // The events, in order, on the crises topic.
  std::vector<iv1::CrisisChange> changes;
  REQUIRE(Eventually([&] {
    changes.clear();
    for (const auto& m : ConsumeAll(rig.f.topics().Name(topics::kCrises), 1s, 10s)) {
      iv1::CrisisEvent e;
      REQUIRE(e.ParseFromString(m.value));
      CHECK(m.key == e.crisis().id());
      changes.push_back(e.change());
    }
    return std::find(changes.begin(), changes.end(), iv1::CRISIS_CHANGE_ENDED) != changes.end();
  }));
  REQUIRE(changes.size() >= 3);
  CHECK(changes.front() == iv1::CRISIS_CHANGE_PROPOSED);
  CHECK(std::find(changes.begin(), changes.end(), iv1::CRISIS_CHANGE_DECLARED) <
        std::find(changes.begin(), changes.end(), iv1::CRISIS_CHANGE_ENDED));

  // A restart keeps the crisis, its actions and its timeline.
  const iv1::Crisis before = rig.Get(declared.id());
  REQUIRE(rig.f.service().Stop() == 0);
  rig.f.Start(kNoNeighbours);
  rig.Reconnect();
  const iv1::Crisis after = rig.Get(declared.id());
  CHECK(after.status() == iv1::CRISIS_STATUS_ENDED);
  CHECK(after.timeline_size() >= before.timeline_size());
  CHECK(ActionOf(after, "lighting:d3")->state() == iv1::CRISIS_ACTION_STATE_REVERTING);
}

TEST_CASE("Bad crisis commands get clear errors and change nothing") {
  CrisisRig rig;
  iv1::Crisis out;
  auto declare = [&](const std::string& playbook, std::vector<int> districts, const std::string& actor) {
    grpc::ClientContext c;
    iv1::DeclareCrisisRequest r;
    r.set_playbook(playbook);
    for (int d : districts) r.add_districts(d);
    r.set_actor(actor);
    return rig.desk->DeclareCrisis(&c, r, &out);
  };
  const auto unknown_district = declare("snow", {3, 99}, "sam.supervisor");
  CHECK(unknown_district.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(unknown_district.error_message(), Catch::Contains("unknown district 99"));
  CHECK(declare("snow", {}, "sam.supervisor").error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(declare("snow", {3}, "").error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  const auto unknown_playbook = declare("tornado", {3}, "sam.supervisor");
  CHECK(unknown_playbook.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK_THAT(unknown_playbook.error_message(), Catch::Contains("tornado"));
  CHECK(rig.List().empty());
  CHECK(rig.f.Scalar("SELECT count(*) FROM crises") == "0");
  CHECK(rig.f.Scalar("SELECT count(*) FROM incidents") == "0");

  {
    grpc::ClientContext c;
    iv1::EndCrisisRequest r;
    r.set_crisis_id("CRI-00000042");
    r.set_actor("sam.supervisor");
    CHECK(rig.desk->EndCrisis(&c, r, &out).error_code() == grpc::StatusCode::NOT_FOUND);
  }
  REQUIRE(declare("flood", {7}, "sam.supervisor").ok());
  const std::string id = out.id();
  CHECK(declare("flood", {8}, "sam.supervisor").error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  {
    grpc::ClientContext c;
    iv1::EndCrisisRequest r;
    r.set_crisis_id(id);
    r.set_actor("sam.supervisor");
    REQUIRE(rig.desk->EndCrisis(&c, r, &out).ok());
  }
  {
    grpc::ClientContext c;
    iv1::EndCrisisRequest r;
    r.set_crisis_id(id);
    r.set_actor("sam.supervisor");
    const auto again = rig.desk->EndCrisis(&c, r, &out);
    CHECK(again.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
    CHECK_THAT(again.error_message(), Catch::Contains("not active"));
  }
  {
    grpc::ClientContext c;
    iv1::ListCrisesRequest r;
    r.set_page_size(1000);
    iv1::ListCrisesResponse page;
    CHECK(rig.desk->ListCrises(&c, r, &page).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    grpc::ClientContext c;
    iv1::ListPlaybooksRequest r;
    iv1::ListPlaybooksResponse playbooks;
    REQUIRE(rig.desk->ListPlaybooks(&c, r, &playbooks).ok());
    std::vector<std::string> ids;
    for (const auto& p : playbooks.playbooks()) ids.push_back(p.id());
    CHECK(ids == std::vector<std::string>{"snow", "flood"});
  }
}

TEST_CASE("A playbook file with an error is refused at start, naming the line") {
  const std::string path = "/tmp/" + UniqueName("playbooks") + ".json";
  std::ofstream(path) << "{\n  \"playbooks\": [\n    {\"id\": \"snow\", \"name\": \"Snow\", \"description\": \"d\",\n"
                         "     \"trigger\": {\"fault_types\": [\"ICE_ON_ROAD\"]},\n"
                         "     \"actions\": [{\"kind\": \"flash_lights\"}]}\n  ]\n}\n";
  TestSchema schema("ic");
  const std::string log = "/tmp/" + UniqueName("ic_bad_playbooks") + ".log";
  const std::string command = std::string(INCIDENT_CORRELATION_BINARY) + " --pg-dsn='" + schema.dsn() +
                              "' --pg-schema=" + schema.name() + " --playbooks-file=" + path +
                              " --grpc-address=127.0.0.1:0 --metrics-address=127.0.0.1:0 > " + log + " 2>&1";
  const int status = std::system(command.c_str());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
  const std::string output = ReadFile(log);
  CHECK_THAT(output, Catch::Contains(":5:"));
  CHECK_THAT(output, Catch::Contains("flash_lights"));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace cityops::testing
