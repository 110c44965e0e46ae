#pragma once

// The services behind the gateway and the gateway itself, as real processes
// on the test stack, on one set of topics (each service in its own schema).
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "cityops/dispatch/v1/crew_dispatch.grpc.pb.h"
#include "cityops/telemetry/v1/telemetry_ingest.grpc.pb.h"
#include "cityops_test_support.h"
#include "service_process.h"
#include "suite_processes.h"

namespace cityops::testing {

inline constexpr char kAdminPassword[] = "integration-admin-password";
inline constexpr char kOpen311Key[] = "open311-test-key-0123456789";

struct GatewaySuiteOptions {
  bool lighting = true;  // false: lighting-control is not started (503 tests)
};

class GatewaySuite {
 public:
  explicit GatewaySuite(GatewaySuiteOptions options = {});
  ~GatewaySuite();

  int http_port() const { return gateway_->http_port(); }
  int gateway_metrics_port() const { return gateway_->metrics_port(); }
  telemetry::v1::TelemetryIngest::Stub& telemetry() { return *telemetry_; }
  dispatch::v1::CrewDispatch::Stub& dispatch() { return *dispatch_; }
  const std::string& gateway_log() const { return gateway_->log_path(); }
  ServiceProcess& gateway() { return *gateway_; }

  // A token for admin (logged in through the gateway).
  std::string AdminToken();
  // Logs in; the token, or empty when refused.
  std::string Login(const std::string& user, const std::string& password);
  // Creates a user through the gateway (as admin) and returns its token.
  std::string UserToken(const std::string& user, const std::string& role);

  // Registers a control cabinet with `lamps` light points around Dijon's
  // centre, and two available street-lighting crews near it.
  void RegisterCabinet(const std::string& cabinet, int lamps);
  void RegisterCrews(const std::vector<std::string>& ids, const std::string& skill);
  // The cabinet loses its mains power (a fault report to telemetry ingest).
  void CabinetPowerLoss(const std::string& cabinet);

  // One HTTP exchange with the gateway, with a bearer token when given; the
  // body parsed as JSON (discarded when it is not JSON).
  struct Reply {
    int status = 0;
    nlohmann::json json;
    std::string body;
    std::string headers;
  };
  Reply Http(const std::string& method, const std::string& path, const std::string& token = "",
             const std::string& body = "", const std::vector<std::string>& headers = {});

 private:
  SuiteProcesses services_;
  std::unique_ptr<ServiceProcess> gateway_;
  std::unique_ptr<telemetry::v1::TelemetryIngest::Stub> telemetry_;
  std::unique_ptr<dispatch::v1::CrewDispatch::Stub> dispatch_;
  std::string admin_token_;
};

// A Server-Sent Events client on a raw socket.
class SseClient {
 public:
  SseClient(int port, const std::string& path, const std::vector<std::string>& headers);
  ~SseClient();
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;
  // Reads until `text` (everything received so far) contains `needle`, or the
  // timeout; returns whether it did.
  bool WaitFor(const std::string& needle, std::chrono::milliseconds timeout);
  const std::string& text() const { return text_; }
  // The id of the last event received ("" when none).
  std::string LastId() const;

 private:
  int fd_ = -1;
  std::string text_;
};

}  // namespace cityops::testing
