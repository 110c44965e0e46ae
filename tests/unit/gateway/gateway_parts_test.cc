// The gateway's pure parts: the route table, query and body decoding, the
// OpenAPI document, the live feed's buffer and stream, the key figures.
#include <catch2/catch.hpp>

#include <set>

#include <prometheus/registry.h>
#include <nlohmann/json.hpp>

#include "cityops/common/proto_time.h"
#include "cityops/common/topic_names.h"
#include "cityops/incidents/v1/crisis.pb.h"
#include "cityops/incidents/v1/incident_correlation.pb.h"
#include "cityops/incidents/v1/incidents.pb.h"
#include "feed_buffer.h"
#include "key_figures.h"
#include "live_feed.h"
#include "openapi.h"
#include "proto_json.h"
#include "routes.h"

namespace cityops::gateway {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

TEST_CASE("Every service route names a real rpc, and its id and actor fields are string fields") {
  const auto& routes = ServiceRoutes();
  REQUIRE(routes.size() >= 35);
  std::set<std::pair<std::string, std::string>> seen;
  for (const ServiceRoute& route : routes) {
    INFO(route.method << " " << route.pattern);
    REQUIRE(route.descriptor != nullptr);
    CHECK(seen.insert({route.method, route.pattern}).second);
    CHECK((route.pattern.find("{id}") != std::string::npos) == !route.id_field.empty());
    const auto* prototype =
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(route.descriptor->input_type());
    std::unique_ptr<google::protobuf::Message> message(prototype->New());
    if (!route.id_field.empty()) CHECK(SetStringField(message.get(), route.id_field, "x").ok());
    if (!route.actor_field.empty()) CHECK(SetStringField(message.get(), route.actor_field, "otto").ok());
    // Reading routes change nothing: only commands carry an actor.
    if (route.method == "GET") CHECK_FALSE(route.command);
  }
}

TEST_CASE("Paths match the most specific pattern, with the id decoded") {
  const auto& routes = ServiceRoutes();
  bool known = false;
  auto assign = MatchRoute(routes, "POST", "/api/v1/lighting/profiles/p%201:assign", &known);
  REQUIRE(assign);
  CHECK(assign->route->rpc == "cityops.lighting.v1.LightingControl.AssignProfile");
  CHECK(assign->id == "p 1");
  // Crises: the collection's own verbs, and a crisis's verbs by id.
  auto declare = MatchRoute(routes, "POST", "/api/v1/crises:declare", &known);
  REQUIRE(declare);
  CHECK(declare->route->rpc == "cityops.incidents.v1.CrisisDesk.DeclareCrisis");
  CHECK(declare->route->id_field.empty());
  auto declare_one = MatchRoute(routes, "POST", "/api/v1/crises/CRI-00000004:declare", &known);
  REQUIRE(declare_one);
  CHECK(declare_one->route->pattern == "/api/v1/crises/{id}:declare");
  CHECK(declare_one->route->id_field == "crisis_id");
  CHECK(declare_one->id == "CRI-00000004");
  auto scope = MatchRoute(routes, "POST", "/api/v1/crises/CRI-00000004:change-scope", &known);
  REQUIRE(scope);
  CHECK(scope->route->rpc == "cityops.incidents.v1.CrisisDesk.ChangeCrisisScope");
  CHECK(scope->route->minimum == Role::kSupervisor);
  auto one = MatchRoute(routes, "GET", "/api/v1/crises/CRI-00000004", &known);
  REQUIRE(one);
  CHECK(one->route->rpc == "cityops.incidents.v1.CrisisDesk.GetCrisis");
  // An unknown verb is no command: at most the crisis's GET route (405 for a POST).
  CHECK_FALSE(MatchRoute(routes, "POST", "/api/v1/crises/CRI-00000004:explode", &known));
  CHECK(known);
  CHECK_FALSE(MatchRoute(routes, "POST", "/api/v1/crises/CRI-00000004/explode", &known));
  CHECK_FALSE(known);
  auto update = MatchRoute(routes, "POST", "/api/v1/lighting/profiles/p1", &known);
  REQUIRE(update);
  CHECK(update->route->rpc == "cityops.lighting.v1.LightingControl.UpdateProfile");
  auto state = MatchRoute(routes, "GET", "/api/v1/assets/lp-1/state", &known);
  REQUIRE(state);
  CHECK(state->route->id_field == "asset_id");
  CHECK(state->id == "lp-1");
  CHECK_FALSE(MatchRoute(routes, "GET", "/api/v1/incidents/x:acknowledge", &known));
  CHECK(known);  // POST only: 405, not 404
  CHECK_FALSE(MatchRoute(routes, "GET", "/api/v1/incidents/a/b", &known));
  CHECK_FALSE(known);
  std::string id;
  CHECK_FALSE(MatchPattern("/api/v1/incidents/{id}:resolve", "/api/v1/incidents/:resolve", &id));
  CHECK_FALSE(MatchPattern("/api/v1/incidents/{id}", "/api/v1/incidents/", &id));
  CHECK_FALSE(MatchPattern("/api/v1/incidents/{id}", "/api/v1/incidents/%zz", &id));
}

TEST_CASE("Query parameters fill typed, nested and repeated fields, and refuse what does not fit") {
  incidents::v1::ListIncidentsRequest request;
  common::FormFields query = {{"filter.priorities", "PRIORITY_HIGH,4"},
                              {"filter.districts", "3"},
                              {"filter.districts", "5"},
                              {"page_size", "20"},
                              {"filter.opened_before", "2026-11-26T09:00:00+01:00"},
                              {"access_token", "ignored"}};
  REQUIRE(MergeQuery(query, &request, {"access_token"}).ok());
  REQUIRE(request.filter().priorities_size() == 2);
  CHECK(request.filter().priorities(0) == incidents::v1::PRIORITY_HIGH);
  CHECK(request.filter().priorities(1) == incidents::v1::PRIORITY_CRITICAL);
  CHECK(request.filter().districts_size() == 2);
  CHECK(request.page_size() == 20);
  CHECK(request.filter().opened_before().seconds() == 1795680000);

  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"pageSize", "2147483648"},
           {"pageSize", "1.5"},
           {"filter.priorities", "PRIORITY_URGENT"},
           {"filter.openedAfter", "yesterday"},
           {"filter", "x"},
           {"filter.nothing", "1"},
           {"pageToken.x", "1"},
       }) {
    incidents::v1::ListIncidentsRequest fresh;
    const auto status = MergeQuery({{name, value}}, &fresh);
    INFO(name << "=" << value << ": " << status.ToString());
    CHECK(absl::IsInvalidArgument(status));
    CHECK(status.message().find(name) != absl::string_view::npos);
  }
}

TEST_CASE("JSON bodies follow the Protobuf JSON mapping, strictly") {
  incidents::v1::ResolveIncidentRequest request;
  REQUIRE(ParseJsonBody(R"({"note": "cabinet fuse replaced"})", &request).ok());
  CHECK(request.note() == "cabinet fuse replaced");
  REQUIRE(ParseJsonBody("  ", &request).ok());
  CHECK(absl::IsInvalidArgument(ParseJsonBody(R"({"note": ["a"]})", &request)));
  CHECK(absl::IsInvalidArgument(ParseJsonBody(R"({"notes": "a"})", &request)));
  CHECK(absl::IsInvalidArgument(ParseJsonBody("{", &request)));
  CHECK(absl::IsInvalidArgument(ParseJsonBody("\"\xff\xfe\"", &request)));
  incidents::v1::Incident incident;
  incident.set_id("inc-1");
  incident.set_priority(incidents::v1::PRIORITY_HIGH);
  const json out = json::parse(ToJson(incident));
  CHECK(out["id"] == "inc-1");
  CHECK(out["priority"] == "PRIORITY_HIGH");
  CHECK(out.contains("openedAt") == false);  // unset messages stay out
  CHECK(out.contains("title"));              // scalars are always there
}

// What the operators need, written out by hand: the document must describe
// each of these (a route removed from the table, or renamed, fails here).
TEST_CASE("The OpenAPI document describes every route, and every schema it refers to") {
  const json doc = BuildOpenApi(ServiceRoutes(), OwnRoutes());
  CHECK(doc["openapi"] == "3.0.3");
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"post", "/api/v1/auth/login"},
      {"get", "/api/v1/me"},
      {"get", "/api/v1/summary"},
      {"get", "/api/v1/districts"},
      {"get", "/api/v1/events"},
      {"get", "/api/v1/users"},
      {"post", "/api/v1/users"},
      {"post", "/api/v1/users/disable"},
      {"post", "/api/v1/users/enable"},
      {"post", "/api/v1/api-keys"},
      {"get", "/api/v1/audit"},
      {"get", "/api/v1/assets"},
      {"get", "/api/v1/assets/{id}"},
      {"get", "/api/v1/assets/{id}/state"},
      {"get", "/api/v1/incidents"},
      {"get", "/api/v1/incidents/{id}"},
      {"post", "/api/v1/incidents/{id}:acknowledge"},
      {"post", "/api/v1/incidents/{id}:assign"},
      {"post", "/api/v1/incidents/{id}:resolve"},
      {"get", "/api/v1/crews"},
      {"get", "/api/v1/work-orders"},
      {"post", "/api/v1/work-orders/{id}:assign"},
      {"get", "/api/v1/lighting/profiles"},
      {"post", "/api/v1/lighting/overrides"},
      {"post", "/api/v1/lighting/overrides/{id}:cancel"},
      {"get", "/api/v1/lighting/energy"},
      {"get", "/api/v1/calls/categories"},
      {"post", "/api/v1/calls/duplicates"},
      {"post", "/api/v1/calls/requests"},
      {"get", "/api/v1/calls/requests"},
      {"post", "/api/v1/calls/requests/{id}:status"},
      {"post", "/api/v1/calls/requests/{id}/notes"},
      {"get", "/api/v1/crisis-playbooks"},
      {"get", "/api/v1/crises"},
      {"get", "/api/v1/crises/{id}"},
      {"post", "/api/v1/crises:propose"},
      {"post", "/api/v1/crises:declare"},
      {"post", "/api/v1/crises/{id}:declare"},
      {"post", "/api/v1/crises/{id}:dismiss"},
      {"post", "/api/v1/crises/{id}:change-scope"},
      {"post", "/api/v1/crises/{id}:end"},
      {"get", "/open311/v2/services.json"},
      {"post", "/open311/v2/requests.json"},
      {"get", "/openapi.json"},
  };
  for (const auto& [method, path] : expected) {
    INFO(method << " " << path);
    CHECK(doc["paths"].contains(path));
    if (doc["paths"].contains(path)) CHECK(doc["paths"][path].contains(method));
  }
  // And everything the router answers is in it.
  size_t operations = 0;
  for (const auto& [path, methods] : doc["paths"].items()) operations += methods.size();
  CHECK(operations == ServiceRoutes().size() + OwnRoutes().size());
  // Every $ref resolves.
  std::vector<const json*> todo = {&doc};
  size_t refs = 0;
  while (!todo.empty()) {
    const json* node = todo.back();
    todo.pop_back();
    if (node->is_object()) {
      if (node->contains("$ref")) {
        ++refs;
        const std::string ref = (*node)["$ref"];
        const std::string name = ref.substr(ref.rfind('/') + 1);
        INFO(ref);
        CHECK(doc["components"]["schemas"].contains(name));
      }
      for (const auto& item : node->items()) todo.push_back(&item.value());
    } else if (node->is_array()) {
      for (const auto& item : *node) todo.push_back(&item);
    }
  }
  CHECK(refs > 50);
  const json& incident = doc["components"]["schemas"]["cityops_incidents_v1_Incident"];
  CHECK(incident["properties"]["priority"]["enum"].size() == 5);
  CHECK(incident["properties"]["openedAt"]["format"] == "date-time");
  CHECK(incident["properties"].contains("crisisId"));
  const json& crisis = doc["components"]["schemas"]["cityops_incidents_v1_Crisis"];
  CHECK(crisis["properties"]["status"]["enum"].size() == 5);
  CHECK(crisis["properties"]["timeline"]["type"] == "array");
  const json& end = doc["paths"]["/api/v1/crises/{id}:end"]["post"];
  CHECK(end["description"].get<std::string>().find("supervisor") != std::string::npos);
  CHECK(end["description"].get<std::string>().find("Audited") != std::string::npos);
  const json& list = doc["paths"]["/api/v1/crises"]["get"];
  std::set<std::string> parameters;
  for (const json& parameter : list["parameters"]) parameters.insert(parameter["name"].get<std::string>());
  CHECK(parameters == std::set<std::string>{"statuses", "pageSize", "pageToken"});
}

TEST_CASE("The feed buffer resumes after the client's last event, or tells it to reload") {
  common::FakeClock clock(common::TimePoint(std::chrono::seconds(1'795'000'000)));
  FeedBuffer feed("e1", 10min, 5, clock);
  CHECK(feed.ResumeFrom("").after == 0);
  for (int i = 1; i <= 3; ++i) feed.Add("incident", "{\"n\":" + std::to_string(i) + "}");
  CHECK(feed.IdOf(2) == "e1-2");

  auto resume = feed.ResumeFrom("e1-1");
  CHECK_FALSE(resume.reset);
  auto after = feed.After(resume.after, 10);
  REQUIRE(after.size() == 2);
  CHECK(after[0].seq == 2);
  CHECK(after[1].data == "{\"n\":3}");
  CHECK(feed.After(resume.after, 1).size() == 1);

  CHECK(feed.ResumeFrom("").after == 3);      // a new client: from now on
  CHECK(feed.ResumeFrom("e1-3").after == 3);  // up to date
  CHECK(feed.ResumeFrom("e0-2").reset);       // another instance's numbering
  CHECK(feed.ResumeFrom("e1-9").reset);       // from the future
  CHECK(feed.ResumeFrom("garbage").reset);

  // Past the size: the oldest go, and a client that missed them must reload.
  for (int i = 4; i <= 8; ++i) feed.Add("crew", "{}");
  CHECK(feed.size() == 5);
  CHECK(feed.ResumeFrom("e1-2").reset);
  CHECK_FALSE(feed.ResumeFrom("e1-3").reset);  // event 4 is still held
  // Past the window: the same.
  clock.Advance(11min);
  feed.Add("crew", "{}");
  CHECK(feed.size() == 1);
  CHECK(feed.ResumeFrom("e1-7").reset);
  CHECK_FALSE(feed.ResumeFrom("e1-8").reset);

  // Past the bytes: the oldest go (the newest stays, however large).
  FeedBuffer small("e2", 10min, 100, clock, 100);
  for (int i = 0; i < 10; ++i) small.Add("crew", std::string(20, 'x'));  // 24 bytes each
  CHECK(small.size() == 4);
  CHECK(small.bytes() == 96);
  CHECK(small.ResumeFrom("e2-5").reset);
  CHECK_FALSE(small.ResumeFrom("e2-6").reset);
  small.Add("incident", std::string(500, 'y'));
  CHECK(small.size() == 1);
  CHECK(small.After(0, 10).front().seq == 11);
}

TEST_CASE("A feed stream sends a reset first, filters by type and role, and keeps the line alive") {
  common::FakeClock clock(common::TimePoint(std::chrono::seconds(1'795'000'000)));
  FeedBuffer feed("e1", 10min, 100, clock);
  prometheus::Registry registry;
  auto& clients = prometheus::BuildGauge().Name("clients").Register(registry).Add({});
  std::atomic<bool> stopping{false};
  feed.Add("incident", R"({"a":1})");
  feed.Add("call", R"({"b":2})");
  feed.Add("crew", R"({"c":3})");
  feed.Add("crisis", R"({"d":4})");
  {
    FeedStreamOptions options;
    options.may_see_calls = false;
    FeedStream stream(feed, {0, true}, options, stopping, clients);
    CHECK(clients.Value() == 1);
    const std::string first = *stream.Next();
    CHECK(first.find("event: reset") < first.find("event: incident"));
    CHECK(first.find("id: e1-1\nevent: incident\ndata: {\"a\":1}\n\n") != std::string::npos);
    CHECK(first.find("call") == std::string::npos);    // a viewer does not get residents' calls
    CHECK(first.find("crisis") == std::string::npos);  // nor crises (an operator's routes)
    CHECK(first.find("event: crew") != std::string::npos);
    CHECK(stream.Next()->empty());
  }
  CHECK(clients.Value() == 0);
  FeedStreamOptions only_crews;
  only_crews.types = {"crew"};
  only_crews.may_see_calls = true;
  only_crews.keep_alive = 0s;
  FeedStream stream(feed, {0, false}, only_crews, stopping, clients);
  const std::string first = *stream.Next();
  CHECK(first.find("event: crew") != std::string::npos);
  CHECK(first.find("event: incident") == std::string::npos);
  CHECK(*stream.Next() == ": keep-alive\n\n");
  FeedStreamOptions operator_view;
  operator_view.may_see_calls = true;
  operator_view.may_see_crises = true;
  FeedStream all(feed, {0, false}, operator_view, stopping, clients);
  const std::string everything = *all.Next();
  CHECK(everything.find("event: call") != std::string::npos);
  CHECK(everything.find("event: crisis\ndata: {\"d\":4}") != std::string::npos);
  stopping = true;
  CHECK_FALSE(stream.Next().has_value());
}

TEST_CASE("Kafka messages become feed events by topic, and undecodable ones are refused") {
  incidents::v1::IncidentEvent event;
  event.mutable_incident()->set_id("inc-1");
  common::ConsumedMessage message;
  message.topic = "t1." + std::string(topics::kIncidents);
  message.value = event.SerializeAsString();
  auto decoded = DecodeFeedMessage(message, "t1.");
  REQUIRE(decoded.ok());
  CHECK(decoded->type == "incident");
  CHECK(json::parse(decoded->data)["incident"]["id"] == "inc-1");
  incidents::v1::CrisisEvent crisis;
  crisis.set_change(incidents::v1::CRISIS_CHANGE_DECLARED);
  crisis.mutable_crisis()->set_id("CRI-00000001");
  crisis.mutable_crisis()->add_districts(3);
  common::ConsumedMessage crisis_message;
  crisis_message.topic = "t1." + std::string(topics::kCrises);
  crisis_message.value = crisis.SerializeAsString();
  auto decoded_crisis = DecodeFeedMessage(crisis_message, "t1.");
  REQUIRE(decoded_crisis.ok());
  CHECK(decoded_crisis->type == "crisis");
  CHECK(json::parse(decoded_crisis->data)["change"] == "CRISIS_CHANGE_DECLARED");
  CHECK(json::parse(decoded_crisis->data)["crisis"]["districts"] == json::array({3}));
  message.value = "\xff\xff\xff";
  CHECK(absl::IsInvalidArgument(DecodeFeedMessage(message, "t1.").status()));
  message.topic = std::string(topics::kTelemetryReadings);
  CHECK(absl::IsInvalidArgument(DecodeFeedMessage(message, "").status()));
}

TEST_CASE("Key figures: medians, energy saved and the local day and week") {
  CHECK_FALSE(Median({}).has_value());
  CHECK(*Median({5, 1, 3}) == 3);
  CHECK(*Median({4, 1, 3, 2}) == 2.5);
  std::vector<lighting::v1::DistrictEnergy> nights(2);
  nights[0].set_baseline_wh(1000);
  nights[0].set_measured_wh(300);
  nights[1].set_baseline_wh(1000);
  nights[1].set_measured_wh(300);
  nights[1].set_estimated_wh(100);
  CHECK(*EnergySavedRatio(nights) == Approx(0.65));
  CHECK_FALSE(EnergySavedRatio({}).has_value());

  const common::LocalTimeRule dijon;
  // Thursday 2026-11-26 10:00 UTC (11:00 in Dijon).
  const auto now = common::FromProtoTime([] {
    google::protobuf::Timestamp t;
    t.set_seconds(1795687200);
    return t;
  }());
  CHECK(common::ToProtoTime(StartOfLocalDay(dijon, now)).seconds() == 1795647600);   // 2026-11-25T23:00Z
  CHECK(common::ToProtoTime(StartOfLocalWeek(dijon, now)).seconds() == 1795388400);  // Mon 2026-11-22T23:00Z
  CHECK(common::LocalDate(dijon, now) == "2026-11-26");
  // Just after midnight local time, still the 25th in UTC.
  CHECK(common::LocalDate(dijon, now - std::chrono::hours(10) - std::chrono::minutes(30)) == "2026-11-26");

  KeyFigures figures;
  figures.open_incidents_by_priority = {{"PRIORITY_HIGH", 2}};
  figures.calls_today = 7;
  figures.unavailable = {"energySavedRatioThisWeek"};
  figures.at = now;
  const json out = json::parse(KeyFiguresJson(figures));
  CHECK(out["openIncidentsByPriority"]["PRIORITY_HIGH"] == 2);
  CHECK(out["energySavedRatioThisWeek"].is_null());
  CHECK(out["callsToday"] == 7);
  CHECK(out["at"] == "2026-11-26T10:00:00Z");
}

}  // namespace
}  // namespace cityops::gateway
