#include "call_agent.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"

namespace cityops::sim {
namespace {

namespace cv1 = calls::v1;
using namespace std::chrono_literals;

// Resident calls as the residents see it: requests created on CreateRequest
// (a category "bad" refused), changed by the test, all listed on
// ListRequests (filters ignored: the agent's versions tell what is new).
class FakeResidentCalls final : public cv1::ResidentCalls::Service {
 public:
  grpc::Status CreateRequest(grpc::ServerContext*, const cv1::CreateRequestRequest* r,
                             cv1::CreateRequestResponse* out) override {
    if (r->category() == "bad") return {grpc::StatusCode::INVALID_ARGUMENT, "category: unknown 'bad'"};
    std::lock_guard lock(mutex_);
    cv1::ResidentRequest& request = requests_[absl::StrCat("RQ-", requests_.size() + 1)];
    request.set_id(absl::StrCat("RQ-", requests_.size()));
    request.set_category(r->category());
    request.set_channel(r->channel());
    request.set_district(1);
    request.set_status(cv1::REQUEST_STATUS_OPEN);
    request.set_version(1);
    *out->mutable_request()->mutable_request() = request;
    out->set_created(true);
    keys_.push_back(r->idempotency_key());
    return grpc::Status::OK;
  }
  grpc::Status ListRequests(grpc::ServerContext*, const cv1::ListRequestsRequest*,
                            cv1::ListRequestsResponse* out) override {
    std::lock_guard lock(mutex_);
    for (const auto& [id, request] : requests_) *out->add_requests() = request;
    return grpc::Status::OK;
  }

  void Link(const std::string& id, const std::string& incident, bool known) {
    std::lock_guard lock(mutex_);
    cv1::ResidentRequest& r = requests_.at(id);
    r.set_incident_id(incident);
    r.set_linked_to_known_incident(known);
    r.set_status(cv1::REQUEST_STATUS_ACKNOWLEDGED);
    r.set_version(r.version() + 1);
  }
  void Close(const std::string& id) {
    std::lock_guard lock(mutex_);
    cv1::ResidentRequest& r = requests_.at(id);
    r.set_status(cv1::REQUEST_STATUS_CLOSED);
    r.set_status_note("Fixed.");
    r.set_version(r.version() + 1);
  }
  size_t created() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }
  std::vector<std::string> keys() const {
    std::lock_guard lock(mutex_);
    return keys_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, cv1::ResidentRequest> requests_;
  std::vector<std::string> keys_;
};

template <typename F>
bool WaitFor(F done) {
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

ResidentCall Call(const std::string& category, std::chrono::milliseconds at) {
  ResidentCall call;
  call.at = at;
  call.category = category;
  call.description = "Something.";
  call.lat = 47.32;
  call.lon = 5.04;
  call.district = 1;
  call.address = "near 1 rue du Moulin, Centre-Ville, 21000 Dijon";
  call.about = "cab-0001";
  return call;
}

}  // namespace

TEST_CASE("CallAgent: calls received, rejected, linked once per request and closed", "[call_agent]") {
  FakeResidentCalls service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  REQUIRE(server != nullptr);

  CallLineParams no_daily_flow;
  no_daily_flow.calls_per_day = 0;
  CallAgentSettings settings;
  settings.run_id = "test";
  settings.poll_every = 30ms;
  std::mutex lines_mutex;
  std::vector<std::string> lines;
  CallAgent agent(grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()),
                  CallLine(no_daily_flow),
                  {Call("street_lighting", 0ms), Call("bad", 10ms), Call("street_lighting", 20ms)}, settings,
                  [&](const std::string& line) {
                    std::lock_guard lock(lines_mutex);
                    lines.push_back(line);
                  });
  agent.Start(std::chrono::steady_clock::now());
  REQUIRE(WaitFor([&] {
    const CallStats c = agent.stats();
    return c.received + c.rejected + c.failed == 3;
  }));
  CallStats s = agent.stats();
  CHECK(s.placed == 3);
  CHECK(s.received == 2);
  CHECK(s.sent == 2);
  CHECK(s.rejected == 1);
  CHECK(s.failed == 0);
  CHECK(service.created() == 2);
  for (const auto& key : service.keys()) CHECK(key.rfind("city-sim-test-scenario-cab-0001-", 0) == 0);

  // RQ-1 linked to a known incident, then relinked to another: one link.
  service.Link("RQ-1", "INC-1", true);
  REQUIRE(WaitFor([&] { return agent.stats().linked == 1; }));
  service.Link("RQ-1", "INC-2", true);
  service.Link("RQ-2", "INC-2", false);
  service.Close("RQ-2");
  REQUIRE(WaitFor([&] { return agent.stats().closed == 1; }));
  std::this_thread::sleep_for(100ms);  // a few more polls
  s = agent.stats();
  CHECK(s.linked == 2);
  CHECK(s.linked_to_known == 1);
  CHECK(s.closed == 1);

  // Closed after the agent stopped: Refresh counts it.
  agent.Stop();
  service.Close("RQ-1");
  CHECK(agent.stats().closed == 1);
  agent.Refresh();
  CHECK(agent.stats().closed == 2);
  CHECK(agent.stats().linked == 2);
  server->Shutdown(std::chrono::system_clock::now() + 1s);
  std::lock_guard lock(lines_mutex);
  bool rejected_line = false;
  for (const auto& line : lines)
    rejected_line =
        rejected_line || line.rfind("REJECTED street_lighting", 0) == 0 || line.rfind("REJECTED bad", 0) == 0;
  CHECK(rejected_line);
}

}  // namespace cityops::sim
