// Resident calls' pure domain: the shipped configuration, the checks of a new
// request, status transitions, duplicates, what an incident's news does to a
// request, statistics and the retention rule.
#include <catch2/catch.hpp>

#include <string>

#include "cityops/common/districts.h"
#include "cityops/common/proto_time.h"
#include "domain/calls_config.h"
#include "domain/duplicates.h"
#include "domain/incident_links.h"
#include "domain/request_rules.h"
#include "domain/statistics.h"

namespace cityops::calls {
namespace {

using namespace std::chrono_literals;
namespace iv1 = incidents::v1;

const CallsConfig& Config() {
  static const CallsConfig config = [] {
    auto c = CallsConfig::FromJson(DefaultCallsConfigJson());
    REQUIRE(c.ok());
    return *c;
  }();
  return config;
}

DistrictLocator Dijon() {
  return [](double lat, double lon) { return common::DistrictMap::Dijon().Locate(lat, lon); };
}

// Dijon's centre (in district 1).
constexpr double kLat = 47.322;
constexpr double kLon = 5.041;

v1::CreateRequestRequest Valid() {
  v1::CreateRequestRequest r;
  r.set_category("street_lighting");
  r.set_description("The lamp in front of number 12 is out.");
  r.mutable_location()->set_lat(kLat);
  r.mutable_location()->set_lon(kLon);
  r.set_address("12 rue de la Liberté");
  r.set_channel(v1::REQUEST_CHANNEL_PHONE);
  r.set_recorded_by("operator-7");
  return r;
}

std::string Message(const absl::Status& s) { return std::string(s.message()); }

common::TimePoint At(int64_t seconds) { return common::TimePoint(std::chrono::seconds(seconds)); }

TEST_CASE("calls config: the shipped file has the nine categories of the brief, related both ways") {
  const CallsConfig& c = Config();
  REQUIRE(c.categories.size() == 9);
  for (const char* code : {"bulky_items", "roads", "green_spaces", "refuse_collection", "cleanliness",
                           "street_lighting", "traffic_lights", "public_buildings", "other"}) {
    INFO(code);
    REQUIRE(c.Find(code) != nullptr);
    CHECK(c.Find(code)->target_hours > 0);
  }
  CHECK(c.Related("bulky_items", "refuse_collection"));
  CHECK(c.Related("refuse_collection", "bulky_items"));
  CHECK_FALSE(c.Related("street_lighting", "bulky_items"));
  CHECK(c.duplicate_radius_m == 50);
  CHECK(c.retention == std::chrono::hours(24 * 90));
  CHECK(c.MaySeePersonalData("operator"));
  CHECK_FALSE(c.MaySeePersonalData("viewer"));
  CHECK_FALSE(c.MaySeePersonalData("integration"));
}

TEST_CASE("calls config: a mistake is refused naming the field") {
  auto bad = [](const std::string& json) {
    auto c = CallsConfig::FromJson(json);
    REQUIRE_FALSE(c.ok());
    return Message(c.status());
  };
  const std::string personal = R"("personal_data": {"retention_days": 90, "roles": ["operator"]})";
  CHECK_THAT(bad(R"({"categories": [{"code": "a", "name": "A", "target_hours": 0}], )" + personal + "}"),
             Catch::Contains("categories[0].target_hours"));
  CHECK_THAT(
      bad(R"({"categories": [{"code": "a", "name": "A", "target_hours": 4, "related": ["b"]}], )" + personal + "}"),
      Catch::Contains("\"b\" is not a category"));
  CHECK_THAT(bad(R"({"categories": [{"code": "a", "name": "A", "target_hours": 4}, {"code": "a", "name": "B",
                 "target_hours": 4}], )" +
                 personal + "}"),
             Catch::Contains("listed twice"));
  CHECK_THAT(bad(R"({"categories": [{"code": "a", "name": "A", "target_hours": 4, "colour": 1}], )" + personal + "}"),
             Catch::Contains("colour"));
  CHECK_THAT(bad(R"({"categories": [{"code": "a", "name": "A", "target_hours": 4}]})"),
             Catch::Contains("personal_data"));
}

TEST_CASE("new request: a valid one is placed in its district") {
  auto district = CheckNewRequest(Valid(), Config(), Dijon());
  REQUIRE(district.ok());
  CHECK(*district == common::DistrictMap::Dijon().Locate(kLat, kLon));
  CHECK(*district >= 1);
}

TEST_CASE("new request: bad input is refused naming the field") {
  struct Case {
    const char* name;
    void (*mutate)(v1::CreateRequestRequest&);
    const char* expected;
  };
  const Case cases[] = {
      {"unknown category", [](v1::CreateRequestRequest& r) { r.set_category("potholes"); }, "unknown category"},
      {"no category", [](v1::CreateRequestRequest& r) { r.clear_category(); }, "category: is required"},
      {"blank description", [](v1::CreateRequestRequest& r) { r.set_description(" \n\t"); },
       "description: is required"},
      {"oversized description", [](v1::CreateRequestRequest& r) { r.set_description(std::string(2001, 'x')); },
       "description: is longer than 2000"},
      {"no location", [](v1::CreateRequestRequest& r) { r.clear_location(); }, "location: is required"},
      {"outside the city", [](v1::CreateRequestRequest& r) { r.mutable_location()->set_lat(48.85); },
       "outside the city"},
      {"not a number", [](v1::CreateRequestRequest& r) { r.mutable_location()->set_lon(std::nan("")); },
       "not a valid WGS84"},
      {"no channel", [](v1::CreateRequestRequest& r) { r.clear_channel(); }, "channel"},
      {"nobody recorded it", [](v1::CreateRequestRequest& r) { r.clear_recorded_by(); }, "recorded_by"},
      {"bad e-mail", [](v1::CreateRequestRequest& r) { r.mutable_resident()->set_email("nobody"); }, "resident.email"},
      {"bad phone", [](v1::CreateRequestRequest& r) { r.mutable_resident()->set_phone("03 80; DROP"); },
       "resident.phone"},
      {"oversized address", [](v1::CreateRequestRequest& r) { r.set_address(std::string(301, 'a')); }, "address"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto r = Valid();
    c.mutate(r);
    auto result = CheckNewRequest(r, Config(), Dijon());
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(Message(result.status()), Catch::Contains(c.expected));
  }
}

TEST_CASE("new request: length is counted in characters, not bytes") {
  auto r = Valid();
  std::string accents;
  for (int i = 0; i < 2000; ++i) accents += "é";  // 2 bytes each
  r.set_description(accents);
  CHECK(CheckNewRequest(r, Config(), Dijon()).ok());
  r.set_description(accents + "é");
  CHECK_FALSE(CheckNewRequest(r, Config(), Dijon()).ok());
}

TEST_CASE("status transitions: forward, close from anywhere open, reopen - nothing else") {
  using S = v1::RequestStatus;
  const S open = v1::REQUEST_STATUS_OPEN, ack = v1::REQUEST_STATUS_ACKNOWLEDGED, work = v1::REQUEST_STATUS_IN_PROGRESS,
          closed = v1::REQUEST_STATUS_CLOSED;
  CHECK(CheckTransition(open, ack).ok());
  CHECK(CheckTransition(open, work).ok());
  CHECK(CheckTransition(open, closed).ok());
  CHECK(CheckTransition(ack, work).ok());
  CHECK(CheckTransition(ack, closed).ok());
  CHECK(CheckTransition(work, closed).ok());
  CHECK(CheckTransition(closed, open).ok());
  for (auto [from, to] : {std::pair{open, open},
                          {ack, open},
                          {ack, ack},
                          {work, ack},
                          {work, open},
                          {work, work},
                          {closed, closed},
                          {closed, work},
                          {closed, ack}}) {
    INFO(StatusName(from) << " -> " << StatusName(to));
    auto s = CheckTransition(from, to);
    CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
    CHECK_THAT(Message(s), Catch::Contains(std::string(StatusName(from))));
  }
  CHECK(CheckTransition(open, v1::REQUEST_STATUS_UNSPECIFIED).code() == absl::StatusCode::kInvalidArgument);
  CHECK(CheckTransition(open, static_cast<S>(42)).code() == absl::StatusCode::kInvalidArgument);
}

v1::ResidentRequest Open(const std::string& id, const std::string& category, double lat, double lon,
                         v1::RequestStatus status = v1::REQUEST_STATUS_OPEN) {
  v1::ResidentRequest r;
  r.set_id(id);
  r.set_category(category);
  r.mutable_location()->set_lat(lat);
  r.mutable_location()->set_lon(lon);
  r.set_status(status);
  return r;
}

TEST_CASE("duplicates: open requests of a related category within 50 m, nearest first") {
  const double m = 1.0 / 111195.0;  // a metre of latitude, in degrees
  const std::vector<v1::ResidentRequest> nearby = {
      Open("RQ-1", "bulky_items", kLat + 40 * m, kLon),        // related, 40 m
      Open("RQ-2", "refuse_collection", kLat + 10 * m, kLon),  // same, 10 m
      Open("RQ-3", "refuse_collection", kLat + 60 * m, kLon),  // too far
      Open("RQ-4", "street_lighting", kLat + 5 * m, kLon),     // unrelated
      Open("RQ-5", "refuse_collection", kLat + 2 * m, kLon, v1::REQUEST_STATUS_CLOSED),
      Open("RQ-6", "refuse_collection", kLat - 30 * m, kLon, v1::REQUEST_STATUS_IN_PROGRESS),
  };
  auto found = FindDuplicates(nearby, "refuse_collection", kLat, kLon, Config());
  REQUIRE(found.size() == 3);
  CHECK(found[0].request().id() == "RQ-2");
  CHECK(found[0].same_category());
  CHECK(found[0].distance_m() == Approx(10).margin(0.5));
  CHECK(found[1].request().id() == "RQ-6");
  CHECK(found[2].request().id() == "RQ-1");
  CHECK_FALSE(found[2].same_category());
}

TEST_CASE("duplicates: the search box holds the whole circle, also east-west") {
  const auto box = BoxAround(kLat, kLon, 50);
  const double m_lon = 1.0 / (111195.0 * std::cos(kLat * 3.14159265358979 / 180));
  CHECK(box.min_lon < kLon - 49.9 * m_lon);
  CHECK(box.max_lon > kLon + 49.9 * m_lon);
  CHECK(box.max_lon < kLon + 60 * m_lon);  // not much more than needed
  CHECK(box.max_lat > kLat + 49.9 / 111195.0);
}

iv1::IncidentEvent Event(iv1::Rule rule, iv1::IncidentStatus status, std::vector<std::string> requests,
                         bool crew = false) {
  iv1::IncidentEvent e;
  e.mutable_meta()->set_event_id("e1");
  auto& i = *e.mutable_incident();
  i.set_id("INC-1");
  i.set_rule(rule);
  i.set_status(status);
  i.set_crew_working(crew);
  for (const auto& id : requests) i.add_requests()->set_request_id(id);
  return e;
}

TEST_CASE("incident news: a request linked to a fault incident is linked to a known problem") {
  auto news = NewsOf(Event(iv1::RULE_TOPOLOGY, iv1::INCIDENT_STATUS_OPEN, {"RQ-1", "RQ-2"}));
  REQUIRE(news.size() == 2);
  CHECK(news[0].known_incident);
  CHECK(news[0].incident_id == "INC-1");
  // A resident-call incident: its first request opened it.
  news = NewsOf(Event(iv1::RULE_RESIDENT_CALL, iv1::INCIDENT_STATUS_OPEN, {"RQ-1", "RQ-2"}));
  CHECK_FALSE(news[0].known_incident);
  CHECK(news[1].known_incident);
  // Merged: the requests follow to the incident it was merged into.
  auto merged = Event(iv1::RULE_DEDUPLICATION, iv1::INCIDENT_STATUS_MERGED, {"RQ-3"});
  merged.mutable_incident()->set_merged_into("INC-9");
  news = NewsOf(merged);
  REQUIRE(news.size() == 1);
  CHECK(news[0].incident_id == "INC-9");
  CHECK(news[0].incident_status == iv1::INCIDENT_STATUS_UNSPECIFIED);
}

TEST_CASE("incident news: link, acknowledged, crew at work, resolved - never back nor reopened") {
  IncidentNews news{"RQ-1", "INC-1", true, iv1::INCIDENT_STATUS_OPEN, false};
  LinkState state{v1::REQUEST_STATUS_OPEN, "", false};
  auto c = ChangeFor(state, news);
  REQUIRE(c);
  CHECK(c->incident_id == std::optional<std::string>("INC-1"));
  CHECK(c->known_incident);
  CHECK_FALSE(c->status);
  // Nothing new: no change.
  state.incident_id = "INC-1";
  CHECK_FALSE(ChangeFor(state, news));

  news.incident_status = iv1::INCIDENT_STATUS_ACKNOWLEDGED;
  c = ChangeFor(state, news);
  REQUIRE(c);
  CHECK(c->status == v1::REQUEST_STATUS_ACKNOWLEDGED);
  CHECK(c->note == kNoteAcknowledged);

  news.crew_working = true;
  c = ChangeFor(state, news);
  REQUIRE(c);
  CHECK(c->status == v1::REQUEST_STATUS_IN_PROGRESS);
  state.status = v1::REQUEST_STATUS_IN_PROGRESS;
  CHECK_FALSE(ChangeFor(state, news));  // already in progress
  news.crew_working = false;
  CHECK_FALSE(ChangeFor(state, news));  // an acknowledged incident does not move it back

  news.incident_status = iv1::INCIDENT_STATUS_RESOLVED;
  c = ChangeFor(state, news);
  REQUIRE(c);
  CHECK(c->status == v1::REQUEST_STATUS_CLOSED);
  CHECK(c->note == kNoteResolved);

  state.status = v1::REQUEST_STATUS_CLOSED;
  news.incident_status = iv1::INCIDENT_STATUS_OPEN;  // the incident reopened
  CHECK_FALSE(ChangeFor(state, news));
}

TEST_CASE("statistics: the storage's groups become counts per local day, category, district and channel") {
  const common::LocalTimeRule paris{std::chrono::minutes(60), true};
  // 00:30 on 26 November in Dijon (UTC+1 in winter) is 23:30 UTC on the 25th:
  // that quarter hour belongs to the 26th.
  const common::TimePoint late = common::FromLocal(paris, std::chrono::year(2026) / 11 / 26, 30);
  const common::TimePoint noon = common::FromLocal(paris, std::chrono::year(2026) / 11 / 26, 12 * 60);
  // 01:45 UTC on 1 July is 03:45 in Dijon (summer time): the 1st, not the 30th.
  const common::TimePoint summer = common::FromLocal(paris, std::chrono::year(2026) / 7 / 1, 3 * 60 + 45);
  GroupedCounts counts;
  counts.total = 7;
  counts.closed = 3;
  counts.linked = 2;
  counts.median_seconds_to_close = 4 * 3600;
  counts.by_category = {{"roads", 2}, {"other", 4}, {"street_lighting", 1}};
  counts.by_district = {{12, 1}, {3, 2}, {0, 4}};
  counts.by_channel = {{v1::REQUEST_CHANNEL_WEB, 1}, {v1::REQUEST_CHANNEL_APP, 2}, {v1::REQUEST_CHANNEL_PHONE, 4}};
  counts.by_slice = {{late, 1}, {noon, 3}, {noon - 24h, 2}, {summer, 1}};
  const v1::Statistics s = Assemble(counts, paris);
  CHECK(s.total() == 7);
  CHECK(s.closed() == 3);
  CHECK(s.linked() == 2);
  CHECK(s.median_seconds_to_close() == Approx(4 * 3600));
  REQUIRE(s.by_day_size() == 3);
  CHECK(s.by_day(0).key() == "2026-07-01");
  CHECK(s.by_day(0).count() == 1);
  CHECK(s.by_day(1).key() == "2026-11-25");
  CHECK(s.by_day(1).count() == 2);
  CHECK(s.by_day(2).key() == "2026-11-26");
  CHECK(s.by_day(2).count() == 4);
  REQUIRE(s.by_category_size() == 3);
  CHECK(s.by_category(0).key() == "other");
  CHECK(s.by_category(1).key() == "roads");
  REQUIRE(s.by_district_size() == 3);
  CHECK(s.by_district(0).key() == "0");
  CHECK(s.by_district(1).key() == "3");
  CHECK(s.by_district(2).key() == "12");
  REQUIRE(s.by_channel_size() == 3);
  CHECK(s.by_channel(0).key() == "app");
  CHECK(s.by_channel(1).key() == "phone");
  CHECK(s.by_channel(1).count() == 4);
  CHECK(common::LocalDate(paris, late) == "2026-11-26");
}

TEST_CASE("retention: personal data goes once a request has been closed for the whole period") {
  const auto retention = std::chrono::seconds(std::chrono::hours(24 * 90));
  const common::TimePoint closed = At(1'800'000'000);
  CHECK_FALSE(PurgeDue(v1::REQUEST_STATUS_CLOSED, closed, closed + std::chrono::hours(24 * 89), retention));
  CHECK(PurgeDue(v1::REQUEST_STATUS_CLOSED, closed, closed + std::chrono::hours(24 * 90), retention));
  // Open, or reopened since: kept, whatever the time.
  CHECK_FALSE(PurgeDue(v1::REQUEST_STATUS_OPEN, closed, closed + std::chrono::hours(24 * 400), retention));
  CHECK_FALSE(PurgeDue(v1::REQUEST_STATUS_CLOSED, std::nullopt, closed + std::chrono::hours(24 * 400), retention));
  CHECK(PurgeCutoff(closed, retention) == closed - retention);
}

}  // namespace
}  // namespace cityops::calls
