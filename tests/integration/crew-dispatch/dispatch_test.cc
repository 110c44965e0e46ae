// crew-dispatch on the real broker and database: incident events become
// assignments of the nearest qualified crew, the queue feeds crews as they
// free up, bad requests change nothing, and a restart duplicates nothing.
#include <catch2/catch.hpp>

#include <cstdio>
#include <set>
#include <thread>

#include "cityops/common/local_time.h"

#include "cityops/common/topic_names.h"
#include "dispatch_fixture.h"

namespace cityops::testing {
namespace {

using namespace std::chrono_literals;

bool Assigned(const dv1::WorkOrder& o) { return o.status() == dv1::WORK_ORDER_STATUS_ASSIGNED; }

TEST_CASE("An incident event yields an assignment event for the nearest qualified crew") {
  DispatchFixture f;
  f.AddCrew("roads-near", {"roads"}, 100);
  f.AddCrew("lighting-far", {"street_lighting"}, 3000);
  f.AddCrew("lighting-near", {"street_lighting"}, 800);
  f.PublishIncident("INC-00000001", "street_lighting", iv1::PRIORITY_NORMAL, 0);
  const auto order = f.WaitForOrder("INC-00000001", Assigned);
  REQUIRE(order.has_value());
  CHECK(order->crew_id() == "lighting-near");
  CHECK(order->eta_s() == Approx(800 * 1.4 / (30 / 3.6)).epsilon(0.02));
  const auto events = AssignmentEventsOnTopic(f.topics().Name(topics::kDispatchAssignments));
  std::vector<dv1::AssignmentChange> changes;
  for (const auto& e : events) changes.push_back(e.change());
  CHECK(changes == std::vector<dv1::AssignmentChange>{dv1::ASSIGNMENT_CHANGE_CREATED, dv1::ASSIGNMENT_CHANGE_ASSIGNED});
  CHECK(events.back().crew_id() == "lighting-near");
  // Both follow from the incident event, which they name.
  for (const auto& e : events) {
    CHECK_THAT(e.cause_event_id(), Catch::StartsWith("inc-ev-"));
    CHECK(e.cause_occurred_at().seconds() > 0);
  }
  CHECK(events.front().cause_event_id() == events.back().cause_event_id());
}

TEST_CASE("A crew completing its order takes the next one from the queue") {
  DispatchFixture f;
  f.AddCrew("c1", {"roads"}, 0);
  f.PublishIncident("INC-00000001", "roads", iv1::PRIORITY_NORMAL, 100);
  const auto first = f.WaitForOrder("INC-00000001", Assigned);
  REQUIRE(first.has_value());
  f.PublishIncident("INC-00000002", "roads", iv1::PRIORITY_LOW, 200);
  const auto waiting =
      f.WaitForOrder("INC-00000002", [](const auto& o) { return o.status() == dv1::WORK_ORDER_STATUS_QUEUED; });
  REQUIRE(waiting.has_value());
  CHECK(f.Scalar("SELECT count(*) FROM work_orders WHERE status = 1") == "1");
  REQUIRE(f.Crew("accept", "c1", first->id()).ok());
  REQUIRE(f.Crew("arrive", "c1", first->id()).ok());
  REQUIRE(f.Crew("complete", "c1", first->id()).ok());
  const auto next = f.WaitForOrder("INC-00000002", Assigned, 5s);
  REQUIRE(next.has_value());
  CHECK(next->crew_id() == "c1");
  CHECK(f.WaitForOrder("INC-00000001", [](const auto& o) {
           return o.status() == dv1::WORK_ORDER_STATUS_COMPLETED;
         }).has_value());
}

TEST_CASE("An incident resolved elsewhere cancels its order and frees the crew") {
  DispatchFixture f;
  f.AddCrew("c1", {"roads"}, 0);
  f.PublishIncident("INC-00000009", "roads", iv1::PRIORITY_HIGH, 50);
  REQUIRE(f.WaitForOrder("INC-00000009", Assigned).has_value());
  f.PublishIncident("INC-00000009", "roads", iv1::PRIORITY_HIGH, 50, iv1::INCIDENT_CHANGE_RESOLVED,
                    iv1::INCIDENT_STATUS_RESOLVED);
  const auto cancelled =
      f.WaitForOrder("INC-00000009", [](const auto& o) { return o.status() == dv1::WORK_ORDER_STATUS_CANCELLED; });
  REQUIRE(cancelled.has_value());
  dv1::GetCrewRequest request;
  request.set_id("c1");
  dv1::Crew crew;
  grpc::ClientContext context;
  REQUIRE(f.stub().GetCrew(&context, request, &crew).ok());
  CHECK(crew.status() == dv1::CREW_STATUS_AVAILABLE);
}

TEST_CASE("Bad requests get a clear status and change nothing") {
  DispatchFixture f;
  f.AddCrew("lighting", {"street_lighting"}, 0);
  f.AddCrew("police", {"municipal_police"}, 500);
  f.PublishIncident("INC-00000001", "street_lighting", iv1::PRIORITY_NORMAL, 10);
  const auto order = f.WaitForOrder("INC-00000001", Assigned);
  REQUIRE(order.has_value());
  CHECK(f.Crew("accept", "nobody", order->id()).error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(f.Crew("complete", "lighting", order->id()).error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(f.Crew("accept", "police", order->id()).error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(f.Crew("accept", "", order->id()).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  {
    dv1::UpdateCrewPositionRequest r;
    r.set_crew_id("police");
    r.mutable_position()->set_lat(48.85);  // Paris
    r.mutable_position()->set_lon(2.35);
    dv1::Crew out;
    grpc::ClientContext c;
    const auto s = f.stub().UpdateCrewPosition(&c, r, &out);
    CHECK(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(s.error_message(), Catch::Contains("outside the city"));
  }
  {
    dv1::AssignWorkOrderRequest r;
    r.set_work_order_id(order->id());
    r.set_crew_id("police");
    r.set_actor("supervisor");
    dv1::WorkOrder out;
    grpc::ClientContext c;
    const auto s = f.stub().AssignWorkOrder(&c, r, &out);
    CHECK(s.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
    CHECK_THAT(s.error_message(), Catch::Contains("override_skill"));
  }
  {
    dv1::UpsertCrewRequest r;
    r.mutable_crew()->set_id("x");
    r.mutable_crew()->add_skills("Street Lighting!");
    r.mutable_crew()->mutable_home_base()->set_lat(47.32);
    r.mutable_crew()->mutable_home_base()->set_lon(5.04);
    dv1::Crew out;
    grpc::ClientContext c;
    CHECK(f.stub().UpsertCrew(&c, r, &out).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    dv1::ListWorkOrdersRequest r;
    r.set_page_token("not-a-token");
    dv1::ListWorkOrdersResponse out;
    grpc::ClientContext c;
    CHECK(f.stub().ListWorkOrders(&c, r, &out).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  }
  // Nothing changed.
  const auto after = f.WaitForOrder("INC-00000001", Assigned, 1s);
  REQUIRE(after.has_value());
  CHECK(after->crew_id() == "lighting");
  CHECK(f.Scalar("SELECT count(*) FROM crews") == "2");
  // A supervisor's explicit override is accepted.
  dv1::AssignWorkOrderRequest r;
  r.set_work_order_id(order->id());
  r.set_crew_id("police");
  r.set_actor("supervisor");
  r.set_override_skill(true);
  dv1::WorkOrder out;
  grpc::ClientContext c;
  REQUIRE(f.stub().AssignWorkOrder(&c, r, &out).ok());
  CHECK(out.crew_id() == "police");
  CHECK(out.manual());
  CHECK(out.assigned_by() == "supervisor");
}

TEST_CASE("Killed mid-flow and restarted, then replaying every incident event: one order per incident") {
  DispatchFixture f;
  for (int c = 0; c < 10; ++c) f.AddCrew("c" + std::to_string(c), {"roads"}, 300.0 * c);
  std::vector<std::pair<std::string, std::string>> events;
  for (int i = 1; i <= 60; ++i) {
    char id[32];
    std::snprintf(id, sizeof(id), "INC-%08d", i);
    f.PublishIncident(id, "roads", i % 10 == 0 ? iv1::PRIORITY_CRITICAL : iv1::PRIORITY_LOW, 50.0 * i);
    if (i == 30) f.service().Kill();
  }
  f.Start();
  CHECK(f.WaitForScalar("SELECT count(DISTINCT incident_id) FROM work_orders", "60", 60s) == "60");
  CHECK(f.Scalar("SELECT count(*) FROM work_orders") == "60");
  CHECK(f.Scalar("SELECT count(*) FROM work_orders WHERE status = 2") == "10");
  CHECK(f.Scalar("SELECT count(*) FROM applied_events") == "60");
  // Every crew holds at most one order, and the critical ones have crews.
  CHECK(f.Scalar("SELECT count(*) FROM (SELECT crew_id FROM work_orders WHERE status IN (2, 3, 4) GROUP BY crew_id "
                 "HAVING count(*) > 1) d") == "0");
  CHECK(f.Scalar("SELECT count(*) FROM work_orders WHERE priority = 4 AND status = 2") == "6");

  f.service().Stop();
  f.Start({"--consumer-group=" + UniqueName("replay")});
  CHECK(f.WaitForScalar("SELECT count(*) FROM dead_letters", "0", 3s) == "0");
  std::this_thread::sleep_for(3s);
  CHECK(f.Scalar("SELECT count(*) FROM work_orders") == "60");
  CHECK(f.Scalar("SELECT count(*) FROM applied_events") == "60");
}

}  // namespace
TEST_CASE("Crews move with their vehicles' position readings, and the nearest is chosen from there") {
  DispatchFixture f;
  f.AddCrew("moving", {"roads"}, 0, "veh-moving");
  f.AddCrew("parked", {"roads"}, 3000, "veh-parked");
  const auto now = std::chrono::system_clock::now();
  // The moving crew drives north, past the parked one; a fix of an unknown
  // vehicle and one outside the city are ignored.
  f.PublishPosition("veh-moving", 2000, now - 20s);
  f.PublishPosition("veh-moving", 4000, now - 10s);
  f.PublishPosition("veh-nobody", 4000, now - 10s);
  f.PublishPosition("veh-parked", 0, now - 5s, 48.85);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  std::optional<dv1::Crew> moving;
  while (std::chrono::steady_clock::now() < deadline) {
    moving = f.GetCrew("moving");
    if (moving && moving->position().lat() > NorthLat(3999)) break;
    std::this_thread::sleep_for(100ms);
  }
  REQUIRE(moving.has_value());
  CHECK(moving->position().lat() == Approx(NorthLat(4000)).epsilon(1e-9));
  CHECK(moving->position_at().seconds() > 0);
  // An older fix arriving late moves nothing.
  f.PublishPosition("veh-moving", 100, now - 60s);
  f.PublishPosition("veh-parked", 3000, now - 1s);  // a marker: once seen, the late fix was too
  for (auto t = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < t;) {
    if (const auto p = f.GetCrew("parked"); p && p->position_at().seconds() > 0) break;
    std::this_thread::sleep_for(100ms);
  }
  CHECK(f.GetCrew("parked")->position().lat() == Approx(NorthLat(3000)).epsilon(1e-9));
  CHECK(f.GetCrew("moving")->position().lat() == Approx(NorthLat(4000)).epsilon(1e-9));
  CHECK(ScrapeMetric(f.service().metrics_port(),
                     "cityops_crew_dispatch_positions_ignored_total{reason=\"outside_the_city\"}") == 1);

  f.PublishIncident("INC-00000031", "roads", iv1::PRIORITY_NORMAL, 4200);
  const auto order = f.WaitForOrder("INC-00000031", Assigned);
  REQUIRE(order.has_value());
  CHECK(order->crew_id() == "moving");
  // The positions are stored: a restart keeps them.
  f.Start();
  CHECK(f.GetCrew("moving")->position().lat() == Approx(NorthLat(4000)).epsilon(1e-9));
}

TEST_CASE("Shifts: a crew off shift goes off duty, a malformed shift is refused") {
  DispatchFixture f;
  dv1::Crew crew = f.AddCrew("night", {"roads"}, 0);
  // A shift that is not on now, whatever the hour: it starts in two hours and lasts one.
  const auto local = common::ToLocal(common::LocalTimeRule{}, std::chrono::system_clock::now());
  const auto clock = [](int minutes) {
    minutes = (minutes % 1440 + 1440) % 1440;
    char text[6];
    std::snprintf(text, sizeof text, "%02d:%02d", minutes / 60, minutes % 60);
    return std::string(text);
  };
  const int now_min = local.minute_of_day;
  crew.mutable_shift()->set_starts(clock(now_min + 120));
  crew.mutable_shift()->set_ends(clock(now_min + 180));
  REQUIRE(f.UpsertCrew(crew).ok());
  std::optional<dv1::Crew> seen;
  for (auto until = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < until;) {
    seen = f.GetCrew("night");
    if (seen && seen->has_on_shift()) break;
    std::this_thread::sleep_for(100ms);
  }
  REQUIRE(seen.has_value());
  CHECK(seen->status() == dv1::CREW_STATUS_OFF_DUTY);
  CHECK(seen->has_on_shift());
  CHECK_FALSE(seen->on_shift());
  CHECK(seen->shift().starts() == clock(now_min + 120));

  dv1::Crew bad = crew;
  bad.set_id("bad-shift");
  bad.mutable_shift()->set_starts("25:00");
  const auto refused = f.UpsertCrew(bad);
  CHECK(refused.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(refused.error_message(), Catch::Contains("crew.shift.starts"));
  bad.mutable_shift()->set_starts("07:00");
  bad.mutable_shift()->add_weekdays(8);
  CHECK(f.UpsertCrew(bad).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_FALSE(f.GetCrew("bad-shift").has_value());

  // A vehicle already driven by another crew is refused too.
  f.AddCrew("driver", {"roads"}, 0, "veh-1");
  dv1::Crew second = crew;
  second.set_id("second-driver");
  second.clear_shift();
  second.set_vehicle_id("veh-1");
  CHECK(f.UpsertCrew(second).error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK_FALSE(f.GetCrew("second-driver").has_value());
}

}  // namespace cityops::testing
