// Incident correlation and crew dispatch together, on one set of topics: a
// resident's request becomes an incident, the incident a work order for the
// nearest crew with the skill, and the crew's completion resolves the incident;
// a crew vehicle's position sent to telemetry ingest moves its crew.
#include <catch2/catch.hpp>

#include <thread>

#include <grpcpp/grpcpp.h>

#include "cityops/calls/v1/requests.pb.h"
#include "cityops/common/proto_time.h"
#include "cityops/common/topic_names.h"
#include "cityops/dispatch/v1/crew_dispatch.grpc.pb.h"
#include "cityops/incidents/v1/incident_correlation.grpc.pb.h"
#include "cityops/telemetry/v1/telemetry_ingest.grpc.pb.h"
#include "cityops_test_support.h"
#include "service_process.h"

namespace cityops::testing {
namespace {

using namespace std::chrono_literals;
namespace dv1 = ::cityops::dispatch::v1;
namespace iv1 = ::cityops::incidents::v1;

std::vector<std::string> ArgsFor(const TestSchema& schema, const TestTopics& topics) {
  return {"--pg-dsn=" + schema.dsn(),
          "--pg-schema=" + schema.name(),
          "--kafka-bootstrap=" + KafkaBootstrap(),
          "--topic-prefix=" + topics.prefix(),
          "--grpc-address=127.0.0.1:0",
          "--metrics-address=127.0.0.1:0",
          "--tick-interval=200ms"};
}

TEST_CASE("A resident's request goes to the nearest crew with the skill, and its completion resolves the incident") {
  TestTopics topics;
  TestSchema correlation_schema("ic");
  TestSchema dispatch_schema("cd");
  ServiceProcess correlation(INCIDENT_CORRELATION_BINARY, ArgsFor(correlation_schema, topics),
                             "/tmp/" + UniqueName("suite_ic") + ".log");
  ServiceProcess dispatch(CREW_DISPATCH_BINARY, ArgsFor(dispatch_schema, topics),
                          "/tmp/" + UniqueName("suite_cd") + ".log");
  auto incidents = iv1::IncidentCorrelation::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(correlation.grpc_port()), grpc::InsecureChannelCredentials()));
  auto crews = dv1::CrewDispatch::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(dispatch.grpc_port()), grpc::InsecureChannelCredentials()));

  for (const auto& [id, skill, lat] :
       std::vector<std::tuple<std::string, std::string, double>>{{"refuse-near", "refuse", 47.3310},
                                                                 {"refuse-far", "refuse", 47.3600},
                                                                 {"roads-nearest", "roads", 47.3301}}) {
    dv1::UpsertCrewRequest r;
    r.mutable_crew()->set_id(id);
    r.mutable_crew()->add_skills(skill);
    r.mutable_crew()->mutable_home_base()->set_lat(lat);
    r.mutable_crew()->mutable_home_base()->set_lon(5.03);
    r.mutable_crew()->set_status(dv1::CREW_STATUS_AVAILABLE);
    dv1::Crew out;
    grpc::ClientContext c;
    REQUIRE(crews->UpsertCrew(&c, r, &out).ok());
  }

  // Resident calls' event: bulky items left on a pavement.
  calls::v1::RequestEvent request;
  request.mutable_meta()->set_event_id(UniqueName("req"));
  *request.mutable_meta()->mutable_occurred_at() = common::ToProtoTime(std::chrono::system_clock::now());
  request.set_change(calls::v1::REQUEST_CHANGE_CREATED);
  request.mutable_request()->set_id("REQ-1");
  request.mutable_request()->set_category("bulky_items");
  request.mutable_request()->mutable_location()->set_lat(47.3300);
  request.mutable_request()->mutable_location()->set_lon(5.0300);
  request.mutable_request()->set_status(calls::v1::REQUEST_STATUS_OPEN);
  auto producer = common::KafkaProducer::Create(TestKafkaSettings());
  REQUIRE(producer.ok());
  common::DeliveryLatch latch(1);
  REQUIRE((*producer)
              ->Produce(topics.Name(topics::kCallsRequests), "REQ-1", request.SerializeAsString(),
                        [&](const auto& r) { latch.Done(r); })
              .ok());
  REQUIRE(latch.Wait(10s).ok());

  dv1::WorkOrder order;
  REQUIRE(Eventually([&] {
    dv1::ListWorkOrdersRequest r;
    dv1::ListWorkOrdersResponse out;
    grpc::ClientContext c;
    if (!crews->ListWorkOrders(&c, r, &out).ok() || out.work_orders_size() == 0) return false;
    order = out.work_orders(0);
    return order.status() == dv1::WORK_ORDER_STATUS_ASSIGNED;
  }));
  CHECK(order.skill() == "refuse");
  CHECK(order.crew_id() == "refuse-near");
  const std::string incident_id = order.incident_id();

  for (const auto& verb : {"accept", "arrive", "complete"}) {
    dv1::CrewWorkOrderRequest r;
    r.set_crew_id("refuse-near");
    r.set_work_order_id(order.id());
    dv1::WorkOrder out;
    grpc::ClientContext c;
    const std::string v = verb;
    const auto s = v == "accept"   ? crews->AcceptWorkOrder(&c, r, &out)
                   : v == "arrive" ? crews->ArriveAtWorkOrder(&c, r, &out)
                                   : crews->CompleteWorkOrder(&c, r, &out);
    REQUIRE(s.ok());
  }

  iv1::Incident incident;
  CHECK(Eventually([&] {
    iv1::GetIncidentRequest r;
    r.set_id(incident_id);
    grpc::ClientContext c;
    return incidents->GetIncident(&c, r, &incident).ok() && incident.status() == iv1::INCIDENT_STATUS_RESOLVED;
  }));
  CHECK_THAT(incident.resolution(), Catch::Contains("crew completed"));
  CHECK(incident.requests_size() == 1);
}

}  // namespace
}  // namespace cityops::testing

namespace cityops::testing {
namespace {
namespace tv1 = ::cityops::telemetry::v1;
}  // namespace

TEST_CASE("A crew vehicle's position sent to telemetry ingest moves its crew in crew dispatch") {
  TestTopics topics;
  TestSchema ingest_schema("ti");
  TestSchema dispatch_schema("cd");
  ServiceProcess ingest(TELEMETRY_INGEST_BINARY, ArgsFor(ingest_schema, topics),
                        "/tmp/" + UniqueName("suite_ti") + ".log");
  auto dispatch_args = ArgsFor(dispatch_schema, topics);
  dispatch_args.push_back("--positions-from=earliest");
  ServiceProcess dispatch(CREW_DISPATCH_BINARY, dispatch_args, "/tmp/" + UniqueName("suite_cd") + ".log");
  auto assets = tv1::TelemetryIngest::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(ingest.grpc_port()), grpc::InsecureChannelCredentials()));
  auto crews = dv1::CrewDispatch::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(dispatch.grpc_port()), grpc::InsecureChannelCredentials()));

  {
    tv1::RegisterAssetRequest r;
    auto* a = r.mutable_asset();
    a->set_id("veh-007");
    a->set_kind(tv1::ASSET_KIND_CREW_VEHICLE);
    a->set_district(3);
    a->mutable_location()->set_lat(47.3200);
    a->mutable_location()->set_lon(5.0400);
    a->set_reporting_interval_s(30);
    tv1::Asset out;
    grpc::ClientContext c;
    const auto s = assets->RegisterAsset(&c, r, &out);
    INFO(s.error_message());
    REQUIRE(s.ok());
  }
  {
    dv1::UpsertCrewRequest r;
    r.mutable_crew()->set_id("roads-7");
    r.mutable_crew()->add_skills("roads");
    r.mutable_crew()->set_vehicle_id("veh-007");
    r.mutable_crew()->mutable_home_base()->set_lat(47.3200);
    r.mutable_crew()->mutable_home_base()->set_lon(5.0400);
    r.mutable_crew()->set_status(dv1::CREW_STATUS_AVAILABLE);
    dv1::Crew out;
    grpc::ClientContext c;
    REQUIRE(crews->UpsertCrew(&c, r, &out).ok());
  }

  // The vehicle reports where it is, as its tracker would: one fix outside
  // the city (refused by ingest, so it never reaches dispatch), then a good one.
  grpc::ClientContext stream_context;
  auto stream = assets->StreamReadings(&stream_context);
  const auto send = [&](uint64_t batch_id, double lat) {
    tv1::ReadingBatch batch;
    batch.set_batch_id(batch_id);
    auto* reading = batch.add_readings();
    reading->set_asset_id("veh-007");
    *reading->mutable_time() = common::ToProtoTime(std::chrono::system_clock::now());
    reading->set_metric("position");
    reading->set_value(31);
    reading->mutable_location()->set_lat(lat);
    reading->mutable_location()->set_lon(5.0600);
    REQUIRE(stream->Write(batch));
    tv1::BatchAck ack;
    REQUIRE(stream->Read(&ack));
    return ack;
  };
  const tv1::BatchAck refused = send(1, 48.85);
  CHECK(refused.code() == static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  REQUIRE(refused.rejections_size() == 1);
  CHECK(refused.rejections(0).reason() == "bad_location");
  const tv1::BatchAck accepted = send(2, 47.3450);
  CHECK(accepted.code() == 0);
  stream->WritesDone();
  CHECK(stream->Finish().ok());

  dv1::Crew crew;
  CHECK(Eventually([&] {
    dv1::GetCrewRequest r;
    r.set_id("roads-7");
    grpc::ClientContext c;
    return crews->GetCrew(&c, r, &crew).ok() && crew.position().lat() > 47.34;
  }));
  CHECK(crew.position().lat() == Approx(47.3450));
  CHECK(crew.position().lon() == Approx(5.0600));
  CHECK(crew.position_at().seconds() > 0);
}

}  // namespace cityops::testing
