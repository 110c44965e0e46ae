#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <google/protobuf/message.h>
#include <grpcpp/channel.h>

#include "absl/status/status.h"

// The services the gateway fronts, and unary calls to them by full method
// name, with any message (generated or dynamic) on both sides.
namespace cityops::gateway {

enum class Upstream { kTelemetry = 0, kIncidents, kDispatch, kLighting, kCalls };
inline constexpr size_t kUpstreamCount = 5;

// "telemetry-ingest", "incident-correlation", "crew-dispatch", "lighting-control", "resident-calls".
std::string_view UpstreamName(Upstream upstream);

struct UpstreamAddresses {
  std::string telemetry;
  std::string incidents;
  std::string dispatch;
  std::string lighting;
  std::string calls;
};

// Who a call is made for: passed to the service as gRPC metadata
// ("cityops-role", "cityops-actor"), so that resident calls can tell who may
// see residents' personal data.
struct CallerIdentity {
  std::string role;
  std::string actor;
};

class Upstreams {
 public:
  Upstreams(const UpstreamAddresses& addresses, std::chrono::milliseconds deadline);
  virtual ~Upstreams() = default;
  Upstreams(const Upstreams&) = delete;
  Upstreams& operator=(const Upstreams&) = delete;

  // Calls `method` ("/cityops.incidents.v1.IncidentCorrelation/GetIncident")
  // on `upstream`. gRPC's code and message are kept; a service that does not
  // answer is UNAVAILABLE (or DEADLINE_EXCEEDED) naming it.
  virtual absl::Status Call(Upstream upstream, const std::string& method, const google::protobuf::Message& request,
                            google::protobuf::Message* response, const CallerIdentity& caller);

  std::shared_ptr<grpc::Channel> channel(Upstream upstream) const;

 protected:
  Upstreams() = default;  // fakes

 private:
  std::array<std::shared_ptr<grpc::Channel>, kUpstreamCount> channels_;
  std::chrono::milliseconds deadline_{};
};

}  // namespace cityops::gateway
