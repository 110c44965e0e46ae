#include "report.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cityops/common/proto_time.h"

namespace cityops::sim {
namespace {

namespace dv1 = dispatch::v1;
namespace iv1 = incidents::v1;
namespace tv1 = telemetry::v1;
using std::chrono::milliseconds;

// 2026-11-27 02:30:00 UTC.
const common::TimePoint kT0 = common::TimePoint(std::chrono::seconds(1'795'746'600));

tv1::FaultEvent Fault(const std::string& event_id, const std::string& asset, tv1::FaultType type, common::TimePoint at,
                      tv1::FaultState state = tv1::FAULT_STATE_RAISED) {
  tv1::FaultEvent e;
  e.mutable_meta()->set_event_id(event_id);
  *e.mutable_meta()->mutable_occurred_at() = common::ToProtoTime(at);
  e.set_asset_id(asset);
  e.set_type(type);
  e.set_state(state);
  return e;
}

iv1::IncidentEvent IncidentEvent(const std::string& event_id, const std::string& incident_id,
                                 iv1::IncidentChange change, common::TimePoint at, const std::string& asset,
                                 const std::vector<std::pair<std::string, common::TimePoint>>& causes = {},
                                 iv1::Priority priority = iv1::PRIORITY_HIGH) {
  iv1::IncidentEvent e;
  e.mutable_meta()->set_event_id(event_id);
  *e.mutable_meta()->mutable_occurred_at() = common::ToProtoTime(at);
  e.set_change(change);
  e.mutable_incident()->set_id(incident_id);
  e.mutable_incident()->set_asset_id(asset);
  e.mutable_incident()->set_priority(priority);
  e.mutable_incident()->set_rule(asset.empty() ? iv1::RULE_RESIDENT_CALL : iv1::RULE_TOPOLOGY);
  for (const auto& [id, t] : causes) {
    auto* cause = e.add_causes();
    cause->set_event_id(id);
    *cause->mutable_occurred_at() = common::ToProtoTime(t);
  }
  return e;
}

dv1::AssignmentEvent Assignment(const std::string& event_id, const std::string& order_id,
                                const std::string& incident_id, dv1::AssignmentChange change, common::TimePoint at) {
  dv1::AssignmentEvent e;
  e.mutable_meta()->set_event_id(event_id);
  *e.mutable_meta()->mutable_occurred_at() = common::ToProtoTime(at);
  e.set_change(change);
  e.mutable_work_order()->set_id(order_id);
  e.mutable_work_order()->set_incident_id(incident_id);
  e.set_crew_id("crew-001");
  return e;
}

// The cabinet case: the cabinet loses power (POWER_LOSS), its 40 light points
// report LAMP_FAILURE after it, correlation opens one incident on the cabinet
// 120 ms after the cabinet's fault, and a crew is assigned 400 ms after it.
ReportBuilder CabinetCase() {
  ReportBuilder b("cabinet-power-loss", kT0);
  const common::TimePoint fault_at = kT0 + milliseconds(1000);
  b.OnFault(Fault("f-cab", "cab-0001", tv1::FAULT_TYPE_POWER_LOSS, fault_at));
  for (int i = 1; i <= 40; ++i) {
    b.OnFault(Fault(absl::StrCat("f-lp-", i), absl::StrFormat("lp-%06d", i), tv1::FAULT_TYPE_LAMP_FAILURE,
                    fault_at + milliseconds(50 + i)));
  }
  b.OnIncident(IncidentEvent("i-1", "INC-1", iv1::INCIDENT_CHANGE_OPENED, fault_at + milliseconds(120), "cab-0001",
                             {{"f-cab", fault_at}}));
  b.OnIncident(IncidentEvent("i-2", "INC-1", iv1::INCIDENT_CHANGE_UPDATED, fault_at + milliseconds(200), "cab-0001",
                             {{"f-lp-1", fault_at + milliseconds(51)}}));
  b.OnAssignment(Assignment("a-1", "WO-1", "INC-1", dv1::ASSIGNMENT_CHANGE_CREATED, fault_at + milliseconds(300)));
  b.OnAssignment(Assignment("a-2", "WO-1", "INC-1", dv1::ASSIGNMENT_CHANGE_ASSIGNED, fault_at + milliseconds(400)));
  return b;
}

}  // namespace

TEST_CASE("nearest-rank percentiles of known sets", "[city-sim][report]") {
  CHECK_FALSE(NearestRankPercentile({}, 50).has_value());
  CHECK_FALSE(NearestRankPercentile({}, 99).has_value());
  CHECK(NearestRankPercentile({42.0}, 0) == 42.0);
  CHECK(NearestRankPercentile({42.0}, 50) == 42.0);
  CHECK(NearestRankPercentile({42.0}, 99) == 42.0);
  // The textbook set, given unsorted.
  const std::vector<double> five = {50, 15, 40, 20, 35};
  CHECK(NearestRankPercentile(five, 5) == 15);
  CHECK(NearestRankPercentile(five, 30) == 20);
  CHECK(NearestRankPercentile(five, 40) == 20);
  CHECK(NearestRankPercentile(five, 50) == 35);
  CHECK(NearestRankPercentile(five, 100) == 50);
  std::vector<double> hundred;
  for (int i = 100; i >= 1; --i) hundred.push_back(i);
  CHECK(NearestRankPercentile(hundred, 50) == 50);
  CHECK(NearestRankPercentile(hundred, 99) == 99);
  CHECK(NearestRankPercentile(hundred, 100) == 100);
  // Ten samples: the 99th percentile is the largest.
  const std::vector<double> ten = {1, 2, 3, 4, 5, 6, 7, 8, 9, 1000};
  CHECK(NearestRankPercentile(ten, 99) == 1000);
  CHECK(NearestRankPercentile(ten, 50) == 5);

  const LatencySummary none = SummarizeLatencies({});
  CHECK(none.count == 0);
  CHECK_FALSE(none.p50_ms.has_value());
  const LatencySummary two = SummarizeLatencies({10, 30});
  CHECK(two.count == 2);
  CHECK(*two.p50_ms == 10);
  CHECK(*two.p99_ms == 30);
}

TEST_CASE("the cabinet case: 41 faults, one incident, its latencies", "[city-sim][report]") {
  const ReportBuilder b = CabinetCase();
  const Report r = b.Build(kT0 + std::chrono::minutes(5), CallFigures{3, 2, 1}, NoEnergy("not asked"));
  CHECK(r.scenario == "cabinet-power-loss");
  CHECK(r.duration_s() == Approx(300));
  CHECK(r.faults_raised == 41);
  CHECK(r.faults_cleared == 0);
  CHECK(r.incidents_opened == 1);
  CHECK(r.incidents_from_calls == 0);
  REQUIRE(r.noise_reduction.has_value());
  CHECK(*r.noise_reduction == Approx(1.0 - 1.0 / 41.0));
  CHECK(r.faults_by_type.at("POWER_LOSS") == 1);
  CHECK(r.faults_by_type.at("LAMP_FAILURE") == 40);
  CHECK(r.incidents_by_priority.at("HIGH") == 1);
  // From the cabinet's fault (the opening cause), not from a later symptom.
  CHECK(r.fault_to_incident_ms.count == 1);
  CHECK(*r.fault_to_incident_ms.p50_ms == Approx(120));
  CHECK(*r.fault_to_incident_ms.p99_ms == Approx(120));
  CHECK(r.fault_to_assignment_ms.count == 1);
  CHECK(*r.fault_to_assignment_ms.p50_ms == Approx(400));
  CHECK(r.work_orders_created == 1);
  CHECK(r.calls->received == 3);
  CHECK(r.duplicates_ignored == 0);
}

TEST_CASE("forty faults for one incident reduce the noise by 0.975", "[city-sim][report]") {
  ReportBuilder b("", kT0);
  for (int i = 0; i < 40; ++i) b.OnFault(Fault(absl::StrCat("f", i), "cab-1", tv1::FAULT_TYPE_POWER_LOSS, kT0));
  b.OnIncident(IncidentEvent("i", "INC-1", iv1::INCIDENT_CHANGE_OPENED, kT0, "cab-1", {{"f0", kT0}}));
  const Report r = b.Build(kT0, std::nullopt, NoEnergy(""));
  CHECK(*r.noise_reduction == Approx(0.975));
}

TEST_CASE("latency percentiles over several incidents", "[city-sim][report]") {
  ReportBuilder b("s", kT0);
  // Incident k opens 10 * k ms after its fault and is assigned 100 * k ms after it.
  for (int k = 1; k <= 10; ++k) {
    const common::TimePoint f = kT0 + std::chrono::seconds(k);
    b.OnFault(Fault(absl::StrCat("f", k), absl::StrCat("cab-", k), tv1::FAULT_TYPE_POWER_LOSS, f));
    b.OnIncident(IncidentEvent(absl::StrCat("i", k), absl::StrCat("INC-", k), iv1::INCIDENT_CHANGE_OPENED,
                               f + milliseconds(10 * k), absl::StrCat("cab-", k),
                               {{absl::StrCat("f", k), f}, {"later", f + milliseconds(5)}}));
    b.OnAssignment(Assignment(absl::StrCat("a", k), absl::StrCat("WO-", k), absl::StrCat("INC-", k),
                              dv1::ASSIGNMENT_CHANGE_ASSIGNED, f + milliseconds(100 * k)));
  }
  const Report r = b.Build(kT0 + std::chrono::minutes(1), std::nullopt, NoEnergy(""));
  CHECK(r.fault_to_incident_ms.count == 10);
  CHECK(*r.fault_to_incident_ms.p50_ms == Approx(50));
  CHECK(*r.fault_to_incident_ms.p99_ms == Approx(100));
  CHECK(r.fault_to_assignment_ms.count == 10);
  CHECK(*r.fault_to_assignment_ms.p50_ms == Approx(500));
  CHECK(*r.fault_to_assignment_ms.p99_ms == Approx(1000));
  CHECK(*r.noise_reduction == Approx(0.0));
}

TEST_CASE("the time an event reached Kafka is its time when known", "[city-sim][report]") {
  ReportBuilder b("s", kT0);
  const common::TimePoint f = kT0 + milliseconds(100);
  b.OnFault(Fault("f1", "cab-1", tv1::FAULT_TYPE_POWER_LOSS, f));
  // Decided 30 ms after the fault, published by the outbox relay 70 ms after it.
  b.OnIncident(IncidentEvent("i1", "INC-1", iv1::INCIDENT_CHANGE_OPENED, f + milliseconds(30), "cab-1", {{"f1", f}}),
               f + milliseconds(70));
  b.OnAssignment(Assignment("a1", "WO-1", "INC-1", dv1::ASSIGNMENT_CHANGE_ASSIGNED, f + milliseconds(200)),
                 f + milliseconds(260));
  const Report r = b.Build(kT0 + std::chrono::minutes(1), std::nullopt, NoEnergy(""));
  CHECK(*r.fault_to_incident_ms.p50_ms == Approx(70));
  CHECK(*r.fault_to_assignment_ms.p50_ms == Approx(260));
}

TEST_CASE("an incident opened by a call is not counted as opened from faults", "[city-sim][report]") {
  ReportBuilder b = CabinetCase();
  b.OnIncident(IncidentEvent("i-call", "INC-2", iv1::INCIDENT_CHANGE_OPENED, kT0 + milliseconds(5000), "",
                             {{"rq-1", kT0 + milliseconds(4990)}}, iv1::PRIORITY_NORMAL));
  b.OnAssignment(Assignment("a-call", "WO-2", "INC-2", dv1::ASSIGNMENT_CHANGE_ASSIGNED, kT0 + milliseconds(6000)));
  const Report r = b.Build(kT0 + std::chrono::minutes(5), std::nullopt, NoEnergy(""));
  CHECK(r.incidents_opened == 1);
  CHECK(r.incidents_from_calls == 1);
  CHECK(*r.noise_reduction == Approx(1.0 - 1.0 / 41.0));
  // Its times are not fault latencies.
  CHECK(r.fault_to_incident_ms.count == 1);
  CHECK(r.fault_to_assignment_ms.count == 1);
  CHECK(r.incidents_by_priority.at("NORMAL") == 1);
  CHECK(r.incidents_by_priority.at("HIGH") == 1);
}

TEST_CASE("redelivered events (same event id) are counted once", "[city-sim][report]") {
  ReportBuilder b = CabinetCase();
  CHECK_FALSE(b.OnFault(Fault("f-cab", "cab-0001", tv1::FAULT_TYPE_POWER_LOSS, kT0)));
  CHECK_FALSE(b.OnFault(Fault("f-lp-7", "lp-000007", tv1::FAULT_TYPE_LAMP_FAILURE, kT0)));
  // The same opening again, redelivered with an earlier (bogus) cause: ignored.
  CHECK_FALSE(b.OnIncident(IncidentEvent("i-1", "INC-1", iv1::INCIDENT_CHANGE_OPENED, kT0, "cab-0001",
                                         {{"f-x", kT0 - std::chrono::hours(1)}})));
  CHECK_FALSE(
      b.OnAssignment(Assignment("a-2", "WO-1", "INC-1", dv1::ASSIGNMENT_CHANGE_ASSIGNED, kT0 + milliseconds(1))));
  // A new event is applied.
  CHECK(b.OnFault(Fault("f-new", "cab-0002", tv1::FAULT_TYPE_POWER_LOSS, kT0)));
  const Report r = b.Build(kT0 + std::chrono::minutes(5), std::nullopt, NoEnergy(""));
  CHECK(r.faults_raised == 42);
  CHECK(r.incidents_opened == 1);
  CHECK(*r.fault_to_incident_ms.p50_ms == Approx(120));
  CHECK(*r.fault_to_assignment_ms.p50_ms == Approx(400));
  CHECK(r.duplicates_ignored == 4);
}

TEST_CASE("an assignment may come before the incident event, clears are not raised faults", "[city-sim][report]") {
  ReportBuilder b("s", kT0);
  const common::TimePoint f = kT0 + milliseconds(100);
  b.OnAssignment(Assignment("a1", "WO-1", "INC-1", dv1::ASSIGNMENT_CHANGE_ASSIGNED, f + milliseconds(700)));
  // A later re-assignment (after a preemption) does not change the first.
  b.OnAssignment(Assignment("a2", "WO-1", "INC-1", dv1::ASSIGNMENT_CHANGE_PREEMPTED, f + milliseconds(800)));
  b.OnAssignment(Assignment("a3", "WO-1", "INC-1", dv1::ASSIGNMENT_CHANGE_ASSIGNED, f + milliseconds(900)));
  b.OnAssignment(Assignment("a4", "WO-1", "INC-1", dv1::ASSIGNMENT_CHANGE_COMPLETED, f + milliseconds(9000)));
  b.OnFault(Fault("f1", "aps-01", tv1::FAULT_TYPE_COMMUNICATION_LOSS, f));
  b.OnIncident(IncidentEvent("i1", "INC-1", iv1::INCIDENT_CHANGE_OPENED, f + milliseconds(80), "aps-01", {{"f1", f}}));
  b.OnFault(
      Fault("f2", "aps-01", tv1::FAULT_TYPE_COMMUNICATION_LOSS, f + milliseconds(10000), tv1::FAULT_STATE_CLEARED));
  b.OnIncident(IncidentEvent("i2", "INC-1", iv1::INCIDENT_CHANGE_RESOLVED, f + milliseconds(10050), "aps-01"));
  const Report r = b.Build(kT0 + std::chrono::minutes(1), std::nullopt, NoEnergy(""));
  CHECK(r.faults_raised == 1);
  CHECK(r.faults_cleared == 1);
  CHECK(r.incidents_resolved == 1);
  CHECK(r.preemptions == 1);
  CHECK(r.work_orders_completed == 1);
  CHECK(*r.fault_to_incident_ms.p50_ms == Approx(80));
  CHECK(*r.fault_to_assignment_ms.p50_ms == Approx(700));
}

TEST_CASE("merged incidents and an incident opened before the run", "[city-sim][report]") {
  ReportBuilder b("s", kT0);
  b.OnFault(Fault("f1", "lp-000001", tv1::FAULT_TYPE_LAMP_FAILURE, kT0));
  b.OnIncident(IncidentEvent("i1", "INC-1", iv1::INCIDENT_CHANGE_OPENED, kT0 + milliseconds(10), "lp-000001",
                             {{"f1", kT0}}, iv1::PRIORITY_LOW));
  iv1::IncidentEvent merged = IncidentEvent("i2", "INC-1", iv1::INCIDENT_CHANGE_MERGED, kT0 + milliseconds(20),
                                            "lp-000001", {}, iv1::PRIORITY_LOW);
  merged.mutable_incident()->set_status(iv1::INCIDENT_STATUS_MERGED);
  b.OnIncident(merged);
  // An incident opened before the run (no OPENED event seen) is resolved and
  // assigned during it: counted as resolved, with no latency.
  b.OnIncident(IncidentEvent("i3", "INC-0", iv1::INCIDENT_CHANGE_RESOLVED, kT0 + milliseconds(30), "cab-9"));
  b.OnAssignment(Assignment("a1", "WO-0", "INC-0", dv1::ASSIGNMENT_CHANGE_ASSIGNED, kT0 + milliseconds(40)));
  const Report r = b.Build(kT0 + std::chrono::minutes(1), std::nullopt, NoEnergy(""));
  CHECK(r.incidents_opened == 1);
  CHECK(r.incidents_merged == 1);
  CHECK(r.incidents_resolved == 1);
  CHECK(r.fault_to_incident_ms.count == 1);
  CHECK(r.fault_to_assignment_ms.count == 0);
  CHECK(r.incidents_by_priority.at("LOW") == 1);
}

TEST_CASE("energy: the nights a run covers, and the saving from lighting control's rows", "[city-sim][report]") {
  // 02:30 UTC is 03:30 in Dijon in November: still the night of the 26th.
  CHECK(NightsCovered(kT0, kT0 + std::chrono::minutes(10)) ==
        std::make_pair(std::string("2026-11-26"), std::string("2026-11-26")));
  // Until 13:00 the next day (12:00 UTC): the 26th and the 27th.
  CHECK(NightsCovered(kT0, kT0 + std::chrono::hours(10)) ==
        std::make_pair(std::string("2026-11-26"), std::string("2026-11-27")));

  std::vector<lighting::v1::DistrictEnergy> rows(2);
  rows[0].set_measured_wh(100);
  rows[0].set_estimated_wh(50);
  rows[0].set_baseline_wh(400);
  rows[1].set_measured_wh(200);
  rows[1].set_estimated_wh(0);
  rows[1].set_baseline_wh(600);
  const EnergyFigures e = SumEnergy(rows, "2026-11-26", "2026-11-26");
  REQUIRE(e.saving_ratio.has_value());
  CHECK(*e.saving_ratio == Approx(1.0 - 350.0 / 1000.0));
  CHECK(e.measured_wh == 300);
  CHECK(e.baseline_wh == 1000);

  const EnergyFigures none = SumEnergy({}, "2026-11-26", "2026-11-26");
  CHECK_FALSE(none.saving_ratio.has_value());
  CHECK(none.note.find("no energy rows") != std::string::npos);
  std::vector<lighting::v1::DistrictEnergy> dark(1);
  dark[0].set_baseline_wh(500);
  const EnergyFigures unmeasured = SumEnergy(dark, "2026-11-26", "2026-11-26");
  CHECK_FALSE(unmeasured.saving_ratio.has_value());
  CHECK_FALSE(NoEnergy("lighting control not given").saving_ratio.has_value());
}

TEST_CASE("the JSON report has the issue's fields with their types", "[city-sim][report]") {
  std::vector<lighting::v1::DistrictEnergy> rows(1);
  rows[0].set_measured_wh(350);
  rows[0].set_baseline_wh(1000);
  const Report r = CabinetCase().Build(kT0 + std::chrono::minutes(5), CallFigures{3, 2, 1},
                                       SumEnergy(rows, "2026-11-26", "2026-11-26"));
  const nlohmann::json j = nlohmann::json::parse(ReportToJson(r));
  CHECK(j.at("faults_raised").is_number_integer());
  CHECK(j.at("faults_raised") == 41);
  CHECK(j.at("incidents_opened") == 1);
  CHECK(j.at("noise_reduction").is_number_float());
  CHECK(j.at("noise_reduction").get<double>() == Approx(40.0 / 41.0));
  for (const char* name : {"fault_to_incident_ms", "fault_to_assignment_ms"}) {
    INFO(name);
    REQUIRE(j.at(name).is_object());
    CHECK(j.at(name).at("p50").is_number());
    CHECK(j.at(name).at("p99").is_number());
    CHECK(j.at(name).at("count") == 1);
  }
  CHECK(j.at("fault_to_incident_ms").at("p99").get<double>() == Approx(120));
  CHECK(j.at("fault_to_assignment_ms").at("p50").get<double>() == Approx(400));
  CHECK(j.at("energy_saving_ratio").get<double>() == Approx(0.65));
  CHECK(j.at("energy").at("first_night") == "2026-11-26");
  CHECK(j.at("calls_received") == 3);
  CHECK(j.at("calls_linked") == 2);
  CHECK(j.at("calls_closed") == 1);
  CHECK(j.at("incidents_from_calls") == 0);
  CHECK(j.at("incidents_resolved").is_number_integer());
  CHECK(j.at("work_orders_completed").is_number_integer());
  CHECK(j.at("preemptions").is_number_integer());
  CHECK(j.at("faults_by_type").at("LAMP_FAILURE") == 40);
  CHECK(j.at("incidents_by_priority").at("HIGH") == 1);
  CHECK(j.at("scenario") == "cabinet-power-loss");
  CHECK(j.at("started_at") == "2026-11-27T02:30:00.000Z");
  CHECK(j.at("duration_s").get<double>() == Approx(300));

  // Nothing measured: nulls, not zeros.
  const Report empty = ReportBuilder("none", kT0).Build(kT0, std::nullopt, NoEnergy("lighting control not given"));
  const nlohmann::json k = nlohmann::json::parse(ReportToJson(empty));
  CHECK(k.at("faults_raised") == 0);
  CHECK(k.at("noise_reduction").is_null());
  CHECK(k.at("fault_to_incident_ms").at("p50").is_null());
  CHECK(k.at("fault_to_incident_ms").at("p99").is_null());
  CHECK(k.at("fault_to_incident_ms").at("count") == 0);
  CHECK(k.at("energy_saving_ratio").is_null());
  CHECK(k.at("energy").at("note") == "lighting control not given");
  CHECK(k.at("calls_received").is_null());
  CHECK(k.at("calls_linked").is_null());
}

TEST_CASE("the table shows each figure", "[city-sim][report]") {
  std::vector<lighting::v1::DistrictEnergy> rows(1);
  rows[0].set_measured_wh(388);
  rows[0].set_baseline_wh(1000);
  ReportBuilder b = CabinetCase();
  b.OnAssignment(Assignment("p", "WO-1", "INC-1", dv1::ASSIGNMENT_CHANGE_PREEMPTED, kT0 + std::chrono::seconds(3)));
  const Report r =
      b.Build(kT0 + std::chrono::minutes(5), CallFigures{7, 5, 4}, SumEnergy(rows, "2026-11-26", "2026-11-26"));
  const std::string table = FormatTable(r);
  INFO(table);
  CHECK(table.find("cabinet-power-loss") != std::string::npos);
  CHECK(table.find("faults raised            41") != std::string::npos);
  CHECK(table.find("incidents opened         1 from faults, 0 from calls") != std::string::npos);
  CHECK(table.find("noise reduction          0.976") != std::string::npos);
  CHECK(table.find("fault to incident ms     p50 120.0, p99 120.0 (1 incidents)") != std::string::npos);
  CHECK(table.find("fault to assignment ms   p50 400.0, p99 400.0 (1 incidents)") != std::string::npos);
  CHECK(table.find("created 1, completed 0, preemptions 1") != std::string::npos);
  CHECK(table.find("energy saving ratio      0.612") != std::string::npos);
  CHECK(table.find("received 7, linked 5, closed 4") != std::string::npos);
  CHECK(table.find("LAMP_FAILURE 40, POWER_LOSS 1") != std::string::npos);
  CHECK(table.find("HIGH 1") != std::string::npos);

  const std::string bare = FormatTable(ReportBuilder("none", kT0).Build(kT0, std::nullopt, NoEnergy("not given")));
  CHECK(bare.find("noise reduction          -") != std::string::npos);
  CHECK(bare.find("energy saving ratio      - (not given)") != std::string::npos);
  CHECK(bare.find("no calls placed") != std::string::npos);
}

TEST_CASE("the report file is written whole, replacing the previous one", "[city-sim][report]") {
  std::random_device device;
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("city-sim-report-test-", device(), device());
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "report.json").string();
  const Report first = CabinetCase().Build(kT0 + std::chrono::minutes(1), std::nullopt, NoEnergy(""));
  REQUIRE(WriteReportFile(first, path).ok());
  const Report second = CabinetCase().Build(kT0 + std::chrono::minutes(2), CallFigures{1, 1, 1}, NoEnergy(""));
  REQUIRE(WriteReportFile(second, path).ok());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json j = nlohmann::json::parse(text.str());
  CHECK(j.at("duration_s").get<double>() == Approx(120));
  CHECK(j.at("calls_received") == 1);
  // Only the report: no temporary file left beside it.
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    (void)entry;
    ++files;
  }
  CHECK(files == 1);
  // A folder that does not exist: an error, not a crash.
  CHECK_FALSE(WriteReportFile(first, (dir / "missing" / "report.json").string()).ok());
  CHECK_FALSE(WriteReportFile(first, "").ok());
  std::filesystem::remove_all(dir);
}

TEST_CASE("the incidents from faults still unresolved tell when the platform has settled", "[city-sim][report]") {
  ReportBuilder b = CabinetCase();
  CHECK(b.UnresolvedFromFaults() == 1);
  // An incident opened by a call does not hold the end.
  b.OnIncident(IncidentEvent("i-call", "INC-2", iv1::INCIDENT_CHANGE_OPENED, kT0 + milliseconds(5000), "",
                             {{"rq-1", kT0 + milliseconds(4990)}}, iv1::PRIORITY_NORMAL));
  CHECK(b.UnresolvedFromFaults() == 1);
  // A lamp's own incident, merged into the cabinet's, does not either.
  b.OnIncident(IncidentEvent("i-lp", "INC-3", iv1::INCIDENT_CHANGE_OPENED, kT0 + milliseconds(1100), "lp-000001",
                             {{"f-lp-1", kT0 + milliseconds(1051)}}, iv1::PRIORITY_LOW));
  CHECK(b.UnresolvedFromFaults() == 2);
  iv1::IncidentEvent merged =
      IncidentEvent("i-lp-m", "INC-3", iv1::INCIDENT_CHANGE_MERGED, kT0 + milliseconds(1200), "lp-000001");
  merged.mutable_incident()->set_status(iv1::INCIDENT_STATUS_MERGED);
  b.OnIncident(merged);
  CHECK(b.UnresolvedFromFaults() == 1);
  b.OnIncident(IncidentEvent("i-res", "INC-1", iv1::INCIDENT_CHANGE_RESOLVED, kT0 + milliseconds(90000), "cab-0001"));
  CHECK(b.UnresolvedFromFaults() == 0);
  // Reopened: unsettled again.
  b.OnIncident(IncidentEvent("i-reo", "INC-1", iv1::INCIDENT_CHANGE_REOPENED, kT0 + milliseconds(95000), "cab-0001"));
  CHECK(b.UnresolvedFromFaults() == 1);
}

}  // namespace cityops::sim

namespace cityops::sim {
namespace {

namespace iv1 = incidents::v1;
using std::chrono::seconds;

const common::TimePoint kC0 = common::TimePoint(std::chrono::seconds(1'795'746'600));

// A snow crisis over districts 3 and 5 at its `version`-th event, as incident
// correlation publishes it: proposed, then declared by sara, its lighting
// and crew actions applied, then ended and reverted.
iv1::CrisisEvent CrisisAt(const std::string& event_id, int version) {
  iv1::CrisisEvent e;
  e.mutable_meta()->set_event_id(event_id);
  *e.mutable_meta()->mutable_occurred_at() = common::ToProtoTime(kC0 + seconds(version));
  iv1::Crisis& c = *e.mutable_crisis();
  c.set_id("CRI-00000001");
  c.set_playbook("snow");
  c.set_title("Snow and ice in districts 3 and 5");
  c.set_version(version);
  c.add_districts(3);
  c.add_districts(5);
  c.set_reason("ICE_ON_ROAD in 3 districts");
  c.set_proposed_by("platform");
  *c.mutable_proposed_at() = common::ToProtoTime(kC0);
  c.set_status(iv1::CRISIS_STATUS_PROPOSED);
  const auto entry = [&](int at, iv1::CrisisTimelineKind kind, const std::string& text, const std::string& actor) {
    auto* t = c.add_timeline();
    *t->mutable_at() = common::ToProtoTime(kC0 + seconds(at));
    t->set_kind(kind);
    t->set_text(text);
    t->set_actor(actor);
  };
  entry(0, iv1::CRISIS_TIMELINE_KIND_PROPOSED, "proposed: ice in 3 districts", "");
  e.set_change(iv1::CRISIS_CHANGE_PROPOSED);
  if (version >= 2) {
    e.set_change(iv1::CRISIS_CHANGE_DECLARED);
    e.set_actor("sara");
    c.set_status(iv1::CRISIS_STATUS_ACTIVE);
    c.set_declared_by("sara");
    *c.mutable_declared_at() = common::ToProtoTime(kC0 + seconds(2));
    c.set_incident_id("INC-00000042");
    c.set_grouped_incidents(3);
    entry(2, iv1::CRISIS_TIMELINE_KIND_DECLARED, "declared over districts 3 and 5", "sara");
    auto* lighting = c.add_actions();
    lighting->set_id("lighting:d3");
    lighting->set_kind(iv1::CRISIS_ACTION_KIND_LIGHTING_OVERRIDE);
    lighting->set_district(3);
    lighting->set_state(iv1::CRISIS_ACTION_STATE_PENDING);
    auto* crew = c.add_actions();
    crew->set_id("preposition:roads:d3:1");
    crew->set_kind(iv1::CRISIS_ACTION_KIND_PREPOSITION_CREW);
    crew->set_district(3);
    crew->set_state(iv1::CRISIS_ACTION_STATE_PENDING);
    crew->set_detail("waiting for an available roads crew");
  }
  if (version >= 3) {
    e.set_change(iv1::CRISIS_CHANGE_UPDATED);
    e.set_actor("");
    c.mutable_actions(0)->set_state(iv1::CRISIS_ACTION_STATE_APPLIED);
    c.mutable_actions(0)->set_target("ovr-7");
    c.mutable_actions(1)->set_state(iv1::CRISIS_ACTION_STATE_APPLIED);
    c.mutable_actions(1)->set_target("crew-012");
    c.mutable_actions(1)->clear_detail();
    entry(3, iv1::CRISIS_TIMELINE_KIND_ACTION_APPLIED, "main roads of district 3 at 100%", "");
  }
  if (version >= 4) {
    e.set_change(iv1::CRISIS_CHANGE_ENDED);
    e.set_actor("sara");
    c.set_status(iv1::CRISIS_STATUS_ENDED);
    c.set_ended_by("sara");
    *c.mutable_ended_at() = common::ToProtoTime(kC0 + seconds(4));
    for (auto& a : *c.mutable_actions()) a.set_state(iv1::CRISIS_ACTION_STATE_REVERTED);
    entry(4, iv1::CRISIS_TIMELINE_KIND_ENDED, "ended: thaw", "sara");
    entry(5, iv1::CRISIS_TIMELINE_KIND_ACTION_REVERTED, "main roads of district 3 back to their schedule", "");
  }
  return e;
}

}  // namespace

TEST_CASE("crises: the latest event of each wins, redeliveries are counted once", "[city-sim][report][crisis]") {
  ReportBuilder b("snow-night", kC0);
  CHECK(b.OnCrisis(CrisisAt("c-1", 1)));
  CHECK(b.OnCrisis(CrisisAt("c-2", 2)));
  CHECK(b.OnCrisis(CrisisAt("c-4", 4)));
  // Version 3 arrives after version 4 (another relay's batch): applied, but it
  // does not bring the crisis back to ACTIVE.
  CHECK(b.OnCrisis(CrisisAt("c-3", 3)));
  // Redelivered: not applied again.
  CHECK_FALSE(b.OnCrisis(CrisisAt("c-2", 2)));
  CHECK_FALSE(b.OnCrisis(CrisisAt("c-4", 4)));
  // Another crisis, proposed and still waiting.
  iv1::CrisisEvent flood = CrisisAt("f-1", 1);
  flood.mutable_crisis()->set_id("CRI-00000002");
  flood.mutable_crisis()->set_playbook("flood");
  CHECK(b.OnCrisis(flood));
  // An event without a crisis: nothing to report.
  iv1::CrisisEvent empty;
  empty.mutable_meta()->set_event_id("e-0");
  CHECK(b.OnCrisis(empty));

  const Report r = b.Build(kC0 + seconds(60), std::nullopt, NoEnergy(""));
  CHECK(r.duplicates_ignored == 2);
  REQUIRE(r.crises.size() == 2);
  const CrisisSummary& snow = r.crises[0];
  CHECK(snow.id == "CRI-00000001");
  CHECK(snow.playbook == "snow");
  CHECK(snow.status == "ENDED");
  CHECK(snow.events == 4);
  CHECK(snow.districts == std::vector<int>{3, 5});
  CHECK(snow.declared_by == "sara");
  CHECK(snow.ended_by == "sara");
  REQUIRE(snow.ended_at.has_value());
  CHECK(*snow.ended_at == kC0 + seconds(4));
  REQUIRE(snow.actions.size() == 2);
  CHECK(snow.actions[0].kind == "LIGHTING_OVERRIDE");
  CHECK(snow.actions[0].state == "REVERTED");
  CHECK(snow.actions[0].target == "ovr-7");
  CHECK(snow.actions[1].kind == "PREPOSITION_CREW");
  CHECK(snow.actions[1].target == "crew-012");
  REQUIRE(snow.timeline.size() == 5);
  CHECK(snow.timeline[0].kind == "PROPOSED");
  CHECK(snow.timeline[1].kind == "DECLARED");
  CHECK(snow.timeline[1].actor == "sara");
  CHECK(snow.timeline[2].kind == "ACTION_APPLIED");
  CHECK(snow.timeline[3].kind == "ENDED");
  CHECK(snow.timeline[4].kind == "ACTION_REVERTED");
  const CrisisSummary& flood_summary = r.crises[1];
  CHECK(flood_summary.playbook == "flood");
  CHECK(flood_summary.status == "PROPOSED");
  CHECK(flood_summary.events == 1);
  CHECK_FALSE(flood_summary.declared_at.has_value());
}

TEST_CASE("crises in the JSON report: field names and types", "[city-sim][report][crisis]") {
  ReportBuilder b("snow-night", kC0);
  b.OnCrisis(CrisisAt("c-1", 1));
  b.OnCrisis(CrisisAt("c-3", 3));
  iv1::CrisisEvent flood = CrisisAt("f-1", 1);
  flood.mutable_crisis()->set_id("CRI-00000002");
  b.OnCrisis(flood);
  // The crisis incident: neither from faults nor from a call.
  iv1::IncidentEvent opened;
  opened.mutable_meta()->set_event_id("i-c");
  opened.set_change(iv1::INCIDENT_CHANGE_OPENED);
  opened.mutable_incident()->set_id("INC-00000042");
  opened.mutable_incident()->set_rule(iv1::RULE_CRISIS);
  opened.mutable_incident()->set_priority(iv1::PRIORITY_HIGH);
  b.OnIncident(opened);

  const nlohmann::json j = nlohmann::json::parse(ReportToJson(b.Build(kC0 + seconds(60), std::nullopt, NoEnergy(""))));
  CHECK(j.at("crisis_incidents") == 1);
  CHECK(j.at("incidents_from_calls") == 0);
  CHECK(j.at("incidents_opened") == 0);
  REQUIRE(j.at("crises").is_array());
  REQUIRE(j.at("crises").size() == 2);
  const nlohmann::json& c = j.at("crises").at(0);
  CHECK(c.at("id") == "CRI-00000001");
  CHECK(c.at("playbook") == "snow");
  CHECK(c.at("title").is_string());
  CHECK(c.at("status") == "ACTIVE");
  CHECK(c.at("districts") == nlohmann::json::array({3, 5}));
  CHECK(c.at("proposed_by") == "platform");
  CHECK(c.at("proposed_at") == "2026-11-27T02:30:00.000Z");
  CHECK(c.at("declared_at") == "2026-11-27T02:30:02.000Z");
  CHECK(c.at("declared_by") == "sara");
  CHECK(c.at("ended_at").is_null());
  CHECK(c.at("ended_by").is_null());
  CHECK(c.at("incident_id") == "INC-00000042");
  CHECK(c.at("grouped_incidents") == 3);
  CHECK(c.at("events") == 2);
  REQUIRE(c.at("actions").size() == 2);
  const nlohmann::json& a = c.at("actions").at(0);
  CHECK(a.at("id") == "lighting:d3");
  CHECK(a.at("kind") == "LIGHTING_OVERRIDE");
  CHECK(a.at("district").is_number_integer());
  CHECK(a.at("district") == 3);
  CHECK(a.at("state") == "APPLIED");
  CHECK(a.at("target") == "ovr-7");
  CHECK(a.at("detail").is_null());
  REQUIRE(c.at("timeline").size() == 3);
  const nlohmann::json& declared = c.at("timeline").at(1);
  CHECK(declared.at("at") == "2026-11-27T02:30:02.000Z");
  CHECK(declared.at("kind") == "DECLARED");
  CHECK(declared.at("text").is_string());
  CHECK(declared.at("actor") == "sara");
  CHECK(c.at("timeline").at(0).at("actor").is_null());  // the platform
  CHECK(j.at("crises").at(1).at("declared_at").is_null());
  CHECK(j.at("crises").at(1).at("actions").empty());

  // No crisis: an empty array, not a missing field.
  const nlohmann::json none =
      nlohmann::json::parse(ReportToJson(ReportBuilder("s", kC0).Build(kC0, std::nullopt, NoEnergy(""))));
  CHECK(none.at("crises") == nlohmann::json::array());
}

TEST_CASE("crises in the table: a line each and their timelines, capped", "[city-sim][report][crisis]") {
  ReportBuilder b("snow-night", kC0);
  b.OnCrisis(CrisisAt("c-4", 4));
  const std::string table = FormatTable(b.Build(kC0 + seconds(60), std::nullopt, NoEnergy("")));
  INFO(table);
  CHECK(table.find("crises                   1 (0 crisis incidents opened)") != std::string::npos);
  CHECK(table.find("CRI-00000001 snow ENDED, districts 3, 5, declared by sara, ended by sara; actions: 2 REVERTED; 3 "
                   "incidents grouped") != std::string::npos);
  CHECK(table.find("02:30:02 DECLARED (sara): declared over districts 3 and 5") != std::string::npos);
  CHECK(table.find("02:30:05 ACTION_REVERTED: main roads of district 3 back to their schedule") != std::string::npos);
  CHECK(FormatTable(ReportBuilder("s", kC0).Build(kC0, std::nullopt, NoEnergy("")))
            .find("crises                   none") != std::string::npos);

  // A crisis with a long timeline and many crises: kCrisisTableLines lines at most.
  ReportBuilder many("s", kC0);
  for (int n = 1; n <= 3; ++n) {
    iv1::CrisisEvent e = CrisisAt(absl::StrCat("m-", n), 4);
    e.mutable_crisis()->set_id(absl::StrCat("CRI-0000000", n));
    for (int k = 0; k < 40; ++k) {
      auto* t = e.mutable_crisis()->add_timeline();
      t->set_kind(iv1::CRISIS_TIMELINE_KIND_INCIDENT_GROUPED);
      t->set_text(absl::StrCat("incident ", k, " grouped"));
    }
    many.OnCrisis(e);
  }
  const std::string capped = FormatTable(many.Build(kC0 + seconds(60), std::nullopt, NoEnergy("")));
  INFO(capped);
  const size_t section = capped.find("  crises ");
  REQUIRE(section != std::string::npos);
  const std::string lines = capped.substr(capped.find('\n', section) + 1);
  CHECK(static_cast<size_t>(std::count(lines.begin(), lines.end(), '\n')) <= kCrisisTableLines);
  // Every crisis still has its line; the cut is said.
  CHECK(lines.find("CRI-00000001 snow") != std::string::npos);
  CHECK(lines.find("CRI-00000003 snow") != std::string::npos);
  CHECK(lines.find("more timeline entries") != std::string::npos);
}

}  // namespace cityops::sim
