#include "dispatch_fixture.h"

#include <catch2/catch.hpp>
#include <thread>

#include "cityops/common/proto_time.h"
#include "cityops/common/topic_names.h"
#include "cityops/telemetry/v1/readings.pb.h"

namespace cityops::testing {

namespace {
constexpr double kCentreLat = 47.3220;
constexpr double kCentreLon = 5.0410;
double North(double metres) { return kCentreLat + metres / 111195.0; }
int event_number = 0;
}  // namespace

double NorthLat(double metres) { return North(metres); }

DispatchFixture::DispatchFixture(std::vector<std::string> extra_args)
    : ServiceFixture(CREW_DISPATCH_BINARY, "cd", [&] {
        extra_args.insert(extra_args.begin(), "--tick-interval=200ms");
        // The test publishes positions before the positions consumer joins.
        extra_args.insert(extra_args.begin(), "--positions-from=earliest");
        return extra_args;
      }()) {
  Start();
}

DispatchFixture::~DispatchFixture() { stub_.reset(); }

void DispatchFixture::OnStarted() {
  stub_ = dv1::CrewDispatch::NewStub(grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
}

dv1::Crew DispatchFixture::AddCrew(const std::string& id, std::vector<std::string> skills, double metres_north,
                                   const std::string& vehicle_id) {
  dv1::Crew crew;
  crew.set_id(id);
  crew.set_name("Crew " + id);
  for (auto& s : skills) crew.add_skills(s);
  crew.mutable_home_base()->set_lat(North(metres_north));
  crew.mutable_home_base()->set_lon(kCentreLon);
  crew.set_status(dv1::CREW_STATUS_AVAILABLE);
  crew.set_vehicle_id(vehicle_id);
  dv1::Crew out;
  const auto status = UpsertCrew(crew, &out);
  INFO(status.error_message());
  REQUIRE(status.ok());
  return out;
}

grpc::Status DispatchFixture::UpsertCrew(const dv1::Crew& crew, dv1::Crew* out) {
  dv1::UpsertCrewRequest request;
  *request.mutable_crew() = crew;
  dv1::Crew ignored;
  grpc::ClientContext context;
  return stub_->UpsertCrew(&context, request, out != nullptr ? out : &ignored);
}

std::optional<dv1::Crew> DispatchFixture::GetCrew(const std::string& id) {
  dv1::GetCrewRequest request;
  request.set_id(id);
  dv1::Crew out;
  grpc::ClientContext context;
  if (!stub_->GetCrew(&context, request, &out).ok()) return std::nullopt;
  return out;
}

void DispatchFixture::PublishPosition(const std::string& vehicle_id, double metres_north, common::TimePoint at,
                                      std::optional<double> lat) {
  telemetry::v1::TelemetryRecord record;
  record.set_record_id("pos-" + std::to_string(++event_number) + "-" + UniqueName("r"));
  *record.mutable_received_at() = common::ToProtoTime(at);
  auto* reading = record.mutable_reading();
  reading->set_asset_id(vehicle_id);
  *reading->mutable_time() = common::ToProtoTime(at);
  reading->set_metric("position");
  reading->set_value(25);
  reading->mutable_location()->set_lat(lat.value_or(North(metres_north)));
  reading->mutable_location()->set_lon(kCentreLon);
  Publish(topics::kTelemetryReadings, vehicle_id, record.SerializeAsString());
}

void DispatchFixture::PublishIncident(const std::string& incident_id, const std::string& skill, iv1::Priority priority,
                                      double metres_north, iv1::IncidentChange change, iv1::IncidentStatus status) {
  iv1::IncidentEvent e;
  e.mutable_meta()->set_event_id("inc-ev-" + std::to_string(++event_number) + "-" + UniqueName("e"));
  *e.mutable_meta()->mutable_occurred_at() = common::ToProtoTime(std::chrono::system_clock::now());
  e.set_change(change);
  auto* incident = e.mutable_incident();
  incident->set_id(incident_id);
  incident->set_status(status);
  incident->set_priority(priority);
  incident->set_required_skill(skill);
  incident->set_title("test incident " + incident_id);
  incident->set_district(4);
  incident->mutable_location()->set_lat(North(metres_north));
  incident->mutable_location()->set_lon(kCentreLon);
  *incident->mutable_opened_at() = common::ToProtoTime(std::chrono::system_clock::now());
  Publish(topics::kIncidents, incident_id, e.SerializeAsString());
}

std::optional<dv1::WorkOrder> DispatchFixture::WaitForOrder(const std::string& incident_id,
                                                            const std::function<bool(const dv1::WorkOrder&)>& done,
                                                            std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<dv1::WorkOrder> last;
  for (;;) {
    dv1::ListWorkOrdersRequest request;
    request.set_incident_id(incident_id);
    for (int s = 1; s <= 6; ++s) request.add_statuses(static_cast<dv1::WorkOrderStatus>(s));
    dv1::ListWorkOrdersResponse response;
    grpc::ClientContext context;
    REQUIRE(stub_->ListWorkOrders(&context, request, &response).ok());
    if (response.work_orders_size() > 0) {
      last = response.work_orders(0);
      if (done(*last)) return last;
    }
    if (std::chrono::steady_clock::now() > deadline) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

grpc::Status DispatchFixture::Crew(const std::string& verb, const std::string& crew, const std::string& order) {
  dv1::CrewWorkOrderRequest request;
  request.set_crew_id(crew);
  request.set_work_order_id(order);
  dv1::WorkOrder out;
  grpc::ClientContext context;
  if (verb == "accept") return stub_->AcceptWorkOrder(&context, request, &out);
  if (verb == "decline") return stub_->DeclineWorkOrder(&context, request, &out);
  if (verb == "arrive") return stub_->ArriveAtWorkOrder(&context, request, &out);
  if (verb == "complete") return stub_->CompleteWorkOrder(&context, request, &out);
  FAIL("unknown verb " << verb);
  return grpc::Status::CANCELLED;
}

std::vector<dv1::AssignmentEvent> AssignmentEventsOnTopic(const std::string& topic) {
  std::vector<dv1::AssignmentEvent> events;
  for (const auto& m : ConsumeAll(topic)) {
    dv1::AssignmentEvent e;
    REQUIRE(e.ParseFromString(m.value));
    CHECK(m.key == e.work_order().id());
    events.push_back(e);
  }
  return events;
}

}  // namespace cityops::testing
