// lighting-control on the real broker and database, with the real
// telemetry-ingest on the same topics: the light points are registered in
// ingest (lighting learns them from the asset registry topic), the field's
// readings go on the readings topic, "command not applied" faults come back
// on ingest's faults topic.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_format.h"
#include "cityops/common/kafka.h"
#include "cityops/common/local_time.h"
#include "cityops/common/proto_time.h"
#include "cityops/common/topic_names.h"
#include "cityops/lighting/v1/lighting_control.grpc.pb.h"
#include "cityops/telemetry/v1/readings.pb.h"
#include "cityops/telemetry/v1/telemetry_ingest.grpc.pb.h"
#include "cityops_test_support.h"
#include "service_process.h"

namespace cityops::testing {
namespace {

using namespace std::chrono_literals;
namespace lv1 = ::cityops::lighting::v1;
namespace tv1 = ::cityops::telemetry::v1;

// District 1: cab-a (3 points), cab-b (2 points); district 2: cab-c (2 points).
const std::map<std::string, std::vector<std::string>> kCabinets = {
    {"cab-a", {"lp-a1", "lp-a2", "lp-a3"}}, {"cab-b", {"lp-b1", "lp-b2"}}, {"cab-c", {"lp-c1", "lp-c2"}}};
int DistrictOf(const std::string& cabinet) { return cabinet == "cab-c" ? 2 : 1; }
// Asset attribute "road_class": lp-a1 and lp-a2 on a main road (the rest of
// cab-a and cab-b local), cab-c's on a main road of district 2.
std::string RoadClassOf(const std::string& point) {
  return point == "lp-a1" || point == "lp-a2" || point.rfind("lp-c", 0) == 0 ? "main" : "local";
}

// The shipped defaults with another confirmation timeout, as a file.
std::string ConfigWithTimeout(int timeout_s) {
  std::ifstream in(std::string(CITYOPS_SOURCE_DIR) + "/services/lighting-control/config/lighting.json");
  std::stringstream text;
  text << in.rdbuf();
  std::string json = text.str();
  const std::string from = "\"timeout_s\": 120";
  const auto at = json.find(from);
  REQUIRE(at != std::string::npos);
  json.replace(at, from.size(), "\"timeout_s\": " + std::to_string(timeout_s));
  const std::string path = "/tmp/" + UniqueName("lighting_config") + ".json";
  std::ofstream(path) << json;
  return path;
}

// telemetry-ingest and lighting-control on one set of topics.
class Suite {
 public:
  explicit Suite(std::vector<std::string> lighting_args = {}) {
    ingest_ = std::make_unique<ServiceProcess>(TELEMETRY_INGEST_BINARY, Args(ingest_schema_),
                                               "/tmp/" + UniqueName("lc_ti") + ".log");
    lighting_args_ = std::move(lighting_args);
    StartLighting();
    assets_ = tv1::TelemetryIngest::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(ingest_->grpc_port()), grpc::InsecureChannelCredentials()));
    auto producer = common::KafkaProducer::Create(TestKafkaSettings());
    REQUIRE(producer.ok());
    producer_ = std::move(*producer);
  }

  void StartLighting() {
    lighting_.reset();
    auto args = Args(lighting_schema_);
    args.push_back("--ingest-address=127.0.0.1:" + std::to_string(ingest_->grpc_port()));
    args.push_back("--readings-from=earliest");
    args.push_back("--rebuild-quiet=500ms");
    args.insert(args.end(), lighting_args_.begin(), lighting_args_.end());
    lighting_ = std::make_unique<ServiceProcess>(LIGHTING_CONTROL_BINARY, args, "/tmp/" + UniqueName("lc") + ".log");
    stub_ = lv1::LightingControl::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(lighting_->grpc_port()), grpc::InsecureChannelCredentials()));
  }

  // Registers the cabinets and light points in ingest; waits until lighting has them all.
  void RegisterCity() {
    tv1::RegisterAssetsRequest request;
    double north = 0;
    for (const auto& [cabinet, points] : kCabinets) {
      auto* c = request.add_assets();
      c->set_id(cabinet);
      c->set_kind(tv1::ASSET_KIND_CONTROL_CABINET);
      c->set_district(DistrictOf(cabinet));
      c->mutable_location()->set_lat(47.32 + north);
      c->mutable_location()->set_lon(5.04);
      c->set_reporting_interval_s(300);
      for (const auto& id : points) {
        north += 0.0005;
        auto* p = request.add_assets();
        p->set_id(id);
        p->set_kind(tv1::ASSET_KIND_LIGHT_POINT);
        p->set_district(DistrictOf(cabinet));
        p->set_parent_id(cabinet);
        p->mutable_location()->set_lat(47.32 + north);
        p->mutable_location()->set_lon(5.04);
        p->set_reporting_interval_s(300);
        p->set_rated_watts(40);
        p->set_baseline_watts(150);
        (*p->mutable_attributes())["road_class"] = RoadClassOf(id);
        (*p->mutable_attributes())["street"] = RoadClassOf(id) == "main" ? "Boulevard " + cabinet : "Rue " + id;
      }
    }
    tv1::RegisterAssetsResponse response;
    grpc::ClientContext context;
    const auto status = assets_->RegisterAssets(&context, request, &response);
    INFO(status.error_message());
    REQUIRE(status.ok());
    REQUIRE(Eventually([&] { return Metric("cityops_lighting_control_light_points") == 7; }));
  }

  double Metric(const std::string& series) const { return ScrapeMetric(lighting_->metrics_port(), series); }

  // The commands on the topic so far, in the order they were sent (the
  // topic keeps order per cabinet only: sorted by their sequence number).
  std::vector<lv1::LightingCommand> Commands() const {
    std::vector<std::pair<long, lv1::LightingCommand>> sequenced;
    for (const auto& m : ConsumeAll(topics_.Name(topics::kLightingCommands), 1s)) {
      lv1::LightingCommand c;
      REQUIRE(c.ParseFromString(m.value));
      CHECK(m.key == c.cabinet_id());
      const std::string& id = c.meta().event_id();
      sequenced.emplace_back(std::stol(id.substr(id.rfind('-') + 1)), c);
    }
    std::sort(sequenced.begin(), sequenced.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<lv1::LightingCommand> out;
    for (auto& [sequence, c] : sequenced) out.push_back(std::move(c));
    return out;
  }
  std::vector<lv1::LightingCommand> WaitForCommands(size_t count) const {
    std::vector<lv1::LightingCommand> commands;
    Eventually([&] {
      commands = Commands();
      return commands.size() >= count;
    });
    return commands;
  }

  // A reading of a light point on the readings topic, as ingest publishes it.
  void PublishReading(const std::string& point, const std::string& metric, double value, common::TimePoint at) {
    tv1::TelemetryRecord record;
    record.set_record_id(UniqueName("rec"));
    *record.mutable_received_at() = common::ToProtoTime(at);
    auto* r = record.mutable_reading();
    r->set_asset_id(point);
    *r->mutable_time() = common::ToProtoTime(at);
    r->set_metric(metric);
    r->set_value(value);
    common::DeliveryLatch latch(1);
    REQUIRE(producer_
                ->Produce(topics_.Name(topics::kTelemetryReadings), point, record.SerializeAsString(),
                          [&](const auto& report) { latch.Done(report); })
                .ok());
    REQUIRE(latch.Wait(10s).ok());
  }

  // COMMAND_NOT_APPLIED fault events on ingest's faults topic: asset id -> states in order.
  std::map<std::string, std::vector<tv1::FaultState>> NotAppliedFaults() const {
    std::map<std::string, std::vector<tv1::FaultState>> out;
    for (const auto& m : ConsumeAll(topics_.Name(topics::kTelemetryFaults), 1s)) {
      tv1::FaultEvent e;
      REQUIRE(e.ParseFromString(m.value));
      if (e.type() == tv1::FAULT_TYPE_COMMAND_NOT_APPLIED) out[e.asset_id()].push_back(e.state());
    }
    return out;
  }

  lv1::LightingControl::Stub& stub() { return *stub_; }
  ServiceProcess& lighting() { return *lighting_; }

 private:
  std::vector<std::string> Args(const TestSchema& schema) const {
    return {"--pg-dsn=" + schema.dsn(),
            "--pg-schema=" + schema.name(),
            "--kafka-bootstrap=" + KafkaBootstrap(),
            "--topic-prefix=" + topics_.prefix(),
            "--grpc-address=127.0.0.1:0",
            "--metrics-address=127.0.0.1:0",
            "--tick-interval=200ms"};
  }

  TestTopics topics_;
  TestSchema ingest_schema_{"ti"};
  TestSchema lighting_schema_{"lc"};
  std::vector<std::string> lighting_args_;
  std::unique_ptr<ServiceProcess> ingest_;
  std::unique_ptr<ServiceProcess> lighting_;
  std::unique_ptr<tv1::TelemetryIngest::Stub> assets_;
  std::unique_ptr<lv1::LightingControl::Stub> stub_;
  std::unique_ptr<common::KafkaProducer> producer_;
};

lv1::Override DistrictOverride(int district, int level, std::chrono::seconds lasts) {
  lv1::Override o;
  o.mutable_scope()->set_kind(lv1::SCOPE_KIND_DISTRICT);
  o.mutable_scope()->set_district(district);
  o.set_level(level);
  o.set_reason("a festival in the old town");
  o.set_source(lv1::OVERRIDE_SOURCE_OPERATOR);
  *o.mutable_expiry() = common::ToProtoTime(std::chrono::system_clock::now() + lasts);
  return o;
}

lv1::Override RoadClassOverride(const std::string& road_class, int district, int level) {
  lv1::Override o;
  o.mutable_scope()->set_kind(lv1::SCOPE_KIND_ROAD_CLASS);
  o.mutable_scope()->set_id(road_class);
  o.mutable_scope()->set_district(district);
  o.set_level(level);
  o.set_reason("snow night: main roads lit");
  o.set_source(lv1::OVERRIDE_SOURCE_CRISIS);
  *o.mutable_expiry() = common::ToProtoTime(std::chrono::system_clock::now() + 1h);
  return o;
}

// Every point's level and source under `scope`, by point id.
std::map<std::string, std::pair<int, std::string>> EffectiveLevels(Suite& s, const lv1::Scope& scope) {
  lv1::GetEffectiveLevelRequest request;
  *request.mutable_scope() = scope;
  lv1::GetEffectiveLevelResponse response;
  grpc::ClientContext context;
  const auto status = s.stub().GetEffectiveLevel(&context, request, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
  std::map<std::string, std::pair<int, std::string>> out;
  for (const auto& l : response.levels()) out[l.point_id()] = {l.level(), l.source()};
  return out;
}

lv1::Scope CityScope() {
  lv1::Scope scope;
  scope.set_kind(lv1::SCOPE_KIND_CITY);
  return scope;
}

grpc::Status CreateOverride(Suite& s, const lv1::Override& o, const std::string& actor, lv1::Override* out) {
  lv1::CreateOverrideRequest request;
  *request.mutable_override() = o;
  request.set_actor(actor);
  grpc::ClientContext context;
  return s.stub().CreateOverride(&context, request, out);
}

}  // namespace

TEST_CASE(
    "A district override commands exactly that district's light points, one message per cabinet, and expiry "
    "brings the schedule back") {
  Suite s;
  s.RegisterCity();
  // The first plan commands every point by the schedule: one message per cabinet.
  auto commands = s.WaitForCommands(3);
  REQUIRE(commands.size() == 3);
  std::map<std::string, int> schedule;
  for (const auto& c : commands) {
    REQUIRE(c.has_cabinet_level());
    CHECK(c.point_count() == static_cast<int>(kCabinets.at(c.cabinet_id()).size()));
    schedule[c.cabinet_id()] = c.cabinet_level();
  }
  CHECK(schedule.size() == 3);

  lv1::Override created;
  const auto status = CreateOverride(s, DistrictOverride(1, 37, 15s), "operator-7", &created);
  INFO(status.error_message());
  REQUIRE(status.ok());
  CHECK_THAT(created.id(), Catch::StartsWith("OVR-"));
  CHECK(created.created_by() == "operator-7");

  commands = s.WaitForCommands(5);
  REQUIRE(commands.size() == 5);
  std::map<std::string, lv1::LightingCommand> during;
  for (size_t i = 3; i < 5; ++i) during[commands[i].cabinet_id()] = commands[i];
  REQUIRE(during.size() == 2);
  REQUIRE(during.count("cab-a") == 1);
  REQUIRE(during.count("cab-b") == 1);
  CHECK(during["cab-a"].cabinet_level() == 37);
  CHECK(during["cab-a"].point_count() == 3);
  CHECK(during["cab-b"].cabinet_level() == 37);
  CHECK(during["cab-b"].point_count() == 2);
  CHECK(during["cab-a"].district() == 1);

  {  // The effective level says why.
    lv1::GetEffectiveLevelRequest request;
    request.mutable_scope()->set_kind(lv1::SCOPE_KIND_CABINET);
    request.mutable_scope()->set_id("cab-b");
    lv1::GetEffectiveLevelResponse response;
    grpc::ClientContext context;
    REQUIRE(s.stub().GetEffectiveLevel(&context, request, &response).ok());
    REQUIRE(response.levels_size() == 2);
    CHECK(response.levels(0).level() == 37);
    CHECK(response.levels(0).source() == "override " + created.id());
  }

  // At expiry, the schedule's levels come back for those cabinets only.
  commands = s.WaitForCommands(7);
  REQUIRE(commands.size() == 7);
  std::map<std::string, int> after;
  for (size_t i = 5; i < 7; ++i) after[commands[i].cabinet_id()] = commands[i].cabinet_level();
  CHECK(after == std::map<std::string, int>{{"cab-a", schedule["cab-a"]}, {"cab-b", schedule["cab-b"]}});
  std::this_thread::sleep_for(1s);
  CHECK(s.Commands().size() == 7);  // nothing more: the field is where the plan wants it

  {  // A field gateway that starts watching gets the state first.
    lv1::WatchCommandsRequest request;
    request.set_cabinet_id("cab-c");
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 10s);
    auto reader = s.stub().WatchCommands(&context, request);
    lv1::LightingCommand state;
    REQUIRE(reader->Read(&state));
    CHECK(state.cabinet_id() == "cab-c");
    CHECK(state.cabinet_level() == schedule["cab-c"]);
    CHECK(state.point_count() == 2);
    context.TryCancel();
  }
  {  // Audited, with who did it.
    lv1::ListAuditRequest request;
    lv1::ListAuditResponse response;
    grpc::ClientContext context;
    REQUIRE(s.stub().ListAudit(&context, request, &response).ok());
    REQUIRE(response.entries_size() == 1);
    CHECK(response.entries(0).actor() == "operator-7");
    CHECK(response.entries(0).action() == "override.create");
    CHECK(response.entries(0).target_id() == created.id());
  }
}

TEST_CASE("Light points that do not reach their commanded level are reported as faults, cleared when they do") {
  Suite s({"--config-file=" + ConfigWithTimeout(15)});
  s.RegisterCity();
  const auto commands = s.WaitForCommands(3);
  REQUIRE(commands.size() == 3);
  std::map<std::string, int> level;
  for (const auto& c : commands) level[c.cabinet_id()] = c.cabinet_level();
  // cab-a and cab-c obey; cab-b's points say nothing.
  const auto now = std::chrono::system_clock::now();
  for (const std::string cabinet : {"cab-a", "cab-c"}) {
    for (const auto& p : kCabinets.at(cabinet)) s.PublishReading(p, "level_pct", level[cabinet], now);
  }
  CHECK(Eventually(
      [&] { return s.Metric("cityops_lighting_control_readings_applied_total{metric=\"level_pct\"}") == 5; }));
  std::map<std::string, std::vector<tv1::FaultState>> faults;
  REQUIRE(Eventually(
      [&] {
        faults = s.NotAppliedFaults();
        return faults.size() >= 2;
      },
      60s));
  std::this_thread::sleep_for(1s);
  faults = s.NotAppliedFaults();
  CHECK(faults == std::map<std::string, std::vector<tv1::FaultState>>{{"lp-b1", {tv1::FAULT_STATE_RAISED}},
                                                                      {"lp-b2", {tv1::FAULT_STATE_RAISED}}});
  CHECK(s.Metric("cityops_lighting_control_points_not_at_level") == 2);
  CHECK(s.Metric("cityops_lighting_control_faults_reported_total{state=\"raised\"}") == 2);

  // cab-b's controller comes back and reports its level: the faults clear.
  for (const auto& p : kCabinets.at("cab-b")) {
    s.PublishReading(p, "level_pct", level["cab-b"], std::chrono::system_clock::now());
  }
  REQUIRE(Eventually([&] {
    faults = s.NotAppliedFaults();
    return faults["lp-b1"].size() == 2 && faults["lp-b2"].size() == 2;
  }));
  CHECK(faults["lp-b1"].back() == tv1::FAULT_STATE_CLEARED);
  CHECK(s.Metric("cityops_lighting_control_points_not_at_level") == 0);
}

TEST_CASE("Power readings are integrated into the energy account, kept across a restart") {
  Suite s;
  s.RegisterCity();
  // lp-a1 draws 40 W for two minutes, read every minute (a local day well in the past).
  const auto t0 = std::chrono::system_clock::now() - 10min;
  for (int minute = 0; minute <= 2; ++minute)
    s.PublishReading("lp-a1", "power_w", 40, t0 + std::chrono::minutes(minute));
  // A replay changes nothing.
  s.PublishReading("lp-a1", "power_w", 40, t0 + 1min);
  const auto report = [&] {
    lv1::GetEnergyReportRequest request;
    request.set_district(1);
    const auto local = common::ToLocal(common::LocalTimeRule{}, t0 + 1min);
    const auto date =
        absl::StrFormat("%04d-%02d-%02d", static_cast<int>(local.date.year()),
                        static_cast<unsigned>(local.date.month()), static_cast<unsigned>(local.date.day()));
    request.set_first_date(date);
    request.set_last_date(date);
    lv1::GetEnergyReportResponse response;
    grpc::ClientContext context;
    REQUIRE(s.stub().GetEnergyReport(&context, request, &response).ok());
    REQUIRE(response.days_size() == 1);
    return response.days(0);
  };
  REQUIRE(Eventually([&] { return report().measured_wh() > 0; }));
  std::this_thread::sleep_for(1s);
  auto day = report();
  CHECK(day.measured_wh() == Approx(40.0 * 120 / 3600).epsilon(1e-6));
  CHECK(day.light_points() == 5);
  CHECK(day.baseline_wh() > 0);
  CHECK(day.saved_pct() == Approx(100.0 * (1 - (day.measured_wh() + day.estimated_wh()) / day.baseline_wh())));

  s.StartLighting();
  CHECK(report().measured_wh() == Approx(40.0 * 120 / 3600).epsilon(1e-6));
}

TEST_CASE("Bad requests get a clear status and change nothing") {
  Suite s;
  s.RegisterCity();
  lv1::Override out;
  const auto code = [&](const lv1::Override& o, const std::string& actor = "operator-1") {
    return CreateOverride(s, o, actor, &out).error_code();
  };
  CHECK(code(DistrictOverride(1, 150, 60s)) == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(code(DistrictOverride(1, -1, 60s)) == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(code(DistrictOverride(1, 50, -60s)) == grpc::StatusCode::INVALID_ARGUMENT);  // expiry in the past
  lv1::Override no_expiry = DistrictOverride(1, 50, 60s);
  no_expiry.clear_expiry();
  CHECK(code(no_expiry) == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(code(DistrictOverride(99, 50, 60s)) == grpc::StatusCode::NOT_FOUND);  // no such district
  CHECK(code(DistrictOverride(1, 50, 60s), "") == grpc::StatusCode::INVALID_ARGUMENT);
  lv1::Override injection = DistrictOverride(1, 50, 60s);
  injection.mutable_scope()->set_kind(lv1::SCOPE_KIND_CABINET);
  injection.mutable_scope()->set_id("cab-a'; DROP TABLE overrides; --");
  CHECK(code(injection) == grpc::StatusCode::NOT_FOUND);

  {
    lv1::AssignProfileRequest request;
    request.set_profile_id("no-such-profile");
    request.mutable_scope()->set_kind(lv1::SCOPE_KIND_DISTRICT);
    request.mutable_scope()->set_district(1);
    request.set_actor("operator-1");
    lv1::DimmingProfile response;
    grpc::ClientContext context;
    CHECK(s.stub().AssignProfile(&context, request, &response).error_code() == grpc::StatusCode::NOT_FOUND);
  }
  {  // Two exceptions on one group sharing a night: the second is refused.
    const auto exception = [&](const std::string& first, const std::string& last) {
      lv1::CreateExceptionRequest request;
      auto* e = request.mutable_exception();
      e->mutable_scope()->set_kind(lv1::SCOPE_KIND_DISTRICT);
      e->mutable_scope()->set_district(1);
      e->set_first_date(first);
      e->set_last_date(last);
      e->set_profile_id("full_night");
      e->set_reason("winter holidays");
      request.set_actor("operator-1");
      lv1::CalendarException response;
      grpc::ClientContext context;
      return s.stub().CreateException(&context, request, &response);
    };
    const auto first = exception("2026-12-20", "2027-01-03");
    INFO(first.error_message());
    CHECK(first.ok());
    const auto overlap = exception("2027-01-02", "2027-01-05");
    CHECK(overlap.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(exception("2027-13-01", "2027-13-02").error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  }

  lv1::ListActiveOverridesResponse active;
  {
    lv1::ListActiveOverridesRequest request;
    grpc::ClientContext context;
    REQUIRE(s.stub().ListActiveOverrides(&context, request, &active).ok());
  }
  CHECK(active.overrides_size() == 0);
  lv1::ListAuditResponse audit;
  {
    lv1::ListAuditRequest request;
    grpc::ClientContext context;
    REQUIRE(s.stub().ListAudit(&context, request, &audit).ok());
  }
  REQUIRE(audit.entries_size() == 1);  // the one exception that was accepted
  CHECK(audit.entries(0).action() == "exception.create");
}

TEST_CASE(
    "A crisis override on the main roads of a district sets exactly those light points, commands them, and "
    "cancelling it brings the schedule back") {
  Suite s;
  s.RegisterCity();
  auto commands = s.WaitForCommands(3);
  REQUIRE(commands.size() == 3);
  const auto schedule = EffectiveLevels(s, CityScope());
  REQUIRE(schedule.size() == 7);
  const int level = schedule.at("lp-a1").first == 63 ? 64 : 63;  // one the schedule does not give

  // Refused: no road class, a district that is not in the city, a road class none has.
  lv1::Override refused;
  CHECK(CreateOverride(s, RoadClassOverride("", 1, level), "crisis-desk", &refused).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(CreateOverride(s, RoadClassOverride("Main Road", 1, level), "crisis-desk", &refused).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(CreateOverride(s, RoadClassOverride("main", -1, level), "crisis-desk", &refused).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(CreateOverride(s, RoadClassOverride("main", 9, level), "crisis-desk", &refused).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  CHECK(CreateOverride(s, RoadClassOverride("motorway", 1, level), "crisis-desk", &refused).error_code() ==
        grpc::StatusCode::NOT_FOUND);

  lv1::Override created;
  const auto status = CreateOverride(s, RoadClassOverride("main", 1, level), "crisis-desk", &created);
  INFO(status.error_message());
  REQUIRE(status.ok());
  CHECK(created.scope().kind() == lv1::SCOPE_KIND_ROAD_CLASS);
  CHECK(created.scope().id() == "main");
  CHECK(created.scope().district() == 1);
  CHECK(created.source() == lv1::OVERRIDE_SOURCE_CRISIS);

  // Only the main-road points of district 1 (lp-a1, lp-a2) change: one command to cab-a listing them.
  const auto during = EffectiveLevels(s, CityScope());
  for (const auto& [point, was] : schedule) {
    INFO(point);
    if (point == "lp-a1" || point == "lp-a2") {
      CHECK(during.at(point).first == level);
      CHECK(during.at(point).second == "override " + created.id());
    } else {
      CHECK(during.at(point) == was);  // local roads of district 1, main roads of district 2
    }
  }
  lv1::Scope main_d1;
  main_d1.set_kind(lv1::SCOPE_KIND_ROAD_CLASS);
  main_d1.set_id("main");
  main_d1.set_district(1);
  CHECK(EffectiveLevels(s, main_d1).size() == 2);
  commands = s.WaitForCommands(4);
  REQUIRE(commands.size() == 4);
  const lv1::LightingCommand& lit = commands[3];
  CHECK(lit.cabinet_id() == "cab-a");
  CHECK_FALSE(lit.has_cabinet_level());
  REQUIRE(lit.points_size() == 2);
  std::map<std::string, int> listed;
  for (const auto& p : lit.points()) listed[p.point_id()] = p.level();
  CHECK(listed == std::map<std::string, int>{{"lp-a1", level}, {"lp-a2", level}});
  {
    lv1::ListActiveOverridesRequest request;
    lv1::ListActiveOverridesResponse response;
    grpc::ClientContext context;
    REQUIRE(s.stub().ListActiveOverrides(&context, request, &response).ok());
    REQUIRE(response.overrides_size() == 1);
    CHECK(response.overrides(0).scope().kind() == lv1::SCOPE_KIND_ROAD_CLASS);
    CHECK(response.overrides(0).scope().district() == 1);
  }

  // After a restart the override is still there (stored, and the points' road classes too).
  s.StartLighting();
  REQUIRE(Eventually([&] { return s.Metric("cityops_lighting_control_light_points") == 7; }));
  REQUIRE(Eventually([&] {
    lv1::GetEffectiveLevelRequest request;
    request.mutable_scope()->set_kind(lv1::SCOPE_KIND_POINT);
    request.mutable_scope()->set_id("lp-a2");
    lv1::GetEffectiveLevelResponse response;
    grpc::ClientContext context;
    return s.stub().GetEffectiveLevel(&context, request, &response).ok() && response.levels_size() == 1 &&
           response.levels(0).level() == level;
  }));

  std::set<std::string> sent_before;
  for (const auto& c : s.Commands()) sent_before.insert(c.meta().event_id());
  {
    lv1::CancelOverrideRequest request;
    request.set_id(created.id());
    request.set_actor("crisis-desk");
    lv1::Override response;
    grpc::ClientContext context;
    const auto cancelled = s.stub().CancelOverride(&context, request, &response);
    INFO(cancelled.error_message());
    REQUIRE(cancelled.ok());
  }
  CHECK(EffectiveLevels(s, CityScope()) == schedule);
  // cab-a is one level again: a cabinet-wide command at the schedule's level.
  std::vector<lv1::LightingCommand> since;
  REQUIRE(Eventually([&] {
    since.clear();
    for (auto& c : s.Commands()) {
      if (sent_before.count(c.meta().event_id()) == 0) since.push_back(std::move(c));
    }
    return !since.empty();
  }));
  std::this_thread::sleep_for(1s);
  since.clear();
  for (auto& c : s.Commands()) {
    if (sent_before.count(c.meta().event_id()) == 0) since.push_back(std::move(c));
  }
  REQUIRE(since.size() == 1);
  CHECK(since[0].cabinet_id() == "cab-a");
  REQUIRE(since[0].has_cabinet_level());
  CHECK(since[0].cabinet_level() == schedule.at("lp-a1").first);
  CHECK(since[0].point_count() == 3);
}

}  // namespace cityops::testing
