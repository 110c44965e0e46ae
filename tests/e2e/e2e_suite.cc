#include "e2e_suite.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include <catch2/catch.hpp>

#include "cityops/common/topic_names.h"

namespace cityops::testing {

namespace tv1 = ::cityops::telemetry::v1;
namespace iv1 = ::cityops::incidents::v1;
namespace dv1 = ::cityops::dispatch::v1;
namespace lv1 = ::cityops::lighting::v1;
namespace cv1 = ::cityops::calls::v1;

namespace {

std::shared_ptr<grpc::Channel> Channel(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

// Sends `signal` to the child and waits up to `timeout` for it; its wait status, or -1.
int SignalAndWait(pid_t pid, int signal, std::chrono::milliseconds timeout) {
  if (signal != 0) ::kill(pid, signal);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return status;
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

SuiteProcessesOptions ServicesOptions() {
  SuiteProcessesOptions options;
  options.log_prefix = "e2e";
  // Crew vehicles' positions from the start of the run (the simulator
  // registers them before the dispatcher's first look).
  options.dispatch_args = {"--positions-from=earliest"};
  // The city's light points are registered in one burst: rebuild soon after it.
  options.lighting_args = {"--rebuild-quiet=500ms", "--tick-interval=200ms"};
  return options;
}

}  // namespace

std::string TempPath(const std::string& prefix, const std::string& extension) {
  return "/tmp/" + UniqueName(prefix) + extension;
}

std::string SimRun::LogTail(size_t bytes) const {
  std::string log = ReadFile(log_path);
  if (log.size() > bytes) log = "...\n" + log.substr(log.size() - bytes);
  return "===== city-sim (" + log_path + ")\n" + log;
}

E2eSuite::E2eSuite() : services_(ServicesOptions()) {
  ingest_ = tv1::TelemetryIngest::NewStub(Channel(services_.ingest_address()));
  incidents_ = iv1::IncidentCorrelation::NewStub(Channel(services_.correlation_address()));
  dispatch_ = dv1::CrewDispatch::NewStub(Channel(services_.dispatch_address()));
  lighting_ = lv1::LightingControl::NewStub(Channel(services_.lighting_address()));
  calls_ = cv1::ResidentCalls::NewStub(Channel(services_.calls_address()));
}

E2eSuite::~E2eSuite() = default;

std::vector<std::string> E2eSuite::SimArgs() const {
  return {"--ingest-address=" + services_.ingest_address(),
          "--dispatch-address=" + services_.dispatch_address(),
          "--lighting-address=" + services_.lighting_address(),
          "--calls-address=" + services_.calls_address(),
          "--kafka-bootstrap=" + KafkaBootstrap(),
          "--topic-prefix=" + services_.topics().prefix(),
          std::string("--scale=") + kSimScale,
          std::string("--seed=") + kSimSeed,
          "--log-every=5s"};
}

SimRun E2eSuite::RunSim(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  std::vector<std::string> all = SimArgs();
  all.insert(all.end(), args.begin(), args.end());
  std::string report_path;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i] == "--report" && i + 1 < all.size()) report_path = all[i + 1];
    if (all[i].starts_with("--report=")) report_path = all[i].substr(9);
  }
  if (!report_path.empty()) std::remove(report_path.c_str());

  SimRun run;
  run.log_path = services_.LogPath("sim");
  std::string binary = CITY_SIM_BINARY;
  std::vector<char*> argv;
  argv.push_back(binary.data());
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);

  const auto started = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int fd = ::open(run.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::close(fd);
    }
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  int status = SignalAndWait(pid, 0, timeout);
  if (status == -1) {
    run.timed_out = true;
    status = SignalAndWait(pid, SIGTERM, std::chrono::seconds(20));
    if (status == -1) status = SignalAndWait(pid, SIGKILL, std::chrono::seconds(5));
  }
  run.exit_code = status == -1 ? -1 : ExitCode(status);
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!report_path.empty()) {
    std::ifstream in(report_path);
    if (in) run.report = nlohmann::json::parse(in, nullptr, false);
  }
  return run;
}

std::vector<iv1::Incident> E2eSuite::Incidents() {
  std::vector<iv1::Incident> all;
  std::string token;
  do {
    iv1::ListIncidentsRequest request;
    request.set_page_size(500);
    request.set_page_token(token);
    iv1::ListIncidentsResponse response;
    grpc::ClientContext context;
    const auto status = incidents_->ListIncidents(&context, request, &response);
    INFO(status.error_message());
    REQUIRE(status.ok());
    all.insert(all.end(), response.incidents().begin(), response.incidents().end());
    token = response.next_page_token();
  } while (!token.empty());
  return all;
}

iv1::Incident E2eSuite::Incident(const std::string& id) {
  iv1::GetIncidentRequest request;
  request.set_id(id);
  iv1::Incident incident;
  grpc::ClientContext context;
  const auto status = incidents_->GetIncident(&context, request, &incident);
  INFO(id << ": " << status.error_message());
  REQUIRE(status.ok());
  return incident;
}

tv1::Asset E2eSuite::Asset(const std::string& id) {
  tv1::GetAssetRequest request;
  request.set_id(id);
  tv1::Asset asset;
  grpc::ClientContext context;
  const auto status = ingest_->GetAsset(&context, request, &asset);
  INFO(id << ": " << status.error_message());
  REQUIRE(status.ok());
  return asset;
}

std::vector<std::string> E2eSuite::Children(const std::string& parent_id) {
  std::vector<std::string> ids;
  std::string token;
  do {
    tv1::ListAssetsRequest request;
    request.set_parent_id(parent_id);
    request.set_page_size(1000);
    request.set_page_token(token);
    tv1::ListAssetsResponse response;
    grpc::ClientContext context;
    const auto status = ingest_->ListAssets(&context, request, &response);
    INFO(status.error_message());
    REQUIRE(status.ok());
    for (const auto& asset : response.assets()) ids.push_back(asset.id());
    token = response.next_page_token();
  } while (!token.empty());
  return ids;
}

std::vector<dv1::AssignmentEvent> E2eSuite::AssignmentEvents() {
  std::vector<dv1::AssignmentEvent> events;
  for (const auto& message :
       ConsumeAll(services_.topics().Name(topics::kDispatchAssignments), std::chrono::seconds(2))) {
    dv1::AssignmentEvent event;
    REQUIRE(event.ParseFromString(message.value));
    events.push_back(std::move(event));
  }
  return events;
}

std::vector<tv1::FaultEvent> E2eSuite::FaultEvents() {
  std::vector<tv1::FaultEvent> events;
  for (const auto& message : ConsumeAll(services_.topics().Name(topics::kTelemetryFaults), std::chrono::seconds(2))) {
    tv1::FaultEvent event;
    REQUIRE(event.ParseFromString(message.value));
    events.push_back(std::move(event));
  }
  return events;
}

std::vector<dv1::CrewEvent> E2eSuite::CrewEvents() {
  std::vector<dv1::CrewEvent> events;
  for (const auto& message : ConsumeAll(services_.topics().Name(topics::kDispatchCrews), std::chrono::seconds(2))) {
    dv1::CrewEvent event;
    REQUIRE(event.ParseFromString(message.value));
    events.push_back(std::move(event));
  }
  return events;
}

std::vector<dv1::WorkOrder> E2eSuite::WorkOrders() {
  std::vector<dv1::WorkOrder> all;
  std::string token;
  do {
    dv1::ListWorkOrdersRequest request;
    for (int s = dv1::WorkOrderStatus_MIN; s <= dv1::WorkOrderStatus_MAX; ++s) {
      if (s != dv1::WORK_ORDER_STATUS_UNSPECIFIED) request.add_statuses(static_cast<dv1::WorkOrderStatus>(s));
    }
    request.set_page_size(500);
    request.set_page_token(token);
    dv1::ListWorkOrdersResponse response;
    grpc::ClientContext context;
    const auto status = dispatch_->ListWorkOrders(&context, request, &response);
    INFO(status.error_message());
    REQUIRE(status.ok());
    all.insert(all.end(), response.work_orders().begin(), response.work_orders().end());
    token = response.next_page_token();
  } while (!token.empty());
  return all;
}

std::vector<dv1::Crew> E2eSuite::Crews() {
  dv1::ListCrewsRequest request;
  dv1::ListCrewsResponse response;
  grpc::ClientContext context;
  const auto status = dispatch_->ListCrews(&context, request, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
  return {response.crews().begin(), response.crews().end()};
}

std::vector<cv1::ResidentRequest> E2eSuite::Requests() {
  std::vector<cv1::ResidentRequest> all;
  std::string token;
  do {
    cv1::ListRequestsRequest request;
    request.set_page_size(500);
    request.set_page_token(token);
    cv1::ListRequestsResponse response;
    grpc::ClientContext context;
    const auto status = calls_->ListRequests(&context, request, &response);
    INFO(status.error_message());
    REQUIRE(status.ok());
    all.insert(all.end(), response.requests().begin(), response.requests().end());
    token = response.next_page_token();
  } while (!token.empty());
  return all;
}

}  // namespace cityops::testing
