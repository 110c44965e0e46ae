#pragma once

// End-to-end tests: the five services of the suite as real processes on the
// test stack, and the city simulator (city-sim) run against them as a
// process, as an operator runs it; the tests then ask the services, through
// their gRPC APIs, what they made of it. With `crisis`, incident correlation
// is wired to crew dispatch and lighting control (its crisis actions) and
// the gateway runs in front, for a supervisor's commands.
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "cityops/calls/v1/resident_calls.grpc.pb.h"
#include "cityops/dispatch/v1/crew_dispatch.grpc.pb.h"
#include "cityops/incidents/v1/crisis.grpc.pb.h"
#include "cityops/incidents/v1/incident_correlation.grpc.pb.h"
#include "cityops/lighting/v1/lighting_control.grpc.pb.h"
#include "cityops/telemetry/v1/telemetry_ingest.grpc.pb.h"
#include "cityops_test_support.h"
#include "suite_processes.h"

namespace cityops::testing {

// The simulated city of the end-to-end tests: a tenth of Dijon.
inline constexpr char kSimScale[] = "0.1";
inline constexpr char kSimSeed[] = "7";

// One run of the simulator.
struct SimRun {
  // Its exit code (128 + signal when killed); -1 when it did not end in time.
  int exit_code = -1;
  bool timed_out = false;
  double seconds = 0;
  std::string log_path;
  // The report, when the run was given --report and wrote valid JSON.
  nlohmann::json report;
  // The end of its log (stdout and stderr), for failure messages.
  std::string LogTail(size_t bytes = 6000) const;
};

// A simulator started in the background (E2eSuite::StartSim): the test acts
// on the platform while the scenario plays.
class SimProcess {
 public:
  SimProcess(pid_t pid, std::string log_path, std::string report_path);
  // Stops it (SIGTERM, then SIGKILL) if still running.
  ~SimProcess();
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  // Waits for it to end, or stops it after `timeout`; then reads its report.
  SimRun Wait(std::chrono::seconds timeout);
  const std::string& log_path() const { return log_path_; }

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  std::string report_path_;
  std::chrono::steady_clock::time_point started_;
};

struct E2eSuiteOptions {
  // Crisis mode: incident correlation reaches crew dispatch and lighting
  // control (ports chosen before they start) and runs its crisis actions
  // often; the gateway is started in front of the services.
  bool crisis = false;
};

// The gateway's admin for the end-to-end suite.
inline constexpr char kE2eAdminPassword[] = "e2e-admin-password";

class E2eSuite {
 public:
  explicit E2eSuite(E2eSuiteOptions options = {});
  ~E2eSuite();
  E2eSuite(const E2eSuite&) = delete;
  E2eSuite& operator=(const E2eSuite&) = delete;

  SuiteProcesses& services() { return services_; }
  telemetry::v1::TelemetryIngest::Stub& ingest() { return *ingest_; }
  incidents::v1::IncidentCorrelation::Stub& incidents() { return *incidents_; }
  dispatch::v1::CrewDispatch::Stub& dispatch() { return *dispatch_; }
  lighting::v1::LightingControl::Stub& lighting() { return *lighting_; }
  calls::v1::ResidentCalls::Stub& calls() { return *calls_; }
  incidents::v1::CrisisDesk::Stub& crises() { return *crises_; }

  // The gateway (only with options.crisis; FAILs otherwise).
  int gateway_port() const;
  // Creates a user through the gateway (as admin) and returns its token.
  std::string UserToken(const std::string& user, const std::string& role);
  std::string AdminToken();
  struct HttpResult {
    int status = 0;
    nlohmann::json json;  // discarded when the body is not JSON
    std::string body;
  };
  HttpResult Http(const std::string& method, const std::string& path, const std::string& token,
                  const std::string& body = "");

  // The flags that connect the simulator to this suite (every service, the
  // broker, the topics), with the test city's seed and scale.
  std::vector<std::string> SimArgs() const;
  // Runs city-sim with SimArgs() and `args`; waits for it to end, or stops
  // it (SIGTERM, then SIGKILL) after `timeout`. A --report file given in
  // `args` is read into the result.
  SimRun RunSim(const std::vector<std::string>& args, std::chrono::seconds timeout);
  // Starts city-sim with SimArgs() and `args`, and returns at once.
  std::unique_ptr<SimProcess> StartSim(const std::vector<std::string>& args);

  // Everything the services hold (all pages), as of now.
  std::vector<incidents::v1::Incident> Incidents();
  std::vector<dispatch::v1::WorkOrder> WorkOrders();  // every status
  std::vector<dispatch::v1::Crew> Crews();
  std::vector<calls::v1::ResidentRequest> Requests();
  // One incident (FAILs when it cannot be read).
  incidents::v1::Incident Incident(const std::string& id);
  // One crisis of the crisis desk (FAILs when it cannot be read).
  incidents::v1::Crisis Crisis(const std::string& id);
  std::vector<incidents::v1::Crisis> Crises();  // the newest 100, every status
  // Every asset of a kind in a district.
  std::vector<telemetry::v1::Asset> Assets(int district, telemetry::v1::AssetKind kind);
  std::vector<lighting::v1::Override> ActiveOverrides();
  // One asset of telemetry ingest (FAILs when it cannot be read).
  telemetry::v1::Asset Asset(const std::string& id);
  // The ids of an asset's children in the registry (a cabinet's light points).
  std::vector<std::string> Children(const std::string& parent_id);
  // Every assignment event dispatch published so far (in order for each work order).
  std::vector<dispatch::v1::AssignmentEvent> AssignmentEvents();
  // Every fault event telemetry ingest published so far (raised and cleared).
  std::vector<telemetry::v1::FaultEvent> FaultEvents();
  // Every crew event (status or position changed) dispatch published so far
  // (in order for each crew).
  std::vector<dispatch::v1::CrewEvent> CrewEvents();

  // The services' logs (their ends), for failure messages.
  std::string Logs() const;

 private:
  SuiteProcesses services_;
  std::unique_ptr<ServiceProcess> gateway_;
  std::string admin_token_;
  std::unique_ptr<telemetry::v1::TelemetryIngest::Stub> ingest_;
  std::unique_ptr<incidents::v1::IncidentCorrelation::Stub> incidents_;
  std::unique_ptr<dispatch::v1::CrewDispatch::Stub> dispatch_;
  std::unique_ptr<lighting::v1::LightingControl::Stub> lighting_;
  std::unique_ptr<calls::v1::ResidentCalls::Stub> calls_;
  std::unique_ptr<incidents::v1::CrisisDesk::Stub> crises_;
};

// A path for a file of a test (a report), removed by nobody: kept for a look after a failure.
std::string TempPath(const std::string& prefix, const std::string& extension);

}  // namespace cityops::testing
