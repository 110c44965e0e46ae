#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cityops/common/config.h"
#include "cityops/common/service_settings.h"

namespace cityops::gateway {

inline constexpr std::string_view kServiceName = "gateway";

// Everything the gateway reads from its environment and flags (see README).
struct GatewaySettings {
  // The settings every service has. gRPC serves health and reflection only.
  common::ServiceSettings service;
  std::string http_address = "127.0.0.1:8080";
  // The services it fronts.
  std::string telemetry_address = "127.0.0.1:50051";
  std::string incidents_address = "127.0.0.1:50052";
  std::string dispatch_address = "127.0.0.1:50053";
  std::string lighting_address = "127.0.0.1:50054";
  std::string calls_address = "127.0.0.1:50055";
  // The built console; empty: none served (the API still is).
  std::string console_dir;
  std::chrono::milliseconds token_lifetime{std::chrono::hours(8)};
  double rate_limit = 20;  // requests per second per user
  double rate_burst = 40;
  // How far back the live feed keeps events for clients that reconnect.
  std::chrono::milliseconds feed_window{std::chrono::minutes(30)};
  // Deadline of a call to a service.
  std::chrono::milliseconds upstream_deadline{std::chrono::seconds(5)};
  // Secrets, from the environment only (flags show in process lists).
  std::string jwt_secret;      // CITYOPS_GATEWAY_JWT_SECRET, required, >= 32 bytes
  std::string admin_user;      // CITYOPS_GATEWAY_ADMIN_USER
  std::string admin_password;  // CITYOPS_GATEWAY_ADMIN_PASSWORD
  // CITYOPS_OPEN311_API_KEYS ("client:key,..."), key -> client.
  std::map<std::string, std::string> open311_keys;
  std::string jurisdiction_id = "dijon";
};

absl::StatusOr<GatewaySettings> LoadSettings(const common::Config& config);

}  // namespace cityops::gateway
