#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "cityops/common/clock.h"
#include "cityops/dispatch/v1/crew_dispatch.grpc.pb.h"
#include "cityops/incidents/v1/incidents.pb.h"
#include "service_fixture.h"

namespace cityops::testing {

namespace dv1 = ::cityops::dispatch::v1;
namespace iv1 = ::cityops::incidents::v1;

// crew-dispatch on a fresh schema and topics; the test plays incident
// correlation on the incidents topic and the crews' app over gRPC.
class DispatchFixture : public ServiceFixture {
 public:
  explicit DispatchFixture(std::vector<std::string> extra_args = {});
  ~DispatchFixture() override;

  dv1::CrewDispatch::Stub& stub() { return *stub_; }

  // Creates an available crew at a point `metres_north` of Dijon's centre.
  dv1::Crew AddCrew(const std::string& id, std::vector<std::string> skills, double metres_north,
                    const std::string& vehicle_id = "");
  grpc::Status UpsertCrew(const dv1::Crew& crew, dv1::Crew* out = nullptr);
  std::optional<dv1::Crew> GetCrew(const std::string& id);
  // Publishes a vehicle's "position" reading, as telemetry ingest would, at
  // a point `metres_north` of the centre (lat given directly when set).
  void PublishPosition(const std::string& vehicle_id, double metres_north, common::TimePoint at,
                       std::optional<double> lat = std::nullopt);
  // Publishes an incident event (OPENED by default) for an incident at a point `metres_north` of the centre.
  void PublishIncident(const std::string& incident_id, const std::string& skill, iv1::Priority priority,
                       double metres_north, iv1::IncidentChange change = iv1::INCIDENT_CHANGE_OPENED,
                       iv1::IncidentStatus status = iv1::INCIDENT_STATUS_OPEN);
  // The active order of the incident, once `done` holds for it (or the timeout).
  std::optional<dv1::WorkOrder> WaitForOrder(const std::string& incident_id,
                                             const std::function<bool(const dv1::WorkOrder&)>& done,
                                             std::chrono::milliseconds timeout = std::chrono::seconds(30));
  grpc::Status Crew(const std::string& verb, const std::string& crew, const std::string& order);

 protected:
  void OnStarted() override;

 private:
  std::unique_ptr<dv1::CrewDispatch::Stub> stub_;
};

// A point `metres` north of Dijon's centre.
double NorthLat(double metres);

// Assignment events on the topic, in order.
std::vector<dv1::AssignmentEvent> AssignmentEventsOnTopic(const std::string& topic);

}  // namespace cityops::testing
