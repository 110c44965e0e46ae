// The gRPC door: commands with who and when, filters and paging, the watch
// stream, and clear statuses for bad requests.
#include <catch2/catch.hpp>

#include <set>
#include <thread>

#include "cityops/common/proto_time.h"
#include "cityops/common/topic_names.h"
#include "correlation_fixture.h"

namespace cityops::testing {
namespace {

using namespace std::chrono_literals;

// Opens one incident per junction and returns them (newest first).
std::vector<iv1::Incident> OpenJunctionIncidents(CorrelationFixture& f, int n) {
  std::vector<tv1::FaultEvent> faults;
  for (int j = 0; j < n; ++j) {
    const auto tc = PlainAsset("tc-" + std::to_string(j), tv1::ASSET_KIND_TRAFFIC_CONTROLLER, 47.33, 5.03 + 0.01 * j);
    faults.push_back(FaultFor(tc, tv1::FAULT_TYPE_DEVICE_FAILURE, std::chrono::system_clock::now()));
  }
  f.PublishFaults(faults);
  auto incidents = f.WaitUntil([&](const auto& all) { return static_cast<int>(all.size()) == n; });
  REQUIRE(static_cast<int>(incidents.size()) == n);
  return incidents;
}

TEST_CASE("Acknowledge, assign, note, resolve and reopen record who and when, wrong transitions are refused") {
  CorrelationFixture f;
  const std::string id = OpenJunctionIncidents(f, 1).front().id();
  auto& stub = f.stub();
  iv1::Incident out;
  {
    grpc::ClientContext c;
    iv1::AcknowledgeIncidentRequest r;
    r.set_id(id);
    r.set_actor("alice");
    REQUIRE(stub.AcknowledgeIncident(&c, r, &out).ok());
    CHECK(out.status() == iv1::INCIDENT_STATUS_ACKNOWLEDGED);
    CHECK(out.acknowledged_by() == "alice");
    CHECK(out.has_acknowledged_at());
  }
  {
    grpc::ClientContext c;
    iv1::AcknowledgeIncidentRequest r;
    r.set_id(id);
    r.set_actor("bob");
    CHECK(stub.AcknowledgeIncident(&c, r, &out).error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  }
  {
    grpc::ClientContext c;
    iv1::AssignIncidentRequest r;
    r.set_id(id);
    r.set_actor("alice");
    r.set_owner("signals-team");
    r.set_note("controller board suspected");
    REQUIRE(stub.AssignIncident(&c, r, &out).ok());
    CHECK(out.owner() == "signals-team");
  }
  {
    grpc::ClientContext c;
    iv1::ResolveIncidentRequest r;
    r.set_id(id);
    r.set_actor("bob");
    r.set_note("board replaced");
    REQUIRE(stub.ResolveIncident(&c, r, &out).ok());
    CHECK(out.status() == iv1::INCIDENT_STATUS_RESOLVED);
    CHECK(out.resolved_by() == "bob");
  }
  {
    grpc::ClientContext c;
    iv1::ResolveIncidentRequest r;
    r.set_id(id);
    r.set_actor("bob");
    const auto s = stub.ResolveIncident(&c, r, &out);
    CHECK(s.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
    CHECK_THAT(s.error_message(), Catch::Contains("resolved"));
  }
  {
    grpc::ClientContext c;
    iv1::ReopenIncidentRequest r;
    r.set_id(id);
    r.set_actor("carol");
    r.set_reason("still flashing amber");
    REQUIRE(stub.ReopenIncident(&c, r, &out).ok());
    CHECK(out.status() == iv1::INCIDENT_STATUS_OPEN);
  }
  // Stored as answered; and every command is an event with its actor.
  {
    grpc::ClientContext c;
    iv1::GetIncidentRequest r;
    r.set_id(id);
    iv1::Incident stored;
    REQUIRE(stub.GetIncident(&c, r, &stored).ok());
    CHECK(stored.status() == iv1::INCIDENT_STATUS_OPEN);
    CHECK(stored.notes_size() == 3);
    CHECK(stored.notes(2).author() == "carol");
  }
  std::vector<std::pair<int, std::string>> commands;
  for (const auto& e : IncidentEventsOnTopic(f.topics().Name(topics::kIncidents))) {
    if (!e.actor().empty()) commands.emplace_back(e.change(), e.actor());
  }
  CHECK(commands == std::vector<std::pair<int, std::string>>{{iv1::INCIDENT_CHANGE_ACKNOWLEDGED, "alice"},
                                                             {iv1::INCIDENT_CHANGE_ASSIGNED, "alice"},
                                                             {iv1::INCIDENT_CHANGE_RESOLVED, "bob"},
                                                             {iv1::INCIDENT_CHANGE_REOPENED, "carol"}});
}

TEST_CASE("Bad requests get a clear status and change nothing") {
  CorrelationFixture f;
  const std::string id = OpenJunctionIncidents(f, 1).front().id();
  auto& stub = f.stub();
  iv1::Incident out;
  {
    grpc::ClientContext c;
    iv1::GetIncidentRequest r;
    r.set_id("INC-99999999");
    const auto s = stub.GetIncident(&c, r, &out);
    CHECK(s.error_code() == grpc::StatusCode::NOT_FOUND);
    CHECK_THAT(s.error_message(), Catch::Contains("INC-99999999"));
  }
  {
    grpc::ClientContext c;
    iv1::AcknowledgeIncidentRequest r;
    r.set_id("INC-99999999");
    r.set_actor("alice");
    CHECK(stub.AcknowledgeIncident(&c, r, &out).error_code() == grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext c;
    iv1::AcknowledgeIncidentRequest r;
    r.set_id(id);  // no actor
    const auto s = stub.AcknowledgeIncident(&c, r, &out);
    CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(s.error_message(), Catch::Contains("actor"));
  }
  {
    grpc::ClientContext c;
    iv1::AssignIncidentRequest r;
    r.set_id(id);
    r.set_actor("alice");  // no owner
    CHECK(stub.AssignIncident(&c, r, &out).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  }
  auto list_status = [&](const std::function<void(iv1::ListIncidentsRequest&)>& edit) {
    iv1::ListIncidentsRequest r;
    edit(r);
    iv1::ListIncidentsResponse response;
    grpc::ClientContext c;
    return stub.ListIncidents(&c, r, &response);
  };
  CHECK(list_status([](auto& r) { r.set_page_size(5000); }).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(list_status([](auto& r) {
          r.mutable_filter()->add_statuses(static_cast<iv1::IncidentStatus>(42));
        }).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(list_status([](auto& r) { r.set_page_token("'; DROP TABLE incidents; --"); }).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(list_status([](auto& r) {
          auto* box = r.mutable_filter()->mutable_within();
          box->mutable_south_west()->set_lat(47.4);
          box->mutable_north_east()->set_lat(47.2);
        }).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(list_status([](auto& r) {
          *r.mutable_filter()->mutable_opened_after() = common::ToProtoTime(std::chrono::system_clock::now());
          *r.mutable_filter()->mutable_opened_before() =
              common::ToProtoTime(std::chrono::system_clock::now() - std::chrono::hours(1));
        }).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  // Nothing changed.
  const auto after = f.List();
  REQUIRE(after.size() == 1);
  CHECK(after.front().status() == iv1::INCIDENT_STATUS_OPEN);
  CHECK(after.front().notes_size() == 0);
}

TEST_CASE("List filters by status, priority, district and area, and pages without gaps or repeats") {
  CorrelationFixture f;
  OpenJunctionIncidents(f, 7);
  // A fire alarm elsewhere: critical.
  f.PublishFaults({FaultFor(PlainAsset("bap-1", tv1::ASSET_KIND_BUILDING_ALARM_PANEL, 47.31, 5.01),
                            tv1::FAULT_TYPE_FIRE_ALARM, std::chrono::system_clock::now())});
  REQUIRE(f.WaitUntil([](const auto& all) { return all.size() == 8; }).size() == 8);

  iv1::IncidentFilter critical;
  critical.add_priorities(iv1::PRIORITY_CRITICAL);
  const auto fire = f.List(critical);
  REQUIRE(fire.size() == 1);
  CHECK(fire.front().asset_id() == "bap-1");

  iv1::IncidentFilter area;  // the first three junctions: lon 5.03 .. 5.05
  area.mutable_within()->mutable_south_west()->set_lat(47.32);
  area.mutable_within()->mutable_south_west()->set_lon(5.025);
  area.mutable_within()->mutable_north_east()->set_lat(47.34);
  area.mutable_within()->mutable_north_east()->set_lon(5.055);
  CHECK(f.List(area).size() == 3);

  iv1::IncidentFilter elsewhere;
  elsewhere.add_districts(12);
  CHECK(f.List(elsewhere).empty());

  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    iv1::ListIncidentsRequest r;
    r.set_page_size(3);
    r.set_page_token(token);
    iv1::ListIncidentsResponse page;
    grpc::ClientContext c;
    REQUIRE(f.stub().ListIncidents(&c, r, &page).ok());
    CHECK(page.incidents_size() <= 3);
    for (const auto& i : page.incidents()) CHECK(seen.insert(i.id()).second);
    token = page.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 10);
  CHECK(seen.size() == 8);
  CHECK(pages == 3);
}

TEST_CASE("Watch streams the changes that match its filter, as they are committed") {
  CorrelationFixture f;
  grpc::ClientContext context;
  iv1::WatchIncidentsRequest request;
  request.mutable_filter()->add_priorities(iv1::PRIORITY_CRITICAL);
  auto reader = f.stub().WatchIncidents(&context, request);
  // The server sends its headers once the watch is in place.
  reader->WaitForInitialMetadata();

  f.PublishFaults({FaultFor(PlainAsset("lp-x", tv1::ASSET_KIND_LIGHT_POINT, 47.31, 5.01), tv1::FAULT_TYPE_LAMP_FAILURE,
                            std::chrono::system_clock::now()),
                   FaultFor(PlainAsset("bap-2", tv1::ASSET_KIND_BUILDING_ALARM_PANEL, 47.31, 5.02),
                            tv1::FAULT_TYPE_FIRE_ALARM, std::chrono::system_clock::now())});
  iv1::IncidentEvent event;
  REQUIRE(reader->Read(&event));
  CHECK(event.change() == iv1::INCIDENT_CHANGE_OPENED);
  CHECK(event.incident().asset_id() == "bap-2");
  CHECK(event.incident().priority() == iv1::PRIORITY_CRITICAL);
  REQUIRE(event.causes_size() == 1);
  context.TryCancel();
  while (reader->Read(&event)) {
  }
}

}  // namespace
}  // namespace cityops::testing
