#include "cityops/common/grpc_server.h"

#include <utility>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"

namespace cityops::common {

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const GrpcServerOptions& options,
                                                              const std::vector<grpc::Service*>& services) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(options.address, grpc::InsecureServerCredentials(), &selected_port);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  for (grpc::Service* service : services) {
    if (service != nullptr) builder.RegisterService(service);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || selected_port == 0) {
    if (server != nullptr) server->Shutdown();
    return absl::UnavailableError(absl::StrCat("cannot start the gRPC server on ", options.address));
  }
  if (auto* health = server->GetHealthCheckService(); health != nullptr) {
    health->SetServingStatus(false);
  }
  spdlog::info("gRPC server listening on port {}", selected_port);
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(server), selected_port));
}

GrpcServer::GrpcServer(std::unique_ptr<grpc::Server> server, int port) : server_(std::move(server)), port_(port) {}

GrpcServer::~GrpcServer() {
  if (!shut_down_) Shutdown(std::chrono::milliseconds(0));
}

void GrpcServer::SetServing(bool serving) {
  if (shut_down_) return;
  if (auto* health = server_->GetHealthCheckService(); health != nullptr) {
    health->SetServingStatus(serving);
  }
}

void GrpcServer::Shutdown(std::chrono::milliseconds deadline) {
  if (shut_down_) return;
  shut_down_ = true;
  // Health answers NOT_SERVING from now on, whatever SetServing says.
  if (auto* health = server_->GetHealthCheckService(); health != nullptr) health->Shutdown();
  server_->Shutdown(std::chrono::system_clock::now() + deadline);
  server_->Wait();
}

}  // namespace cityops::common
