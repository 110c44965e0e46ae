#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "cityops/calls/v1/requests.pb.h"
#include "cityops/common/clock.h"
#include "cityops/common/kafka.h"
#include "cityops/incidents/v1/incident_correlation.grpc.pb.h"
#include "cityops/telemetry/v1/assets.pb.h"
#include "cityops/telemetry/v1/readings.pb.h"
#include "cityops_test_support.h"
#include "service_fixture.h"
#include "service_process.h"

namespace cityops::testing {

namespace iv1 = ::cityops::incidents::v1;
namespace tv1 = ::cityops::telemetry::v1;

// A fresh schema and prefixed topics, incident-correlation running on them
// (with the shipped rules, the resolution hold cut to 1 s), and a producer
// that plays telemetry ingest and resident calls on the input topics.
class CorrelationFixture : public ServiceFixture {
 public:
  explicit CorrelationFixture(std::vector<std::string> extra_args = {});
  ~CorrelationFixture() override;

  iv1::IncidentCorrelation::Stub& stub() { return *stub_; }

  void PublishAssets(const std::vector<tv1::Asset>& assets);
  void PublishFaults(const std::vector<tv1::FaultEvent>& faults);

  // Every incident matching the filter (all pages).
  std::vector<iv1::Incident> List(const iv1::IncidentFilter& filter = {});
  // Polls List until the predicate holds over the result, or the timeout; returns the last result.
  std::vector<iv1::Incident> WaitUntil(const std::function<bool(const std::vector<iv1::Incident>&)>& done,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Waits until the service has applied `count` input events.
  bool WaitForApplied(int count, std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

 protected:
  void OnStarted() override;

 private:
  std::string rules_path_;
  std::unique_ptr<iv1::IncidentCorrelation::Stub> stub_;
};

// Assets and events of a small street: cabinet `cab`, lamps `<cab>-lp-<i>` 22 m apart.
tv1::Asset CabinetAsset(const std::string& id, double lat = 47.3200, double lon = 5.0400);
tv1::Asset LampAsset(const std::string& cabinet, int i, double lat = 47.3200, double lon = 5.0400);
tv1::Asset PlainAsset(const std::string& id, tv1::AssetKind kind, double lat, double lon);
tv1::FaultEvent FaultFor(const tv1::Asset& asset, tv1::FaultType type, common::TimePoint at, bool raised = true);
calls::v1::RequestEvent RequestAt(const std::string& id, const std::string& category, double lat, double lon,
                                  common::TimePoint at);

// Incident events on the incidents topic, in order.
std::vector<iv1::IncidentEvent> IncidentEventsOnTopic(const std::string& topic);

}  // namespace cityops::testing
