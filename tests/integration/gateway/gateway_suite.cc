#include "gateway_suite.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include <catch2/catch.hpp>

#include "cityops/common/proto_time.h"

namespace cityops::testing {

namespace tv1 = ::cityops::telemetry::v1;
namespace dv1 = ::cityops::dispatch::v1;
using nlohmann::json;

namespace {

constexpr double kLat = 47.3220;
constexpr double kLon = 5.0410;

}  // namespace

namespace {

SuiteProcessesOptions ServicesFor(const GatewaySuiteOptions& options) {
  SuiteProcessesOptions services;
  services.lighting = options.lighting;
  services.log_prefix = "gw";
  return services;
}

}  // namespace

GatewaySuite::GatewaySuite(GatewaySuiteOptions options) : services_(ServicesFor(options)) {
  ::setenv("CITYOPS_GATEWAY_JWT_SECRET", "integration-secret-0123456789-0123456789-abcdef", 1);
  ::setenv("CITYOPS_GATEWAY_ADMIN_USER", "admin", 1);
  ::setenv("CITYOPS_GATEWAY_ADMIN_PASSWORD", kAdminPassword, 1);
  ::setenv("CITYOPS_OPEN311_API_KEYS", (std::string("city-app:") + kOpen311Key).c_str(), 1);
  auto gateway_args = services_.CommonArgs(services_.NewSchema("gw"));
  gateway_args.push_back("--http-address=127.0.0.1:0");
  gateway_args.push_back("--telemetry-address=" + services_.ingest_address());
  gateway_args.push_back("--incidents-address=" + services_.correlation_address());
  gateway_args.push_back("--dispatch-address=" + services_.dispatch_address());
  // Without lighting-control, a port where nothing listens.
  gateway_args.push_back("--lighting-address=" +
                         (options.lighting ? services_.lighting_address() : std::string("127.0.0.1:9")));
  gateway_args.push_back("--calls-address=" + services_.calls_address());
  gateway_args.push_back("--upstream-deadline=2s");
  gateway_ = std::make_unique<ServiceProcess>(GATEWAY_BINARY, gateway_args, services_.LogPath("gw"));

  telemetry_ = tv1::TelemetryIngest::NewStub(
      grpc::CreateChannel(services_.ingest_address(), grpc::InsecureChannelCredentials()));
  dispatch_ =
      dv1::CrewDispatch::NewStub(grpc::CreateChannel(services_.dispatch_address(), grpc::InsecureChannelCredentials()));
}

GatewaySuite::~GatewaySuite() {
  // The gateway first, the services after (SuiteProcesses stops them in the reverse of their start).
  gateway_.reset();
}

GatewaySuite::Reply GatewaySuite::Http(const std::string& method, const std::string& path, const std::string& token,
                                       const std::string& body, const std::vector<std::string>& headers) {
  std::vector<std::string> all = headers;
  if (!token.empty()) all.push_back("Authorization: Bearer " + token);
  const HttpReply raw = HttpExchange(http_port(), method, path, body, "application/json", all);
  Reply reply;
  reply.status = raw.status;
  reply.body = raw.body;
  reply.headers = raw.headers;
  reply.json = json::parse(raw.body, nullptr, false);
  return reply;
}

std::string GatewaySuite::Login(const std::string& user, const std::string& password) {
  const auto reply = Http("POST", "/api/v1/auth/login", "", json{{"username", user}, {"password", password}}.dump());
  if (reply.status != 200 || !reply.json.is_object()) return {};
  return reply.json["token"].get<std::string>();
}

std::string GatewaySuite::AdminToken() {
  if (admin_token_.empty()) admin_token_ = Login("admin", kAdminPassword);
  REQUIRE_FALSE(admin_token_.empty());
  return admin_token_;
}

std::string GatewaySuite::UserToken(const std::string& user, const std::string& role) {
  const std::string password = "password-of-" + user;
  const auto created = Http("POST", "/api/v1/users", AdminToken(),
                            json{{"username", user}, {"password", password}, {"role", role}}.dump());
  REQUIRE(created.status == 201);
  const std::string token = Login(user, password);
  REQUIRE_FALSE(token.empty());
  return token;
}

void GatewaySuite::RegisterCabinet(const std::string& cabinet, int lamps) {
  tv1::RegisterAssetsRequest request;
  auto add = [&](const std::string& id, tv1::AssetKind kind, double lat, const std::string& parent) {
    tv1::Asset* a = request.add_assets();
    a->set_id(id);
    a->set_kind(kind);
    a->set_district(1);
    a->mutable_location()->set_lat(lat);
    a->mutable_location()->set_lon(kLon);
    a->set_reporting_interval_s(60);
    a->set_version(1);
    if (!parent.empty()) a->set_parent_id(parent);
    if (kind == tv1::ASSET_KIND_LIGHT_POINT) a->set_rated_watts(40);
  };
  add(cabinet, tv1::ASSET_KIND_CONTROL_CABINET, kLat, "");
  for (int i = 1; i <= lamps; ++i) {
    add(cabinet + "-lp-" + std::to_string(i), tv1::ASSET_KIND_LIGHT_POINT, kLat + 0.0002 * i, cabinet);
  }
  tv1::RegisterAssetsResponse response;
  grpc::ClientContext context;
  const auto status = telemetry_->RegisterAssets(&context, request, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
}

void GatewaySuite::RegisterCrews(const std::vector<std::string>& ids, const std::string& skill) {
  double offset = 0.002;
  for (const std::string& id : ids) {
    dv1::UpsertCrewRequest request;
    request.mutable_crew()->set_id(id);
    request.mutable_crew()->set_name("Crew " + id);
    request.mutable_crew()->add_skills(skill);
    request.mutable_crew()->mutable_home_base()->set_lat(kLat + offset);
    request.mutable_crew()->mutable_home_base()->set_lon(kLon);
    request.mutable_crew()->set_status(dv1::CREW_STATUS_AVAILABLE);
    offset += 0.002;
    dv1::Crew out;
    grpc::ClientContext context;
    const auto status = dispatch_->UpsertCrew(&context, request, &out);
    INFO(status.error_message());
    REQUIRE(status.ok());
  }
}

void GatewaySuite::CabinetPowerLoss(const std::string& cabinet) {
  tv1::ReportFaultRequest request;
  request.mutable_report()->set_asset_id(cabinet);
  request.mutable_report()->set_type(tv1::FAULT_TYPE_POWER_LOSS);
  request.mutable_report()->set_detail("mains lost (test)");
  *request.mutable_report()->mutable_time() = common::ToProtoTime(std::chrono::system_clock::now());
  tv1::ReportFaultResponse response;
  grpc::ClientContext context;
  const auto status = telemetry_->ReportFault(&context, request, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
}

SseClient::SseClient(int port, const std::string& path, const std::vector<std::string>& headers) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
  for (const auto& header : headers) request += header + "\r\n";
  request += "\r\n";
  REQUIRE(::send(fd_, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
}

SseClient::~SseClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool SseClient::WaitFor(const std::string& needle, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (text_.find(needle) == std::string::npos) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buf[8192];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) {
      text_ += n == 0 ? "\n[connection closed by the server]\n" : "\n[recv failed]\n";
      return text_.find(needle) != std::string::npos;
    }
    text_.append(buf, static_cast<size_t>(n));
  }
  return true;
}

std::string SseClient::LastId() const {
  const size_t at = text_.rfind("\nid: ");
  if (at == std::string::npos) return {};
  const size_t end = text_.find('\n', at + 5);
  return text_.substr(at + 5, end - at - 5);
}

}  // namespace cityops::testing
