// grpc-health-check: asks a gRPC server's standard health service (grpc.health.v1.Health/Check)
// whether it is SERVING; exit 0 if so, 1 if it answered anything else, 2 if it could not be
// asked. Used by docker-compose.yml's health checks (Kubernetes asks the same service with its
// own `grpc:` probes and needs no program).
//
//   grpc-health-check [HOST:PORT] [--service NAME] [--timeout-ms N]
//
// HOST:PORT defaults to 127.0.0.1:50051. A few lines against libgrpc++ (already in the
// image) instead of shipping another tool: the request and the answer are encoded by hand,
// as they are two tiny messages (HealthCheckRequest{string service = 1},
// HealthCheckResponse{ServingStatus status = 1}, SERVING = 1).
#include <grpcpp/grpcpp.h>
#include <grpcpp/generic/generic_stub.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <future>
#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr int kServing = 1;

// HealthCheckRequest{service}: field 1, length-delimited (tag 0x0a), omitted when empty.
std::string EncodeRequest(const std::string& service) {
  std::string out;
  if (service.empty()) return out;
  out.push_back(static_cast<char>(0x0a));
  uint64_t n = service.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  out += service;
  return out;
}

bool ReadVarint(const std::string& in, size_t* pos, uint64_t* value) {
  *value = 0;
  for (int shift = 0; shift < 64 && *pos < in.size(); shift += 7) {
    const auto byte = static_cast<uint8_t>(in[(*pos)++]);
    *value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

// HealthCheckResponse.status (field 1, varint); 0 (UNKNOWN) when absent. -1: malformed.
int DecodeStatus(const std::string& in) {
  size_t pos = 0;
  int status = 0;
  while (pos < in.size()) {
    uint64_t key = 0;
    if (!ReadVarint(in, &pos, &key)) return -1;
    const uint64_t field = key >> 3;
    const uint64_t wire = key & 7;
    uint64_t value = 0;
    if (wire == 0) {
      if (!ReadVarint(in, &pos, &value)) return -1;
      if (field == 1) status = static_cast<int>(value);
    } else if (wire == 2) {
      if (!ReadVarint(in, &pos, &value) || value > in.size() - pos) return -1;
      pos += value;
    } else if (wire == 1 || wire == 5) {
      pos += wire == 1 ? 8 : 4;
      if (pos > in.size()) return -1;
    } else {
      return -1;
    }
  }
  return status;
}

int Usage() {
  std::cerr << "usage: grpc-health-check [HOST:PORT] [--service NAME] [--timeout-ms N]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string target = "127.0.0.1:50051";
  std::string service;
  long timeout_ms = 2000;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--service" && i + 1 < argc) {
      service = argv[++i];
    } else if (arg == "--timeout-ms" && i + 1 < argc) {
      timeout_ms = std::strtol(argv[++i], nullptr, 10);
      if (timeout_ms <= 0) return Usage();
    } else if (!arg.empty() && arg[0] != '-') {
      target = arg;
    } else {
      return Usage();
    }
  }

  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));

  const std::string request_bytes = EncodeRequest(service);
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  const grpc::Status status = done.get_future().get();
  if (!status.ok()) {
    std::cerr << "grpc-health-check: " << target << ": " << status.error_code() << " " << status.error_message()
              << "\n";
    return 2;
  }
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) {
    std::cerr << "grpc-health-check: " << target << ": unreadable answer\n";
    return 2;
  }
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  const int serving = DecodeStatus(bytes);
  if (serving < 0) {
    std::cerr << "grpc-health-check: " << target << ": malformed answer\n";
    return 2;
  }
  if (serving != kServing) {
    std::cerr << "grpc-health-check: " << target << ": not serving (status " << serving << ")\n";
    return 1;
  }
  return 0;
}
