#include "upstreams.h"

#include <future>
#include <vector>

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/byte_buffer.h>

#include "absl/strings/str_cat.h"
#include "cityops/common/status.h"

namespace cityops::gateway {

std::string_view UpstreamName(Upstream upstream) {
  switch (upstream) {
    case Upstream::kTelemetry:
      return "telemetry-ingest";
    case Upstream::kIncidents:
      return "incident-correlation";
    case Upstream::kDispatch:
      return "crew-dispatch";
    case Upstream::kLighting:
      return "lighting-control";
    case Upstream::kCalls:
      return "resident-calls";
  }
  return "?";
}

Upstreams::Upstreams(const UpstreamAddresses& addresses, std::chrono::milliseconds deadline) : deadline_(deadline) {
  const std::array<const std::string*, kUpstreamCount> by_index = {
      &addresses.telemetry, &addresses.incidents, &addresses.dispatch, &addresses.lighting, &addresses.calls};
  for (size_t i = 0; i < kUpstreamCount; ++i) {
    grpc::ChannelArguments args;
    // Reconnect quickly once a service that was down is back.
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 200);
    args.SetMaxReceiveMessageSize(32 * 1024 * 1024);
    channels_[i] = grpc::CreateCustomChannel(*by_index[i], grpc::InsecureChannelCredentials(), args);
  }
}

std::shared_ptr<grpc::Channel> Upstreams::channel(Upstream upstream) const {
  return channels_[static_cast<size_t>(upstream)];
}

absl::Status Upstreams::Call(Upstream upstream, const std::string& method, const google::protobuf::Message& request,
                             google::protobuf::Message* response, const CallerIdentity& caller) {
  std::string bytes;
  if (!request.SerializeToString(&bytes)) return absl::InternalError("cannot serialise the request");
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + deadline_);
  if (!caller.role.empty()) context.AddMetadata("cityops-role", caller.role);
  if (!caller.actor.empty()) context.AddMetadata("cityops-actor", caller.actor);
  grpc::GenericStub stub(channel(upstream));
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request_buffer, &response_buffer,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  const grpc::Status status = done.get_future().get();
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
        status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      return absl::Status(
          static_cast<absl::StatusCode>(status.error_code()),
          absl::StrCat(std::string(UpstreamName(upstream)), " is not answering (", status.error_message(), ")"));
    }
    return common::FromGrpcStatus(status);
  }
  std::vector<grpc::Slice> slices;
  if (!response_buffer.Dump(&slices).ok()) return absl::InternalError("cannot read the service's answer");
  std::string answer;
  for (const grpc::Slice& part : slices) answer.append(reinterpret_cast<const char*>(part.begin()), part.size());
  if (!response->ParseFromString(answer)) {
    return absl::InternalError(absl::StrCat("cannot parse the answer of ", std::string(UpstreamName(upstream))));
  }
  return absl::OkStatus();
}

}  // namespace cityops::gateway
