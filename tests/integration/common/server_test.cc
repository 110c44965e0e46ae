#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

#include <grpcpp/generic/generic_stub.h>
#include <prometheus/counter.h>

#include "cityops/common/grpc_server.h"
#include "cityops/common/metrics.h"
#include "cityops/common/shutdown.h"

using namespace std::chrono_literals;

namespace {

// grpc.health.v1.Health/Check with an empty request; returns the status
// field of the answer (1 SERVING, 2 NOT_SERVING) or -1.
int HealthCheck(int port) {
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 5s);
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);  // empty HealthCheckRequest: service ""
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  const grpc::Status status = done.get_future().get();
  if (!status.ok()) return -1;
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return -1;
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // HealthCheckResponse { ServingStatus status = 1; } as varint field 1.
  if (bytes.size() == 2 && bytes[0] == 0x08) return bytes[1];
  if (bytes.empty()) return 0;  // UNKNOWN (default value is not encoded)
  return -1;
}

std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "";
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
  if (write(fd, request.data(), request.size()) < 0) {
    close(fd);
    return "";
  }
  std::string answer;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) answer.append(buf, static_cast<size_t>(n));
  close(fd);
  return answer;
}

}  // namespace

TEST_CASE("GrpcServer on port 0 answers health NOT_SERVING until ready", "[grpc]") {
  auto server = cityops::common::GrpcServer::Start({}, {});
  INFO(server.status().ToString());
  REQUIRE(server.ok());
  const int port = (*server)->port();
  CHECK(port > 0);
  CHECK(HealthCheck(port) == 2);
  (*server)->SetServing(true);
  CHECK(HealthCheck(port) == 1);
  (*server)->SetServing(false);
  CHECK(HealthCheck(port) == 2);
  (*server)->SetServing(true);
  (*server)->Shutdown(1s);
  CHECK(HealthCheck(port) == -1);  // gone
}

TEST_CASE("MetricsServer on port 0 serves the registry", "[metrics]") {
  auto registry = std::make_shared<prometheus::Registry>();
  prometheus::BuildCounter().Name("cityops_test_things_total").Help("things").Register(*registry).Add({}).Increment(3);
  auto server = cityops::common::MetricsServer::Start("127.0.0.1:0", registry);
  INFO(server.status().ToString());
  REQUIRE(server.ok());
  CHECK((*server)->port() > 0);
  const std::string page = HttpGet((*server)->port(), "/metrics");
  CHECK_THAT(page, Catch::Contains("200"));
  CHECK_THAT(page, Catch::Contains("cityops_test_things_total 3"));
}

TEST_CASE("ShutdownSignal returns the signal, or 0 when asked to stop", "[shutdown]") {
  cityops::common::ShutdownSignal::Install();
  SECTION("SIGTERM") {
    pthread_kill(pthread_self(), SIGTERM);
    CHECK(cityops::common::ShutdownSignal::WaitForShutdownSignal() == SIGTERM);
  }
  SECTION("RequestShutdown from another thread wakes the waiter at once") {
    const auto start = std::chrono::steady_clock::now();
    std::thread requester([] {
      std::this_thread::sleep_for(50ms);
      cityops::common::ShutdownSignal::RequestShutdown();
    });
    CHECK(cityops::common::ShutdownSignal::WaitForShutdownSignal() == 0);
    requester.join();
    // Well under the 2 s safety-net timeout of the wait: the wake signal ended it.
    CHECK(std::chrono::steady_clock::now() - start < 1500ms);
  }
}
