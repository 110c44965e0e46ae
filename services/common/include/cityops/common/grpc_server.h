#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"

namespace cityops::common {

struct GrpcServerOptions {
  // host:port; port 0 picks a free port.
  std::string address = "127.0.0.1:0";
  int max_receive_message_bytes = 16 * 1024 * 1024;
};

// A gRPC server with the given services, the standard grpc.health.v1.Health
// service and server reflection. Health answers NOT_SERVING until
// SetServing(true) (readiness: only once the dependencies answer).
class GrpcServer {
 public:
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(const GrpcServerOptions& options,
                                                           const std::vector<grpc::Service*>& services);
  ~GrpcServer();
  int port() const { return port_; }
  void SetServing(bool serving);
  // Stops taking calls, lets calls in flight finish until the deadline, then cancels them.
  void Shutdown(std::chrono::milliseconds deadline);

 private:
  GrpcServer(std::unique_ptr<grpc::Server> server, int port);
  std::unique_ptr<grpc::Server> server_;
  int port_;
  bool shut_down_ = false;
};

}  // namespace cityops::common
