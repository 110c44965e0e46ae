// The gateway in front of the real services, on the test stack: login and
// tokens, roles, the audit trail, the live feed with resume, manual dispatch,
// Open311, and a service that is down.
#include <catch2/catch.hpp>

#include <thread>

#include "absl/strings/str_split.h"
#include "cityops/common/http.h"
#include "gateway_suite.h"
#include "security/jwt.h"

namespace cityops::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// The incident on `asset` among the open ones, by REST; null when none.
json FindIncident(GatewaySuite& suite, const std::string& token, const std::string& asset) {
  const auto reply = suite.Http("GET",
                                "/api/v1/incidents?filter.statuses=INCIDENT_STATUS_OPEN,"
                                "INCIDENT_STATUS_ACKNOWLEDGED&pageSize=100",
                                token);
  if (reply.status != 200) return nullptr;
  for (const auto& incident : reply.json["incidents"]) {
    if (incident["assetId"] == asset) return incident;
  }
  return nullptr;
}

TEST_CASE(
    "Through the gateway, a cabinet's power loss is one incident on the live feed and in REST, acknowledged, "
    "dispatched by hand and audited") {
  GatewaySuite suite;
  const std::string olga = suite.UserToken("olga", "operator");
  const std::string vera = suite.UserToken("vera", "viewer");
  suite.RegisterCabinet("cab-gw-1", 6);
  suite.RegisterCrews({"crew-gw-a", "crew-gw-b"}, "street_lighting");

  SseClient feed(suite.http_port(), "/api/v1/events", {"Authorization: Bearer " + olga});
  REQUIRE(feed.WaitFor("retry: 2000", 10s));
  CHECK(feed.text().find("200") != std::string::npos);
  CHECK(feed.text().find("text/event-stream") != std::string::npos);

  suite.CabinetPowerLoss("cab-gw-1");
  INFO(feed.text());
  // The feed reads several topics: dispatch's assignment for the incident may
  // come before the incident itself. Wait for the incident.
  if (!feed.WaitFor("event: incident", 30s)) {
    std::string feed_metrics;
    for (const absl::string_view line :
         absl::StrSplit(HttpExchange(suite.gateway_metrics_port(), "GET", "/metrics").body, '\n')) {
      if (line.find("feed") != absl::string_view::npos) feed_metrics += std::string(line) + "\n";
    }
    UNSCOPED_INFO("gateway feed metrics: " << feed_metrics);
    UNSCOPED_INFO("gateway /api/v1/incidents: " << suite.Http("GET", "/api/v1/incidents", olga).body);
    UNSCOPED_INFO("feed text: " << feed.text());
    UNSCOPED_INFO("gateway log: " << ReadFile(suite.gateway_log()));
    FAIL("no incident event on the feed within 30 s");
  }
  const std::string first_id = feed.LastId();
  CHECK(feed.text().find("cab-gw-1") != std::string::npos);

  json incident;
  REQUIRE(Eventually([&] { return !(incident = FindIncident(suite, olga, "cab-gw-1")).is_null(); }, 20s));
  const std::string id = incident["id"];
  CHECK(incident["assetKind"] == "ASSET_KIND_CONTROL_CABINET");

  // A viewer may look, not act.
  CHECK(suite.Http("GET", "/api/v1/incidents/" + id, vera).status == 200);
  const auto refused = suite.Http("POST", "/api/v1/incidents/" + id + ":acknowledge", vera, "{}");
  CHECK(refused.status == 403);

  const auto acknowledged =
      suite.Http("POST", "/api/v1/incidents/" + id + ":acknowledge", olga, R"({"actor":"not-olga"})");
  INFO(acknowledged.body);
  REQUIRE(acknowledged.status == 200);
  CHECK(acknowledged.json["status"] == "INCIDENT_STATUS_ACKNOWLEDGED");
  CHECK(acknowledged.json["acknowledgedBy"] == "olga");
  CHECK(feed.WaitFor("INCIDENT_CHANGE_ACKNOWLEDGED", 15s));

  // The key figures count it among the open incidents (acknowledged is still open).
  const auto figures = suite.Http("GET", "/api/v1/summary", vera);
  REQUIRE(figures.status == 200);
  INFO(figures.body);
  CHECK(figures.json["openIncidentsByPriority"][acknowledged.json["priority"].get<std::string>()] == 1);
  CHECK(figures.json["callsToday"] == 0);
  CHECK(figures.json["unavailable"].empty());

  // The work order dispatch made, given by hand to the other crew.
  json order;
  REQUIRE(Eventually(
      [&] {
        const auto orders = suite.Http("GET", "/api/v1/work-orders?incidentId=" + id, olga);
        if (orders.status != 200 || orders.json["workOrders"].empty()) return false;
        order = orders.json["workOrders"][0];
        return !order["crewId"].get<std::string>().empty();
      },
      20s));
  CHECK(order["skill"] == "street_lighting");
  const std::string other = order["crewId"] == "crew-gw-a" ? "crew-gw-b" : "crew-gw-a";
  const auto assigned = suite.Http("POST", "/api/v1/work-orders/" + order["id"].get<std::string>() + ":assign", olga,
                                   json{{"crewId", other}}.dump());
  INFO(assigned.body);
  REQUIRE(assigned.status == 200);
  CHECK(assigned.json["crewId"] == other);
  CHECK(feed.WaitFor("event: assignment", 15s));

  // The audit trail: who did what, with the outcome; the viewer's refusal
  // never reached a service and is not a command carried out.
  const auto audit = suite.Http("GET", "/api/v1/audit?limit=50", suite.AdminToken());
  REQUIRE(audit.status == 200);
  bool ack_row = false;
  bool assign_row = false;
  for (const auto& entry : audit.json["entries"]) {
    if (entry["route"] == "/api/v1/incidents/{id}:acknowledge") {
      CHECK(entry["actor"] == "olga");
      CHECK(entry["target"] == id);
      CHECK(entry["httpStatus"] == 200);
      ack_row = true;
    }
    assign_row |=
        entry["route"] == "/api/v1/work-orders/{id}:assign" && entry["actor"] == "olga" && entry["result"] == "ok";
    CHECK(entry.dump().find("password-of-") == std::string::npos);
  }
  CHECK(ack_row);
  CHECK(assign_row);
  CHECK(suite.Http("GET", "/api/v1/audit", olga).status == 403);

  // A client that reconnects with the id of its first event gets what
  // followed, without waiting for anything new; another instance's id: reset.
  SseClient resumed(suite.http_port(), "/api/v1/events",
                    {"Authorization: Bearer " + olga, "Last-Event-ID: " + first_id});
  CHECK(resumed.WaitFor("INCIDENT_CHANGE_ACKNOWLEDGED", 5s));
  CHECK(resumed.text().find("event: reset") == std::string::npos);
  SseClient lost(suite.http_port(), "/api/v1/events?access_token=" + olga, {"Last-Event-ID: 1-1"});
  CHECK(lost.WaitFor("event: reset", 5s));
  CHECK(ScrapeMetric(suite.gateway_metrics_port(), "cityops_gateway_feed_clients") >= 3);
}

TEST_CASE("The gateway refuses forged, expired and foreign tokens, counts failed logins, and serves Open311") {
  GatewaySuite suite;
  const std::string admin = suite.AdminToken();
  CHECK(suite.Http("GET", "/api/v1/me", admin).json["role"] == "admin");
  CHECK(suite.Http("GET", "/api/v1/me").status == 401);
  std::string forged = admin;
  forged[forged.size() - 3] = forged[forged.size() - 3] == 'x' ? 'y' : 'x';
  CHECK(suite.Http("GET", "/api/v1/me", forged).status == 401);
  const std::string secret = "integration-secret-0123456789-0123456789-abcdef";
  auto codec = gateway::JwtCodec::Create(secret, "cityops-gateway", "cityops-console", 8h).value();
  CHECK(suite.Http("GET", "/api/v1/me", codec.Issue("admin", gateway::Role::kAdmin, std::chrono::system_clock::now()))
            .status == 200);
  CHECK(
      suite
          .Http("GET", "/api/v1/me", codec.Issue("admin", gateway::Role::kAdmin, std::chrono::system_clock::now() - 9h))
          .status == 401);
  auto foreign = gateway::JwtCodec::Create(secret, "cityops-gateway", "another-audience", 8h).value();
  CHECK(suite.Http("GET", "/api/v1/me", foreign.Issue("admin", gateway::Role::kAdmin, std::chrono::system_clock::now()))
            .status == 401);
  // A disabled user's token stops working, and the user cannot log in.
  const std::string dora = suite.UserToken("dora", "operator");
  CHECK(suite.Http("GET", "/api/v1/incidents", dora).status == 200);
  CHECK(suite.Http("POST", "/api/v1/users/disable", admin, R"({"username":"dora"})").status == 200);
  CHECK(suite.Http("GET", "/api/v1/incidents", dora).status == 401);
  CHECK(suite.Login("dora", "password-of-dora").empty());
  CHECK(suite.Http("POST", "/api/v1/users/enable", admin, R"({"username":"dora"})").status == 200);
  CHECK(suite.Http("GET", "/api/v1/incidents", dora).status == 200);

  CHECK(suite.Login("admin", "not-the-password").empty());
  CHECK(ScrapeMetric(suite.gateway_metrics_port(), "cityops_gateway_login_failures_total") == 2);

  // Open311 for residents' apps, through resident calls.
  const auto services = suite.Http("GET", "/open311/v2/services.json");
  REQUIRE(services.status == 200);
  REQUIRE(services.json.is_array());
  REQUIRE_FALSE(services.json.empty());
  CHECK(services.json[0].contains("service_code"));
  const std::string code = services.json[0]["service_code"];
  const std::string form = "service_code=" + code + "&lat=47.3220&long=5.0410&description=" +
                           common::UrlEncode("A lamp post leans over the pavement");
  const HttpReply no_key = HttpExchange(suite.http_port(), "POST", "/open311/v2/requests.json", form);
  CHECK(no_key.status == 403);
  const HttpReply created =
      HttpExchange(suite.http_port(), "POST", "/open311/v2/requests.json", form + "&api_key=" + kOpen311Key);
  INFO(created.body);
  REQUIRE((created.status == 200 || created.status == 201));
  const json created_json = json::parse(created.body);
  const std::string request_id = created_json[0]["service_request_id"];
  const auto fetched = suite.Http("GET", "/open311/v2/requests/" + request_id + ".json");
  REQUIRE(fetched.status == 200);
  CHECK(fetched.json[0]["status"] == "open");
  // The same request through the operators' REST, with its category.
  const auto rest = suite.Http("GET", "/api/v1/calls/requests/" + request_id, admin);
  REQUIRE(rest.status == 200);
  CHECK(rest.json["request"]["category"] == code);

  // OpenAPI is served whole.
  const auto openapi = suite.Http("GET", "/openapi.json");
  REQUIRE(openapi.status == 200);
  CHECK(openapi.json["paths"].contains("/api/v1/incidents/{id}:acknowledge"));
}

TEST_CASE("A service that is down gives 503 naming it, and the gateway stays up") {
  GatewaySuite suite(GatewaySuiteOptions{.lighting = false});
  const std::string admin = suite.AdminToken();
  const auto down = suite.Http("GET", "/api/v1/lighting/profiles", admin);
  CHECK(down.status == 503);
  CHECK(down.json["message"].get<std::string>().find("lighting-control") != std::string::npos);
  const auto command = suite.Http("POST", "/api/v1/lighting/overrides", admin, R"({"override":{"level":100}})");
  CHECK(command.status == 503);
  // Nothing else is affected.
  CHECK(suite.Http("GET", "/healthz").status == 200);
  CHECK(suite.Http("GET", "/api/v1/incidents", admin).status == 200);
  const auto figures = suite.Http("GET", "/api/v1/summary", admin);
  REQUIRE(figures.status == 200);
  CHECK(figures.json["energySavedRatioThisWeek"].is_null());
  CHECK(figures.json["unavailable"].dump().find("energySavedRatioThisWeek") != std::string::npos);
  CHECK(figures.json["callsToday"] == 0);
  // The failed command is in the audit trail with its outcome.
  const auto audit = suite.Http("GET", "/api/v1/audit?limit=10", admin);
  bool found = false;
  for (const auto& entry : audit.json["entries"]) {
    found |= entry["route"] == "/api/v1/lighting/overrides" && entry["httpStatus"] == 503;
  }
  CHECK(found);
}

}  // namespace
}  // namespace cityops::testing
