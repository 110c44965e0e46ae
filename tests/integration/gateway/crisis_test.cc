// Crisis mode through the gateway, in front of the real incident correlation
// (its crisis desk) on the test stack: the playbooks, a supervisor declaring
// and ending a crisis over districts, an operator refused, bad districts and
// ending twice refused, the live feed and the audit trail.
#include <catch2/catch.hpp>

#include <set>

#include "gateway_suite.h"

namespace cityops::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

size_t CountCrises(GatewaySuite& suite, const std::string& token, const std::string& status) {
  const auto reply = suite.Http("GET", "/api/v1/crises?statuses=" + status + "&pageSize=100", token);
  REQUIRE(reply.status == 200);
  return reply.json.contains("crises") ? reply.json["crises"].size() : 0;
}

TEST_CASE("Through the gateway, a supervisor declares and ends a crisis - operators and bad districts are refused",
          "[crisis]") {
  GatewaySuite suite;
  const std::string sara = suite.UserToken("sara", "supervisor");
  const std::string olga = suite.UserToken("olga", "operator");
  const std::string vera = suite.UserToken("vera", "viewer");

  SseClient feed(suite.http_port(), "/api/v1/events?types=crisis", {"Authorization: Bearer " + sara});
  REQUIRE(feed.WaitFor("retry: 2000", 10s));

  // The playbooks shipped with the project.
  const auto playbooks = suite.Http("GET", "/api/v1/crisis-playbooks", olga);
  INFO(playbooks.body);
  REQUIRE(playbooks.status == 200);
  std::set<std::string> ids;
  for (const auto& playbook : playbooks.json["playbooks"]) ids.insert(playbook["id"].get<std::string>());
  CHECK(ids.contains("snow"));
  CHECK(ids.contains("flood"));
  CHECK(suite.Http("GET", "/api/v1/crisis-playbooks", vera).status == 403);

  const std::string snow_over_3_5 = json{{"playbook", "snow"}, {"districts", {3, 5}}, {"note", "ice"}}.dump();

  // An operator may not declare: 403, and nothing changed.
  const auto refused = suite.Http("POST", "/api/v1/crises:declare", olga, snow_over_3_5);
  CHECK(refused.status == 403);
  CHECK(CountCrises(suite, olga, "CRISIS_STATUS_ACTIVE") == 0);

  // An unknown district: 400 naming it, and nothing changed.
  const auto unknown =
      suite.Http("POST", "/api/v1/crises:declare", sara, json{{"playbook", "snow"}, {"districts", {3, 99}}}.dump());
  INFO(unknown.body);
  CHECK(unknown.status == 400);
  CHECK(unknown.json["message"].get<std::string>().find("99") != std::string::npos);
  CHECK(CountCrises(suite, olga, "CRISIS_STATUS_ACTIVE") == 0);

  // The supervisor declares: an active crisis over districts 3 and 5, declared by her.
  const auto declared = suite.Http("POST", "/api/v1/crises:declare", sara, snow_over_3_5);
  INFO(declared.body);
  REQUIRE(declared.status == 200);
  CHECK(declared.json["status"] == "CRISIS_STATUS_ACTIVE");
  CHECK(declared.json["playbook"] == "snow");
  CHECK(declared.json["districts"] == json::array({3, 5}));
  CHECK(declared.json["declaredBy"] == "sara");
  const std::string id = declared.json["id"];
  REQUIRE_FALSE(id.empty());
  CHECK(feed.WaitFor("CRISIS_CHANGE_DECLARED", 15s));
  CHECK(feed.text().find(id) != std::string::npos);

  const auto one = suite.Http("GET", "/api/v1/crises/" + id, olga);
  REQUIRE(one.status == 200);
  CHECK(one.json["status"] == "CRISIS_STATUS_ACTIVE");
  CHECK(CountCrises(suite, olga, "CRISIS_STATUS_ACTIVE") == 1);

  // An operator may not end it either.
  CHECK(suite.Http("POST", "/api/v1/crises/" + id + ":end", olga, "{}").status == 403);
  CHECK(suite.Http("GET", "/api/v1/crises/" + id, olga).json["status"] == "CRISIS_STATUS_ACTIVE");

  const auto ended = suite.Http("POST", "/api/v1/crises/" + id + ":end", sara, R"({"note":"thaw"})");
  INFO(ended.body);
  REQUIRE(ended.status == 200);
  CHECK(ended.json["status"] == "CRISIS_STATUS_ENDED");
  CHECK(ended.json["endedBy"] == "sara");
  CHECK(feed.WaitFor("CRISIS_CHANGE_ENDED", 15s));

  // Ending it again: the service's FAILED_PRECONDITION, 409, and it stays ended.
  const auto again = suite.Http("POST", "/api/v1/crises/" + id + ":end", sara, "{}");
  INFO(again.body);
  CHECK(again.status == 409);
  CHECK(suite.Http("GET", "/api/v1/crises/" + id, olga).json["status"] == "CRISIS_STATUS_ENDED");
  CHECK(CountCrises(suite, olga, "CRISIS_STATUS_ACTIVE") == 0);

  // The audit trail names the supervisor for the declare and the end; the refused operator reached no service.
  const auto audit = suite.Http("GET", "/api/v1/audit?limit=100", suite.AdminToken());
  REQUIRE(audit.status == 200);
  bool declare_row = false;
  int end_rows = 0;
  for (const auto& entry : audit.json["entries"]) {
    if (entry["route"] == "/api/v1/crises:declare" && entry["httpStatus"] == 200) {
      declare_row = true;
      CHECK(entry["actor"] == "sara");
    }
    if (entry["route"] == "/api/v1/crises/{id}:end" && entry["target"] == id) {
      CHECK(entry["actor"] == "sara");
      ++end_rows;
    }
    if (entry["route"].get<std::string>().starts_with("/api/v1/crises")) CHECK(entry["actor"] != "olga");
  }
  CHECK(declare_row);
  CHECK(end_rows == 2);  // the end, and the refused second end
}

}  // namespace
}  // namespace cityops::testing
