// crew-dispatch's crew staging on the real broker and database: a crisis
// holds a crew (StageCrew) at a staging point or calls it in from off duty,
// and lets it go (ReleaseCrew); the crew's staging is in GetCrew, in the
// crews table and on the crews topic; bad requests change nothing.
#include <catch2/catch.hpp>

#include <string>
#include <thread>

#include "cityops/common/districts.h"
#include "cityops/common/topic_names.h"
#include "dispatch_fixture.h"

namespace cityops::testing {
namespace {

using namespace std::chrono_literals;

constexpr double kCentreLon = 5.0410;

dv1::StageCrewRequest StageRequest(const std::string& crew, const std::string& crisis, bool call_in = false,
                                   std::optional<double> metres_north = std::nullopt) {
  dv1::StageCrewRequest request;
  request.set_crew_id(crew);
  request.set_crisis_id(crisis);
  request.set_reason("flood watch on the Ouche");
  request.set_actor("crisis-desk");
  request.set_call_in(call_in);
  if (metres_north) {
    request.mutable_position()->set_lat(NorthLat(*metres_north));
    request.mutable_position()->set_lon(kCentreLon);
  }
  return request;
}

grpc::Status Stage(DispatchFixture& f, const dv1::StageCrewRequest& request, dv1::Crew* out = nullptr) {
  dv1::Crew ignored;
  grpc::ClientContext context;
  return f.stub().StageCrew(&context, request, out != nullptr ? out : &ignored);
}

grpc::Status Release(DispatchFixture& f, const std::string& crew, const std::string& crisis, dv1::Crew* out = nullptr) {
  dv1::ReleaseCrewRequest request;
  request.set_crew_id(crew);
  request.set_crisis_id(crisis);
  request.set_actor("crisis-desk");
  dv1::Crew ignored;
  grpc::ClientContext context;
  return f.stub().ReleaseCrew(&context, request, out != nullptr ? out : &ignored);
}

grpc::Status SetAvailable(DispatchFixture& f, const std::string& crew, bool available) {
  dv1::SetCrewAvailabilityRequest request;
  request.set_crew_id(crew);
  request.set_available(available);
  dv1::Crew ignored;
  grpc::ClientContext context;
  return f.stub().SetCrewAvailability(&context, request, &ignored);
}

// The crew events on the topic for one crew, in order.
std::vector<dv1::Crew> CrewEventsOnTopic(DispatchFixture& f, const std::string& crew_id) {
  std::vector<dv1::Crew> crews;
  for (const auto& m : ConsumeAll(f.topics().Name(topics::kDispatchCrews))) {
    dv1::CrewEvent e;
    REQUIRE(e.ParseFromString(m.value));
    CHECK(m.key == e.crew().id());
    if (e.crew().id() == crew_id) crews.push_back(e.crew());
  }
  return crews;
}

}  // namespace

TEST_CASE(
    "Staging: a crew held at a staging point, in GetCrew, the table and the crews topic - idempotent - "
    "another crisis refused") {
  DispatchFixture f;
  f.AddCrew("c1", {"roads"}, 0);
  dv1::Crew staged;
  const auto s = Stage(f, StageRequest("c1", "CRI-00000001", false, 3000), &staged);
  INFO(s.error_message());
  REQUIRE(s.ok());
  REQUIRE(staged.has_staging());
  const auto& held = staged.staging();
  CHECK(held.crisis_id() == "CRI-00000001");
  CHECK(held.reason() == "flood watch on the Ouche");
  CHECK(held.staged_by() == "crisis-desk");
  CHECK_FALSE(held.called_in());
  CHECK(held.since().seconds() > 0);
  CHECK(held.position().lat() == Approx(NorthLat(3000)));
  const int district = common::DistrictMap::Dijon().Locate(NorthLat(3000), kCentreLon);
  CHECK(district > 0);
  CHECK(held.district() == district);
  // Staging moves nothing by itself.
  CHECK(staged.status() == dv1::CREW_STATUS_AVAILABLE);
  CHECK(staged.position().lat() == Approx(NorthLat(0)));

  const auto got = f.GetCrew("c1");
  REQUIRE(got.has_value());
  CHECK(got->staging().crisis_id() == "CRI-00000001");
  CHECK(got->staging().since().seconds() == held.since().seconds());
  CHECK(f.Scalar("SELECT crisis_id FROM crews WHERE id = 'c1'") == "CRI-00000001");

  // Again for the same crisis (another reason, another point): the crew unchanged.
  auto again = StageRequest("c1", "CRI-00000001", false, 6000);
  again.set_reason("changed my mind");
  dv1::Crew same;
  REQUIRE(Stage(f, again, &same).ok());
  CHECK(same.staging().reason() == "flood watch on the Ouche");
  CHECK(same.staging().position().lat() == Approx(NorthLat(3000)));
  CHECK(same.staging().since().seconds() == held.since().seconds());
  CHECK(same.staging().since().nanos() == held.since().nanos());

  // Another crisis: refused, nothing changed.
  const auto refused = Stage(f, StageRequest("c1", "CRI-00000002", true, 1000));
  CHECK(refused.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK_THAT(refused.error_message(), Catch::Contains("CRI-00000001"));
  CHECK(f.GetCrew("c1")->staging().crisis_id() == "CRI-00000001");
  CHECK(f.Scalar("SELECT crisis_id FROM crews WHERE id = 'c1'") == "CRI-00000001");
  // Releasing by another crisis: a no-op that answers the crew.
  dv1::Crew untouched;
  REQUIRE(Release(f, "c1", "CRI-00000002", &untouched).ok());
  CHECK(untouched.staging().crisis_id() == "CRI-00000001");

  // The staged crew is still assigned like any available one (from where it is).
  f.PublishIncident("INC-00000001", "roads", iv1::PRIORITY_NORMAL, 200);
  const auto order = f.WaitForOrder("INC-00000001", [](const auto& o) { return !o.crew_id().empty(); });
  REQUIRE(order.has_value());
  CHECK(order->crew_id() == "c1");
  CHECK(order->eta_s() == Approx(200 * 1.4 / (30 / 3.6)).epsilon(0.02));

  // On the crews topic: the staging was published once (the refused and
  // repeated requests published nothing).
  std::vector<dv1::Crew> events;
  int with_staging = 0;
  REQUIRE(Eventually([&] {
    events = CrewEventsOnTopic(f, "c1");
    return !events.empty() && !events.back().work_order_id().empty();
  }));
  int staging_changes = 0;
  bool before = false;
  for (const auto& e : events) {
    if (e.has_staging()) ++with_staging;
    if (e.has_staging() != before) ++staging_changes;
    before = e.has_staging();
    if (e.has_staging()) CHECK(e.staging().crisis_id() == "CRI-00000001");
  }
  CHECK(staging_changes == 1);
  CHECK(with_staging == 2);  // staged, then assigned
  CHECK(ScrapeMetric(f.service().metrics_port(), "cityops_crew_dispatch_crew_staging_total{change=\"staged\"}") == 1);
}

TEST_CASE("Staging: an off-duty crew is called in only with call_in - released, it goes off duty (after its order)") {
  DispatchFixture f;
  f.AddCrew("home", {"roads"}, 0);
  REQUIRE(SetAvailable(f, "home", false).ok());
  const auto refused = Stage(f, StageRequest("home", "CRI-00000001"));
  CHECK(refused.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK_THAT(refused.error_message(), Catch::Contains("call_in"));
  CHECK_FALSE(f.GetCrew("home")->has_staging());
  CHECK(f.GetCrew("home")->status() == dv1::CREW_STATUS_OFF_DUTY);

  // Standby (no point): called in where it is.
  dv1::Crew called;
  REQUIRE(Stage(f, StageRequest("home", "CRI-00000001", true), &called).ok());
  CHECK(called.status() == dv1::CREW_STATUS_AVAILABLE);
  CHECK(called.staging().called_in());
  CHECK_FALSE(called.staging().has_position());
  CHECK(called.staging().district() == 0);
  // Kept across a restart: still held, still called in.
  CHECK(f.service().Stop() == 0);
  f.Start();
  const auto reloaded = f.GetCrew("home");
  REQUIRE(reloaded.has_value());
  CHECK(reloaded->status() == dv1::CREW_STATUS_AVAILABLE);
  CHECK(reloaded->staging().crisis_id() == "CRI-00000001");
  CHECK(reloaded->staging().called_in());
  CHECK(reloaded->staging().since().seconds() == called.staging().since().seconds());
  CHECK(Stage(f, StageRequest("home", "CRI-00000002", true)).error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  dv1::Crew released;
  REQUIRE(Release(f, "home", "CRI-00000001", &released).ok());
  CHECK(released.status() == dv1::CREW_STATUS_OFF_DUTY);
  CHECK_FALSE(released.has_staging());
  CHECK(f.GetCrew("home")->status() == dv1::CREW_STATUS_OFF_DUTY);
  CHECK(f.Scalar("SELECT crisis_id FROM crews WHERE id = 'home'") == "");

  // Called in again, busy when released: off duty after its order.
  REQUIRE(Stage(f, StageRequest("home", "CRI-00000001", true, 500)).ok());
  f.PublishIncident("INC-00000001", "roads", iv1::PRIORITY_NORMAL, 100);
  const auto order = f.WaitForOrder("INC-00000001", [](const auto& o) { return o.crew_id() == "home"; });
  REQUIRE(order.has_value());
  REQUIRE(order->crew_id() == "home");
  REQUIRE(Release(f, "home", "CRI-00000001", &released).ok());
  CHECK(released.status() == dv1::CREW_STATUS_EN_ROUTE);
  CHECK(released.off_duty_after_order());
  CHECK_FALSE(released.has_staging());
  REQUIRE(f.Crew("accept", "home", order->id()).ok());
  REQUIRE(f.Crew("arrive", "home", order->id()).ok());
  REQUIRE(f.Crew("complete", "home", order->id()).ok());
  CHECK(f.GetCrew("home")->status() == dv1::CREW_STATUS_OFF_DUTY);
  CHECK_FALSE(f.GetCrew("home")->off_duty_after_order());
  // Both releases came after the restart, which reset the counters.
  CHECK(ScrapeMetric(f.service().metrics_port(), "cityops_crew_dispatch_crew_staging_total{change=\"released\"}") == 2);
}

TEST_CASE("Staging: bad requests get a clear status and change nothing") {
  DispatchFixture f;
  f.AddCrew("c1", {"roads"}, 0);
  const auto code = [&](const dv1::StageCrewRequest& r) { return Stage(f, r).error_code(); };
  CHECK(code(StageRequest("", "CRI-1")) == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(code(StageRequest("c1", "")) == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(code(StageRequest("c1", "CRI-1'; DROP TABLE crews; --")) == grpc::StatusCode::INVALID_ARGUMENT);
  auto outside = StageRequest("c1", "CRI-1");
  outside.mutable_position()->set_lat(48.85);
  outside.mutable_position()->set_lon(2.35);
  const auto far = Stage(f, outside);
  CHECK(far.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(far.error_message(), Catch::Contains("outside the city"));
  auto wordy = StageRequest("c1", "CRI-1");
  wordy.set_reason(std::string(600, 'x'));
  const auto long_reason = Stage(f, wordy);
  CHECK(long_reason.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(long_reason.error_message(), Catch::Contains("reason"));
  CHECK(code(StageRequest("nobody", "CRI-1")) == grpc::StatusCode::NOT_FOUND);
  CHECK(Release(f, "nobody", "CRI-1").error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(Release(f, "c1", "").error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(Release(f, "", "CRI-1").error_code() == grpc::StatusCode::INVALID_ARGUMENT);

  CHECK_FALSE(f.GetCrew("c1")->has_staging());
  CHECK(f.Scalar("SELECT count(*) FROM crews WHERE crisis_id <> ''") == "0");
  CHECK(f.Scalar("SELECT count(*) FROM crews") == "1");
}

}  // namespace cityops::testing
