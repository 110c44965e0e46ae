#include "crew_agent.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"

namespace cityops::sim {
namespace {

namespace dv1 = dispatch::v1;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Crew dispatch as the crews' app sees it: the assignment events the test
// pushes, and a record of the crews' answers (with when they came).
class FakeDispatch final : public dv1::CrewDispatch::Service {
 public:
  struct Answer {
    std::string verb;
    std::string crew_id;
    std::string order_id;
    Clock::time_point at;
  };

  grpc::Status UpsertCrew(grpc::ServerContext*, const dv1::UpsertCrewRequest* request, dv1::Crew* out) override {
    *out = request->crew();
    std::lock_guard lock(mutex_);
    upserted_.push_back(request->crew().id());
    return grpc::Status::OK;
  }
  grpc::Status SetCrewAvailability(grpc::ServerContext*, const dv1::SetCrewAvailabilityRequest*, dv1::Crew*) override {
    return grpc::Status::OK;
  }
  grpc::Status AcceptWorkOrder(grpc::ServerContext*, const dv1::CrewWorkOrderRequest* r, dv1::WorkOrder* out) override {
    return Record("accept", *r, out);
  }
  grpc::Status ArriveAtWorkOrder(grpc::ServerContext*, const dv1::CrewWorkOrderRequest* r,
                                 dv1::WorkOrder* out) override {
    return Record("arrive", *r, out);
  }
  grpc::Status CompleteWorkOrder(grpc::ServerContext*, const dv1::CrewWorkOrderRequest* r,
                                 dv1::WorkOrder* out) override {
    return Record("complete", *r, out);
  }
  grpc::Status WatchAssignments(grpc::ServerContext* context, const dv1::WatchAssignmentsRequest*,
                                grpc::ServerWriter<dv1::AssignmentEvent>* writer) override {
    std::unique_lock lock(mutex_);
    while (!context->IsCancelled() && !closing_) {
      if (events_.empty()) {
        cv_.wait_for(lock, 20ms);
        continue;
      }
      const dv1::AssignmentEvent event = events_.front();
      events_.pop_front();
      lock.unlock();
      writer->Write(event);
      lock.lock();
    }
    return grpc::Status::OK;
  }

  void Push(dv1::AssignmentChange change, const std::string& order_id, const std::string& crew_id, double eta_s = 30) {
    dv1::AssignmentEvent event;
    event.set_change(change);
    auto* order = event.mutable_work_order();
    order->set_id(order_id);
    order->set_incident_id("INC-" + order_id);
    order->set_skill("street_lighting");
    order->set_eta_s(eta_s);
    order->mutable_location()->set_lat(47.33);
    order->mutable_location()->set_lon(5.05);
    // Dispatch clears a preempted order's crew; the event names the crew otherwise.
    if (change != dv1::ASSIGNMENT_CHANGE_PREEMPTED) {
      order->set_crew_id(crew_id);
      event.set_crew_id(crew_id);
    }
    {
      std::lock_guard lock(mutex_);
      events_.push_back(event);
    }
    cv_.notify_all();
  }
  void Close() {
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
    }
    cv_.notify_all();
  }
  std::vector<Answer> answers() const {
    std::lock_guard lock(mutex_);
    return answers_;
  }
  bool Answered(const std::string& verb, const std::string& order_id) const {
    for (const auto& a : answers()) {
      if (a.verb == verb && a.order_id == order_id) return true;
    }
    return false;
  }
  std::vector<std::string> upserted() const {
    std::lock_guard lock(mutex_);
    return upserted_;
  }

 private:
  grpc::Status Record(const std::string& verb, const dv1::CrewWorkOrderRequest& r, dv1::WorkOrder* out) {
    out->set_id(r.work_order_id());
    out->set_crew_id(r.crew_id());
    out->set_incident_id("INC-" + r.work_order_id());
    std::lock_guard lock(mutex_);
    answers_.push_back({verb, r.crew_id(), r.work_order_id(), Clock::now()});
    return grpc::Status::OK;
  }

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<dv1::AssignmentEvent> events_;
  std::vector<Answer> answers_;
  std::vector<std::string> upserted_;
  bool closing_ = false;
};

struct Harness {
  FakeDispatch dispatch;
  std::unique_ptr<grpc::Server> server;
  std::shared_ptr<grpc::Channel> channel;
  VehicleTracks tracks;
  std::mutex lines_mutex;
  std::vector<std::string> lines;
  std::vector<dv1::WorkOrder> completed;

  Harness() {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&dispatch);
    server = builder.BuildAndStart();
    REQUIRE(server != nullptr);
    channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  }
  ~Harness() {
    dispatch.Close();
    server->Shutdown(std::chrono::system_clock::now() + 1s);
  }

  std::unique_ptr<CrewAgent> Agent(double speed) {
    auto agent = std::make_unique<CrewAgent>(channel, speed, tracks, [this](const std::string& line) {
      std::lock_guard lock(lines_mutex);
      lines.push_back(line);
    });
    agent->SetOnCompleted([this](const dv1::WorkOrder& order) {
      std::lock_guard lock(lines_mutex);
      completed.push_back(order);
    });
    CrewPlan a;
    a.id = "crew-a";
    a.vehicle_id = "veh-001";
    a.skills = {"street_lighting", "general"};
    a.lat = 47.32;
    a.lon = 5.04;
    CrewPlan b = a;
    b.id = "crew-b";
    b.vehicle_id = "veh-002";
    REQUIRE(agent->RegisterCrews({a, b}).ok());
    agent->Start();
    return agent;
  }

  bool Printed(const std::string& text) {
    std::lock_guard lock(lines_mutex);
    for (const auto& line : lines) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }
};

// Waits (10 s at most) for `done`.
template <typename F>
bool WaitFor(F done) {
  const auto until = Clock::now() + 10s;
  while (Clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

}  // namespace

TEST_CASE("CrewAgent: a crew accepts, drives at least 90 simulated seconds, works, completes", "[crew_agent]") {
  Harness h;
  auto agent = h.Agent(1000);  // 90 s of travel in 90 ms, 2 min of work in 120 ms
  CHECK(h.dispatch.upserted() == std::vector<std::string>{"crew-a", "crew-b"});
  // Next door (ETA 5 s): still the minimum travel time.
  h.dispatch.Push(dv1::ASSIGNMENT_CHANGE_ASSIGNED, "WO-1", "crew-a", 5);
  // Not one of ours: ignored.
  h.dispatch.Push(dv1::ASSIGNMENT_CHANGE_ASSIGNED, "WO-9", "crew-z", 5);
  REQUIRE(WaitFor([&] { return agent->completed() == 1; }));
  agent->Stop();

  const auto answers = h.dispatch.answers();
  REQUIRE(answers.size() == 3);
  CHECK(answers[0].verb == "accept");
  CHECK(answers[1].verb == "arrive");
  CHECK(answers[2].verb == "complete");
  for (const auto& a : answers) {
    CHECK(a.order_id == "WO-1");
    CHECK(a.crew_id == "crew-a");
  }
  CHECK(answers[1].at - answers[0].at >= 85ms);
  CHECK(answers[2].at - answers[1].at >= 115ms);
  // The callback got the order as dispatch returned it.
  REQUIRE(h.completed.size() == 1);
  CHECK(h.completed[0].id() == "WO-1");
  CHECK(h.completed[0].incident_id() == "INC-WO-1");
  CHECK(agent->preempted() == 0);
  // The vehicle is parked at the order's place.
  const auto fix = h.tracks.Where("veh-001", Clock::now());
  REQUIRE(fix.has_value());
  CHECK(fix->lat == Approx(47.33));
  CHECK(fix->lon == Approx(5.05));
  CHECK(fix->speed_kmh == 0);
  CHECK(h.Printed("COMPLETED WO-1 crew-a"));
}

TEST_CASE("CrewAgent: a crew preempted while driving abandons its order for the new one", "[crew_agent]") {
  Harness h;
  auto agent = h.Agent(50);  // 90 s of travel in 1.8 s, 2 min of work in 2.4 s
  h.dispatch.Push(dv1::ASSIGNMENT_CHANGE_ASSIGNED, "WO-1", "crew-a", 60);
  REQUIRE(WaitFor([&] { return h.dispatch.Answered("accept", "WO-1"); }));
  std::this_thread::sleep_for(200ms);  // on the way
  const auto moving = h.tracks.Where("veh-001", Clock::now());
  REQUIRE(moving.has_value());
  CHECK(moving->speed_kmh > 0);
  // Dispatch: WO-1 back to the queue, crew-a to the critical WO-2.
  h.dispatch.Push(dv1::ASSIGNMENT_CHANGE_PREEMPTED, "WO-1", "");
  h.dispatch.Push(dv1::ASSIGNMENT_CHANGE_ASSIGNED, "WO-2", "crew-a", 30);
  REQUIRE(WaitFor([&] { return agent->completed() == 1; }));
  // Past the time WO-1's arrival was due (1.8 s after its acceptance): it never came.
  std::this_thread::sleep_for(200ms);
  agent->Stop();
  CHECK(h.Printed("crew-a preempted from WO-1 for WO-2"));
  CHECK(agent->preempted() == 1);
  CHECK_FALSE(h.dispatch.Answered("arrive", "WO-1"));
  CHECK_FALSE(h.dispatch.Answered("complete", "WO-1"));
  CHECK(h.dispatch.Answered("arrive", "WO-2"));
  CHECK(h.dispatch.Answered("complete", "WO-2"));
  REQUIRE(h.completed.size() == 1);
  CHECK(h.completed[0].id() == "WO-2");
}

TEST_CASE("CrewAgent: a cancelled order is dropped, the crew stops where it is", "[crew_agent]") {
  Harness h;
  auto agent = h.Agent(50);
  h.dispatch.Push(dv1::ASSIGNMENT_CHANGE_ASSIGNED, "WO-3", "crew-b", 60);
  REQUIRE(WaitFor([&] { return h.dispatch.Answered("accept", "WO-3"); }));
  std::this_thread::sleep_for(100ms);
  h.dispatch.Push(dv1::ASSIGNMENT_CHANGE_CANCELLED, "WO-3", "crew-b");
  REQUIRE(WaitFor([&] { return h.Printed("crew-b dropped WO-3"); }));
  const auto stopped = h.tracks.Where("veh-002", Clock::now());
  REQUIRE(stopped.has_value());
  CHECK(stopped->speed_kmh == 0);
  CHECK(stopped->lat < 47.33);      // short of the order's place
  std::this_thread::sleep_for(2s);  // past the arrival it would have made
  agent->Stop();
  CHECK_FALSE(h.dispatch.Answered("arrive", "WO-3"));
  CHECK(agent->completed() == 0);
  CHECK(agent->preempted() == 0);
}

}  // namespace cityops::sim
