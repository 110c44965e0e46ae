#include "e2e_suite.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
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

// A TCP port free on the loopback now (the kernel's pick), for a service
// whose address another must be given before it starts.
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0;
  ::close(fd);
  REQUIRE(bound);
  return ntohs(addr.sin_port);
}

SuiteProcessesOptions ServicesOptions(const E2eSuiteOptions& e2e) {
  SuiteProcessesOptions options;
  options.log_prefix = "e2e";
  // Crew vehicles' positions from the start of the run (the simulator
  // registers them before the dispatcher's first look).
  options.dispatch_args = {"--positions-from=earliest"};
  // The city's light points are registered in one burst: rebuild soon after it.
  options.lighting_args = {"--rebuild-quiet=500ms", "--tick-interval=200ms"};
  if (e2e.crisis) {
    // Incident correlation starts before crew dispatch and lighting control:
    // their ports are chosen now (a later flag wins over the common one).
    const std::string dispatch = "127.0.0.1:" + std::to_string(FreePort());
    const std::string lighting = "127.0.0.1:" + std::to_string(FreePort());
    options.dispatch_args.push_back("--grpc-address=" + dispatch);
    options.lighting_args.push_back("--grpc-address=" + lighting);
    options.correlation_args = {"--dispatch-address=" + dispatch, "--lighting-address=" + lighting,
                                "--crisis-action-interval=500ms"};
  }
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

E2eSuite::E2eSuite(E2eSuiteOptions options) : services_(ServicesOptions(options)) {
  ingest_ = tv1::TelemetryIngest::NewStub(Channel(services_.ingest_address()));
  incidents_ = iv1::IncidentCorrelation::NewStub(Channel(services_.correlation_address()));
  dispatch_ = dv1::CrewDispatch::NewStub(Channel(services_.dispatch_address()));
  lighting_ = lv1::LightingControl::NewStub(Channel(services_.lighting_address()));
  calls_ = cv1::ResidentCalls::NewStub(Channel(services_.calls_address()));
  crises_ = iv1::CrisisDesk::NewStub(Channel(services_.correlation_address()));
  if (options.crisis) {
    ::setenv("CITYOPS_GATEWAY_JWT_SECRET", "e2e-secret-0123456789-0123456789-0123456789-abcdef", 1);
    ::setenv("CITYOPS_GATEWAY_ADMIN_USER", "admin", 1);
    ::setenv("CITYOPS_GATEWAY_ADMIN_PASSWORD", kE2eAdminPassword, 1);
    auto args = services_.CommonArgs(services_.NewSchema("gw"));
    args.push_back("--http-address=127.0.0.1:0");
    args.push_back("--telemetry-address=" + services_.ingest_address());
    args.push_back("--incidents-address=" + services_.correlation_address());
    args.push_back("--dispatch-address=" + services_.dispatch_address());
    args.push_back("--lighting-address=" + services_.lighting_address());
    args.push_back("--calls-address=" + services_.calls_address());
    args.push_back("--upstream-deadline=5s");
    gateway_ = std::make_unique<ServiceProcess>(GATEWAY_BINARY, args, services_.LogPath("gw"));
  }
}

E2eSuite::~E2eSuite() {
  // The gateway first, the services after (SuiteProcesses stops them in the reverse of their start).
  gateway_.reset();
}

std::string E2eSuite::Logs() const {
  std::string out = services_.Logs();
  if (gateway_ != nullptr) {
    std::string log = ReadFile(gateway_->log_path());
    if (log.size() > 4000) log = "...\n" + log.substr(log.size() - 4000);
    out += "===== gateway (" + gateway_->log_path() + ")\n" + log;
  }
  return out;
}

int E2eSuite::gateway_port() const {
  REQUIRE(gateway_ != nullptr);
  return gateway_->http_port();
}

E2eSuite::HttpResult E2eSuite::Http(const std::string& method, const std::string& path, const std::string& token,
                                    const std::string& body) {
  std::vector<std::string> headers;
  if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
  const HttpReply raw = HttpExchange(gateway_port(), method, path, body, "application/json", headers);
  HttpResult result;
  result.status = raw.status;
  result.body = raw.body;
  result.json = nlohmann::json::parse(raw.body, nullptr, false);
  return result;
}

std::string E2eSuite::AdminToken() {
  if (admin_token_.empty()) {
    const auto reply = Http("POST", "/api/v1/auth/login", "",
                            nlohmann::json{{"username", "admin"}, {"password", kE2eAdminPassword}}.dump());
    INFO(reply.body);
    REQUIRE(reply.status == 200);
    admin_token_ = reply.json.value("token", "");
  }
  REQUIRE_FALSE(admin_token_.empty());
  return admin_token_;
}

std::string E2eSuite::UserToken(const std::string& user, const std::string& role) {
  const std::string password = "password-of-" + user;
  const auto created = Http("POST", "/api/v1/users", AdminToken(),
                            nlohmann::json{{"username", user}, {"password", password}, {"role", role}}.dump());
  INFO(created.body);
  REQUIRE(created.status == 201);
  const auto login =
      Http("POST", "/api/v1/auth/login", "", nlohmann::json{{"username", user}, {"password", password}}.dump());
  INFO(login.body);
  REQUIRE(login.status == 200);
  const std::string token = login.json.value("token", "");
  REQUIRE_FALSE(token.empty());
  return token;
}

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

std::unique_ptr<SimProcess> E2eSuite::StartSim(const std::vector<std::string>& args) {
  std::vector<std::string> all = SimArgs();
  all.insert(all.end(), args.begin(), args.end());
  std::string report_path;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i] == "--report" && i + 1 < all.size()) report_path = all[i + 1];
    if (all[i].starts_with("--report=")) report_path = all[i].substr(9);
  }
  if (!report_path.empty()) std::remove(report_path.c_str());

  const std::string log_path = services_.LogPath("sim");
  std::string binary = CITY_SIM_BINARY;
  std::vector<char*> argv;
  argv.push_back(binary.data());
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::close(fd);
    }
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  return std::make_unique<SimProcess>(pid, log_path, report_path);
}

SimRun E2eSuite::RunSim(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  return StartSim(args)->Wait(timeout);
}

SimProcess::SimProcess(pid_t pid, std::string log_path, std::string report_path)
    : pid_(pid),
      log_path_(std::move(log_path)),
      report_path_(std::move(report_path)),
      started_(std::chrono::steady_clock::now()) {}

SimProcess::~SimProcess() {
  if (pid_ <= 0) return;
  if (SignalAndWait(pid_, SIGTERM, std::chrono::seconds(20)) == -1)
    SignalAndWait(pid_, SIGKILL, std::chrono::seconds(5));
}

SimRun SimProcess::Wait(std::chrono::seconds timeout) {
  SimRun run;
  run.log_path = log_path_;
  REQUIRE(pid_ > 0);
  int status = SignalAndWait(pid_, 0, timeout);
  if (status == -1) {
    run.timed_out = true;
    status = SignalAndWait(pid_, SIGTERM, std::chrono::seconds(20));
    if (status == -1) status = SignalAndWait(pid_, SIGKILL, std::chrono::seconds(5));
  }
  pid_ = -1;
  run.exit_code = status == -1 ? -1 : ExitCode(status);
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  if (!report_path_.empty()) {
    std::ifstream in(report_path_);
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

iv1::Crisis E2eSuite::Crisis(const std::string& id) {
  iv1::GetCrisisRequest request;
  request.set_id(id);
  iv1::Crisis crisis;
  grpc::ClientContext context;
  const auto status = crises_->GetCrisis(&context, request, &crisis);
  INFO(id << ": " << status.error_message());
  REQUIRE(status.ok());
  return crisis;
}

std::vector<iv1::Crisis> E2eSuite::Crises() {
  iv1::ListCrisesRequest request;
  request.set_page_size(100);
  iv1::ListCrisesResponse response;
  grpc::ClientContext context;
  const auto status = crises_->ListCrises(&context, request, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
  return {response.crises().begin(), response.crises().end()};
}

std::vector<tv1::Asset> E2eSuite::Assets(int district, tv1::AssetKind kind) {
  std::vector<tv1::Asset> all;
  std::string token;
  do {
    tv1::ListAssetsRequest request;
    request.set_district(district);
    request.set_kind(kind);
    request.set_page_size(1000);
    request.set_page_token(token);
    tv1::ListAssetsResponse response;
    grpc::ClientContext context;
    const auto status = ingest_->ListAssets(&context, request, &response);
    INFO(status.error_message());
    REQUIRE(status.ok());
    all.insert(all.end(), response.assets().begin(), response.assets().end());
    token = response.next_page_token();
  } while (!token.empty());
  return all;
}

std::vector<lv1::Override> E2eSuite::ActiveOverrides() {
  lv1::ListActiveOverridesRequest request;
  lv1::ListActiveOverridesResponse response;
  grpc::ClientContext context;
  const auto status = lighting_->ListActiveOverrides(&context, request, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
  return {response.overrides().begin(), response.overrides().end()};
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
