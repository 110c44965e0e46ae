#include "crew_agent.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
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

  struct Position {
    std::string crew_id;
    double lat = 0, lon = 0;
    Clock::time_point at;
  };

  grpc::Status UpsertCrew(grpc::ServerContext*, const dv1::UpsertCrewRequest* request, dv1::Crew* out) override {
    *out = request->crew();
    std::lock_guard lock(mutex_);
    upserted_.push_back(request->crew().id());
    dv1::Crew& crew = crews_[request->crew().id()];
    crew = request->crew();
    *crew.mutable_position() = crew.home_base();
    return grpc::Status::OK;
  }
  grpc::Status GetCrew(grpc::ServerContext*, const dv1::GetCrewRequest* request, dv1::Crew* out) override {
    std::lock_guard lock(mutex_);
    const auto it = crews_.find(request->id());
    if (it == crews_.end()) return {grpc::StatusCode::NOT_FOUND, "crew " + request->id() + " not found"};
    *out = it->second;
    return grpc::Status::OK;
  }
  grpc::Status ListCrews(grpc::ServerContext*, const dv1::ListCrewsRequest*, dv1::ListCrewsResponse* out) override {
    std::lock_guard lock(mutex_);
    for (const auto& [id, crew] : crews_) *out->add_crews() = crew;
    return grpc::Status::OK;
  }
  grpc::Status UpdateCrewPosition(grpc::ServerContext*, const dv1::UpdateCrewPositionRequest* request,
                                  dv1::Crew* out) override {
    std::lock_guard lock(mutex_);
    dv1::Crew& crew = crews_[request->crew_id()];
    *crew.mutable_position() = request->position();
    positions_.push_back({request->crew_id(), request->position().lat(), request->position().lon(), Clock::now()});
    *out = crew;
    return grpc::Status::OK;
  }
  // Holds a crew for a crisis at a point (as crew dispatch would, minus the checks).
  grpc::Status StageCrew(grpc::ServerContext*, const dv1::StageCrewRequest* request, dv1::Crew* out) override {
    std::lock_guard lock(mutex_);
    dv1::Crew& crew = crews_[request->crew_id()];
    if (!crew.has_staging()) {
      auto* staging = crew.mutable_staging();
      staging->set_crisis_id(request->crisis_id());
      staging->set_reason(request->reason());
      if (request->has_position()) *staging->mutable_position() = request->position();
    }
    *out = crew;
    return grpc::Status::OK;
  }
  grpc::Status ReleaseCrew(grpc::ServerContext*, const dv1::ReleaseCrewRequest* request, dv1::Crew* out) override {
    std::lock_guard lock(mutex_);
    dv1::Crew& crew = crews_[request->crew_id()];
    if (crew.staging().crisis_id() == request->crisis_id()) crew.clear_staging();
    *out = crew;
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
  // The positions the crews reported, in order.
  std::vector<Position> positions() const {
    std::lock_guard lock(mutex_);
    return positions_;
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
  std::map<std::string, dv1::Crew> crews_;
  std::vector<Position> positions_;
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

  std::unique_ptr<CrewAgent> Agent(double speed, std::chrono::milliseconds staging_poll = 5s) {
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
    agent->SetStagingPoll(staging_poll);
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

  // Through crew dispatch's RPCs, as the crisis desk would call them.
  void Stage(const std::string& crew, double lat, double lon) {
    auto stub = dv1::CrewDispatch::NewStub(channel);
    dv1::StageCrewRequest request;
    request.set_crew_id(crew);
    request.set_crisis_id("CRI-1");
    request.set_reason("flood watch");
    request.mutable_position()->set_lat(lat);
    request.mutable_position()->set_lon(lon);
    dv1::Crew out;
    grpc::ClientContext context;
    REQUIRE(stub->StageCrew(&context, request, &out).ok());
  }
  void Release(const std::string& crew) {
    auto stub = dv1::CrewDispatch::NewStub(channel);
    dv1::ReleaseCrewRequest request;
    request.set_crew_id(crew);
    request.set_crisis_id("CRI-1");
    dv1::Crew out;
    grpc::ClientContext context;
    REQUIRE(stub->ReleaseCrew(&context, request, &out).ok());
  }
  // The reports of a crew at (lat, lon).
  std::vector<FakeDispatch::Position> ReportsAt(const std::string& crew, double lat, double lon) {
    std::vector<FakeDispatch::Position> out;
    for (const auto& p : dispatch.positions()) {
      if (p.crew_id == crew && p.lat == Approx(lat) && p.lon == Approx(lon)) out.push_back(p);
    }
    return out;
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

// A staging point 4.4 km north of the crews' base: an estimate well over
// the 5 min cap, so the drive there takes 300 simulated seconds.
constexpr double kStageLat = 47.36, kStageLon = 5.04;

TEST_CASE("CrewAgent: a staged idle crew drives to its staging point in the travel time, then waits there",
          "[crew_agent][staging]") {
  Harness h;
  auto agent = h.Agent(200, 20ms);  // 300 s of travel in 1.5 s
  const auto staged_at = Clock::now();
  h.Stage("crew-a", kStageLat, kStageLon);
  REQUIRE(WaitFor([&] { return h.Printed("STAGING   crew-a"); }));
  std::this_thread::sleep_for(300ms);
  const auto moving = h.tracks.Where("veh-001", Clock::now());
  REQUIRE(moving.has_value());
  CHECK(moving->speed_kmh > 0);
  CHECK(moving->lat > 47.32);
  CHECK(moving->lat < kStageLat);
  CHECK(h.ReportsAt("crew-a", kStageLat, kStageLon).empty());  // not there yet
  REQUIRE(WaitFor([&] { return agent->staged() == 1; }));
  const auto reports = h.ReportsAt("crew-a", kStageLat, kStageLon);
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].at - staged_at >= 1450ms);
  CHECK(h.Printed("STAGED    crew-a"));
  // It waits there: parked, and not sent again by the next polls.
  std::this_thread::sleep_for(200ms);
  const auto parked = h.tracks.Where("veh-001", Clock::now());
  REQUIRE(parked.has_value());
  CHECK(parked->lat == Approx(kStageLat));
  CHECK(parked->lon == Approx(kStageLon));
  CHECK(parked->speed_kmh == 0);
  agent->Stop();
  CHECK(agent->staged() == 1);
  CHECK(h.ReportsAt("crew-a", kStageLat, kStageLon).size() == 1);
  // The other crew, not staged, stayed at its base.
  const auto other = h.tracks.Where("veh-002", Clock::now());
  REQUIRE(other.has_value());
  CHECK(other->lat == Approx(47.32));
}

TEST_CASE("CrewAgent: an order during staging is served as usual, then the crew drives back", "[crew_agent][staging]") {
  Harness h;
  auto agent = h.Agent(200, 20ms);  // to the staging point in 1.5 s; to the order in 0.45 s, work 0.6 s
  h.Stage("crew-a", kStageLat, kStageLon);
  REQUIRE(WaitFor([&] { return h.Printed("STAGING   crew-a"); }));
  std::this_thread::sleep_for(300ms);  // on the way to the staging point
  h.dispatch.Push(dv1::ASSIGNMENT_CHANGE_ASSIGNED, "WO-1", "crew-a", 30);
  REQUIRE(WaitFor([&] { return agent->completed() == 1; }));
  const auto completed_at = Clock::now();
  CHECK(h.dispatch.Answered("accept", "WO-1"));
  CHECK(h.dispatch.Answered("arrive", "WO-1"));
  // The staging trip it was on never arrived: taken by the order.
  CHECK(h.ReportsAt("crew-a", kStageLat, kStageLon).empty());
  // Back to the staging point from the order's place (4 km: 300 s, 1.5 s).
  REQUIRE(WaitFor([&] { return agent->staged() == 1; }));
  const auto reports = h.ReportsAt("crew-a", kStageLat, kStageLon);
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].at - completed_at >= 1400ms);
  const auto parked = h.tracks.Where("veh-001", Clock::now());
  REQUIRE(parked.has_value());
  CHECK(parked->lat == Approx(kStageLat));
  agent->Stop();
  CHECK(agent->preempted() == 0);
}

TEST_CASE("CrewAgent: a released crew does not go back to the staging point", "[crew_agent][staging]") {
  Harness h;
  auto agent = h.Agent(1000, 20ms);  // to the staging point in 0.3 s
  h.Stage("crew-a", kStageLat, kStageLon);
  REQUIRE(WaitFor([&] { return agent->staged() == 1; }));
  h.Release("crew-a");
  h.dispatch.Push(dv1::ASSIGNMENT_CHANGE_ASSIGNED, "WO-1", "crew-a", 30);
  REQUIRE(WaitFor([&] { return agent->completed() == 1; }));
  std::this_thread::sleep_for(600ms);  // twice the drive back it would have made, many polls
  agent->Stop();
  CHECK(agent->staged() == 1);
  CHECK(h.ReportsAt("crew-a", kStageLat, kStageLon).size() == 1);
  // Parked where it worked.
  const auto parked = h.tracks.Where("veh-001", Clock::now());
  REQUIRE(parked.has_value());
  CHECK(parked->lat == Approx(47.33));
  CHECK(parked->lon == Approx(5.05));
  CHECK(parked->speed_kmh == 0);
}

TEST_CASE("CrewAgent: a crew released on its way to the staging point stops where it is", "[crew_agent][staging]") {
  Harness h;
  auto agent = h.Agent(200, 20ms);
  h.Stage("crew-b", kStageLat, kStageLon);
  REQUIRE(WaitFor([&] { return h.Printed("STAGING   crew-b"); }));
  std::this_thread::sleep_for(300ms);
  h.Release("crew-b");
  REQUIRE(WaitFor([&] { return h.Printed("crew-b released from its staging point"); }));
  const auto stopped = h.tracks.Where("veh-002", Clock::now());
  REQUIRE(stopped.has_value());
  CHECK(stopped->speed_kmh == 0);
  CHECK(stopped->lat < kStageLat);
  std::this_thread::sleep_for(1500ms);  // past the arrival it would have made
  agent->Stop();
  CHECK(agent->staged() == 0);
  CHECK(h.ReportsAt("crew-b", kStageLat, kStageLon).empty());
}

}  // namespace cityops::sim
