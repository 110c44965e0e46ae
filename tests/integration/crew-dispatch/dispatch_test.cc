// crew-dispatch on the real broker and database: incident events become
// assignments of the nearest qualified crew, the queue feeds crews as they
// free up, bad requests change nothing, and a restart duplicates nothing.
#include <catch2/catch.hpp>

#include <set>

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
}  // namespace cityops::testing
