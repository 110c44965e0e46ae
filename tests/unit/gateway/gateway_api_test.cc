// The gateway's HTTP side without a database or services: an in-memory store
// and fake upstreams record what reaches them.
#include <catch2/catch.hpp>

#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "cityops/incidents/v1/incident_correlation.pb.h"
#include "gateway_api.h"
#include "security/password.h"

namespace cityops::gateway {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class MemoryStore final : public GatewayStore {
 public:
  absl::StatusOr<int64_t> CountUsers() override { return static_cast<int64_t>(users.size()); }
  absl::Status CreateUser(const UserRecord& user) override {
    if (!users.emplace(user.username, user).second) return absl::AlreadyExistsError("taken");
    return absl::OkStatus();
  }
  absl::StatusOr<bool> CreateFirstUser(const UserRecord& user) override {
    if (!users.empty()) return false;
    users.emplace(user.username, user);
    return true;
  }
  absl::StatusOr<std::optional<UserRecord>> FindUser(const std::string& username) override {
    const auto it = users.find(username);
    if (it == users.end()) return std::optional<UserRecord>();
    return std::optional<UserRecord>(it->second);
  }
  absl::StatusOr<std::vector<UserRecord>> ListUsers() override {
    std::vector<UserRecord> out;
    for (const auto& [name, user] : users) out.push_back(user);
    return out;
  }
  absl::Status SetUserDisabled(const std::string& username, bool disabled) override {
    const auto it = users.find(username);
    if (it == users.end()) return absl::NotFoundError("no user");
    it->second.disabled = disabled;
    return absl::OkStatus();
  }
  absl::Status CreateApiKey(const std::string& name, const std::string& digest, const std::string& role,
                            const std::string& /*created_by*/) override {
    keys[digest] = ApiKeyRecord{name, role};
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<ApiKeyRecord>> FindApiKey(const std::string& digest) override {
    const auto it = keys.find(digest);
    if (it == keys.end()) return std::optional<ApiKeyRecord>();
    return std::optional<ApiKeyRecord>(it->second);
  }
  absl::StatusOr<int64_t> BeginAudit(const AuditRecord& record) override {
    if (!audit_works) return absl::UnavailableError("database down");
    audit.push_back(record);
    audit.back().id = static_cast<int64_t>(audit.size());
    if (audit.back().result.empty()) audit.back().result = "pending";
    return audit.back().id;
  }
  absl::Status FinishAudit(int64_t id, int http_status, const std::string& result) override {
    audit[static_cast<size_t>(id - 1)].http_status = http_status;
    audit[static_cast<size_t>(id - 1)].result = result;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<AuditRecord>> ListAudit(int /*limit*/, int64_t /*before_id*/) override { return audit; }
  absl::Status Ping() override { return absl::OkStatus(); }

  std::map<std::string, UserRecord> users;
  std::map<std::string, ApiKeyRecord> keys;
  std::vector<AuditRecord> audit;
  bool audit_works = true;
};

class FakeUpstreams final : public Upstreams {
 public:
  absl::Status Call(Upstream upstream, const std::string& method, const google::protobuf::Message& request,
                    google::protobuf::Message* response, const CallerIdentity& caller) override {
    std::lock_guard lock(mu);
    calls.push_back({upstream, method, request.DebugString(), caller});
    if (!answer.ok()) return answer;
    if (method == "/cityops.incidents.v1.IncidentCorrelation/AcknowledgeIncident") {
      const auto& ack = dynamic_cast<const incidents::v1::AcknowledgeIncidentRequest&>(request);
      auto& incident = dynamic_cast<incidents::v1::Incident&>(*response);
      incident.set_id(ack.id());
      incident.set_status(incidents::v1::INCIDENT_STATUS_ACKNOWLEDGED);
    }
    return absl::OkStatus();
  }
  struct Seen {
    Upstream upstream;
    std::string method;
    std::string request;
    CallerIdentity caller;
  };
  std::mutex mu;
  std::vector<Seen> calls;
  absl::Status answer = absl::OkStatus();
};

const common::TimePoint kStart = common::TimePoint(std::chrono::seconds(1'795'000'000));

struct Fixture {
  Fixture()
      : clock(kStart),
        jwt(JwtCodec::Create(std::string(40, 's'), "cityops-gateway", "cityops-console", 8h).value()),
        limiter(100, 100, clock),
        login_limiter(0.1, 5, clock),
        feed("e1", 30min, 1000, clock),
        figures(upstreams, clock) {
    // Cheap hashes: the test is about the gateway, not Argon2's cost.
    const PasswordParams cheap{1, 64, 1};
    for (const auto& [name, role] : {std::pair{"vera", "viewer"}, {"otto", "operator"}, {"ada", "admin"}}) {
      store.users[name] = UserRecord{
          name, HashPassword("a-long-password-" + std::string(name), cheap).value(), role, "", "test", false};
    }
    GatewayApiDeps deps;
    deps.store = &store;
    deps.upstreams = &upstreams;
    deps.jwt = &jwt;
    deps.limiter = &limiter;
    deps.login_limiter = &login_limiter;
    deps.feed = &feed;
    deps.figures = &figures;
    deps.clock = &clock;
    deps.stopping = &stopping;
    deps.districts_geojson = R"({"type":"FeatureCollection","features":[]})";
    api = std::make_unique<GatewayApi>(std::move(deps), metrics);
  }

  common::HttpResponse Send(const std::string& method, const std::string& target, const std::string& body = "",
                            const std::string& token = "") {
    common::HttpRequest request;
    request.method = method;
    request.target = target;
    const size_t q = target.find('?');
    request.path = target.substr(0, q);
    if (q != std::string::npos) request.query = target.substr(q + 1);
    request.body = body;
    request.peer = "127.0.0.1:1";
    if (!token.empty()) request.headers.emplace("Authorization", "Bearer " + token);
    return api->Handle(request);
  }
  std::string TokenFor(const std::string& name, Role role) { return jwt.Issue(name, role, clock.Now()); }

  common::FakeClock clock;
  JwtCodec jwt;
  RateLimiter limiter;
  RateLimiter login_limiter;
  FeedBuffer feed;
  MemoryStore store;
  FakeUpstreams upstreams;
  KeyFiguresSource figures;
  std::atomic<bool> stopping{false};
  prometheus::Registry metrics;
  std::unique_ptr<GatewayApi> api;
};

TEST_CASE("Login gives a token for the right password only, and counts refusals") {
  Fixture f;
  auto ok = f.Send("POST", "/api/v1/auth/login", R"({"username":"otto","password":"a-long-password-otto"})");
  REQUIRE(ok.status == 200);
  const json body = json::parse(ok.body);
  CHECK(body["user"]["role"] == "operator");
  auto claims = f.jwt.Verify(body["token"].get<std::string>(), f.clock.Now());
  REQUIRE(claims.ok());
  CHECK(claims->subject == "otto");

  CHECK(f.Send("POST", "/api/v1/auth/login", R"({"username":"otto","password":"wrong-password-1"})").status == 401);
  CHECK(f.Send("POST", "/api/v1/auth/login", R"({"username":"nobody","password":"whatever-it-is"})").status == 401);
  CHECK(f.Send("POST", "/api/v1/auth/login", R"({"username":"otto"})").status == 400);
  CHECK(f.Send("POST", "/api/v1/auth/login", R"({"username":"otto","password":"x","extra":1})").status == 400);
  CHECK(f.Send("POST", "/api/v1/auth/login", "not json").status == 400);
  // Logins are recorded, refused ones too, never with the password.
  REQUIRE(f.store.audit.size() == 3);
  CHECK(f.store.audit[1].result == "login refused");
  for (const auto& record : f.store.audit) CHECK(record.request.find("password") == std::string::npos);
}

TEST_CASE("Repeated wrong passwords for one user are throttled with Retry-After") {
  Fixture f;
  for (int i = 0; i < 5; ++i) {
    CHECK(f.Send("POST", "/api/v1/auth/login", R"({"username":"otto","password":"wrong-password-1"})").status == 401);
  }
  auto throttled = f.Send("POST", "/api/v1/auth/login", R"({"username":"otto","password":"a-long-password-otto"})");
  CHECK(throttled.status == 429);
  bool retry_after = false;
  for (const auto& [name, value] : throttled.headers) retry_after |= name == "Retry-After" && std::stoi(value) >= 1;
  CHECK(retry_after);
  f.clock.Advance(20s);
  CHECK(f.Send("POST", "/api/v1/auth/login", R"({"username":"otto","password":"a-long-password-otto"})").status == 200);
}

TEST_CASE("Routes refuse a missing, forged, expired or foreign token with 401 and call nothing") {
  Fixture f;
  CHECK(f.Send("GET", "/api/v1/incidents").status == 401);
  std::string forged = f.TokenFor("otto", Role::kOperator);
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  CHECK(f.Send("GET", "/api/v1/incidents", "", forged).status == 401);
  const std::string old = f.TokenFor("otto", Role::kOperator);
  f.clock.Advance(9h);
  CHECK(f.Send("GET", "/api/v1/incidents", "", old).status == 401);
  auto other = JwtCodec::Create(std::string(40, 's'), "cityops-gateway", "someone-else", 8h).value();
  CHECK(f.Send("GET", "/api/v1/incidents", "", other.Issue("otto", Role::kOperator, f.clock.Now())).status == 401);
  CHECK(f.upstreams.calls.empty());
  CHECK(f.Send("GET", "/api/v1/incidents", "", f.TokenFor("otto", Role::kOperator)).status == 200);
  CHECK(f.upstreams.calls.size() == 1);
}

TEST_CASE("A role without the right gets 403, and nothing is called or audited") {
  Fixture f;
  const std::string viewer = f.TokenFor("vera", Role::kViewer);
  CHECK(f.Send("GET", "/api/v1/incidents", "", viewer).status == 200);
  const auto refused = f.Send("POST", "/api/v1/incidents/inc-1:acknowledge", "{}", viewer);
  CHECK(refused.status == 403);
  CHECK(json::parse(refused.body)["message"].get<std::string>().find("operator") != std::string::npos);
  CHECK(f.Send("POST", "/api/v1/users", R"({"username":"x","password":"a-long-password","role":"viewer"})",
               f.TokenFor("otto", Role::kOperator))
            .status == 403);
  CHECK(f.Send("GET", "/api/v1/audit", "", viewer).status == 403);
  CHECK(f.upstreams.calls.size() == 1);
  CHECK(f.store.audit.empty());
}

TEST_CASE("A command carries the logged-in user as actor and is audited before and after") {
  Fixture f;
  const auto response = f.Send("POST", "/api/v1/incidents/inc-7:acknowledge", R"({"actor":"someone-else"})",
                               f.TokenFor("otto", Role::kOperator));
  REQUIRE(response.status == 200);
  const json body = json::parse(response.body);
  CHECK(body["id"] == "inc-7");
  CHECK(body["status"] == "INCIDENT_STATUS_ACKNOWLEDGED");
  REQUIRE(f.upstreams.calls.size() == 1);
  CHECK(f.upstreams.calls[0].method == "/cityops.incidents.v1.IncidentCorrelation/AcknowledgeIncident");
  CHECK(f.upstreams.calls[0].request.find("actor: \"otto\"") != std::string::npos);
  CHECK(f.upstreams.calls[0].request.find("id: \"inc-7\"") != std::string::npos);
  CHECK(f.upstreams.calls[0].caller.role == "operator");
  REQUIRE(f.store.audit.size() == 1);
  const AuditRecord& record = f.store.audit[0];
  CHECK(record.actor == "otto");
  CHECK(record.route == "/api/v1/incidents/{id}:acknowledge");
  CHECK(record.target == "inc-7");
  CHECK(record.http_status == 200);
  CHECK(record.result == "ok");
}

TEST_CASE("Crisis routes: supervisors declare, change, dismiss and end - operators list and propose - all audited") {
  Fixture f;
  f.store.users["sue"] = UserRecord{"sue", "x", "supervisor", "", "test", false};
  const std::string sue = f.TokenFor("sue", Role::kSupervisor);
  const std::string otto = f.TokenFor("otto", Role::kOperator);
  const std::string vera = f.TokenFor("vera", Role::kViewer);
  const std::string desk = "/cityops.incidents.v1.CrisisDesk/";

  // Who may do what: refused ones reach no service and leave no audit row.
  for (const auto& [method, target, token] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"GET", "/api/v1/crisis-playbooks", vera},
           {"GET", "/api/v1/crises", vera},
           {"GET", "/api/v1/crises/CRI-00000001", vera},
           {"POST", "/api/v1/crises:propose", vera},
           {"POST", "/api/v1/crises:declare", otto},
           {"POST", "/api/v1/crises/CRI-00000001:declare", otto},
           {"POST", "/api/v1/crises/CRI-00000001:dismiss", otto},
           {"POST", "/api/v1/crises/CRI-00000001:change-scope", otto},
           {"POST", "/api/v1/crises/CRI-00000001:end", otto},
       }) {
    INFO(method << " " << target);
    const auto refused = f.Send(method, target, method == "POST" ? "{}" : "", token);
    CHECK(refused.status == 403);
  }
  CHECK(f.upstreams.calls.empty());
  CHECK(f.store.audit.empty());

  // Path -> rpc, on incident correlation's address; the path's id and the user fill the request.
  struct Case {
    std::string method, target, body, token, rpc;
    std::vector<std::string> in_request;
    bool audited;
  };
  const std::vector<Case> cases = {
      {"GET", "/api/v1/crisis-playbooks", "", otto, "ListPlaybooks", {}, false},
      {"GET",
       "/api/v1/crises?statuses=CRISIS_STATUS_ACTIVE,CRISIS_STATUS_PROPOSED&pageSize=5&pageToken=t1",
       "",
       otto,
       "ListCrises",
       {"statuses: CRISIS_STATUS_ACTIVE", "statuses: CRISIS_STATUS_PROPOSED", "page_size: 5", "page_token: \"t1\""},
       false},
      {"GET", "/api/v1/crises/CRI-00000001", "", otto, "GetCrisis", {"id: \"CRI-00000001\""}, false},
      {"POST",
       "/api/v1/crises:propose",
       R"({"playbook":"snow","districts":[3,5],"reason":"ice on the roads","actor":"mallory"})",
       otto,
       "ProposeCrisis",
       {"playbook: \"snow\"", "districts: 3", "districts: 5", "actor: \"otto\"", "reason: \"ice on the roads\""},
       true},
      {"POST",
       "/api/v1/crises:declare",
       R"({"playbook":"flood","districts":[7],"note":"river at 3 m"})",
       sue,
       "DeclareCrisis",
       {"playbook: \"flood\"", "districts: 7", "actor: \"sue\"", "note: \"river at 3 m\""},
       true},
      {"POST",
       "/api/v1/crises/CRI-00000002:declare",
       R"({"note":"confirmed"})",
       sue,
       "DeclareCrisis",
       {"crisis_id: \"CRI-00000002\"", "actor: \"sue\""},
       true},
      {"POST",
       "/api/v1/crises/CRI-00000002:dismiss",
       R"({"note":"sensor fault"})",
       sue,
       "DismissProposal",
       {"crisis_id: \"CRI-00000002\"", "actor: \"sue\"", "note: \"sensor fault\""},
       true},
      {"POST",
       "/api/v1/crises/CRI-00000003:change-scope",
       R"({"districts":[3,5,8]})",
       sue,
       "ChangeCrisisScope",
       {"crisis_id: \"CRI-00000003\"", "districts: 8", "actor: \"sue\""},
       true},
      {"POST",
       "/api/v1/crises/CRI-00000003:end",
       R"({"note":"thaw","actor":"someone-else"})",
       sue,
       "EndCrisis",
       {"crisis_id: \"CRI-00000003\"", "actor: \"sue\"", "note: \"thaw\""},
       true},
  };
  for (const Case& c : cases) {
    INFO(c.method << " " << c.target);
    const size_t calls_before = f.upstreams.calls.size();
    const size_t audit_before = f.store.audit.size();
    const auto response = f.Send(c.method, c.target, c.body, c.token);
    CHECK(response.status == 200);
    REQUIRE(f.upstreams.calls.size() == calls_before + 1);
    const auto& seen = f.upstreams.calls.back();
    CHECK(seen.upstream == Upstream::kIncidents);
    CHECK(seen.method == desk + c.rpc);
    for (const std::string& part : c.in_request) {
      INFO(seen.request << " should hold " << part);
      CHECK(seen.request.find(part) != std::string::npos);
    }
    CHECK(seen.request.find("someone-else") == std::string::npos);
    CHECK(seen.request.find("mallory") == std::string::npos);
    CHECK(f.store.audit.size() == audit_before + (c.audited ? 1 : 0));
    if (c.audited && f.store.audit.size() > audit_before) {
      CHECK(f.store.audit.back().actor == (c.token == sue ? "sue" : "otto"));
      CHECK(f.store.audit.back().http_status == 200);
    }
  }
  // The audit names the crisis an id-path command was about.
  CHECK(f.store.audit.back().route == "/api/v1/crises/{id}:end");
  CHECK(f.store.audit.back().target == "CRI-00000003");

  // A body naming another crisis than the path, or an unknown field: 400, nothing called.
  const size_t calls_before = f.upstreams.calls.size();
  CHECK(f.Send("POST", "/api/v1/crises/CRI-1:end", R"({"crisisId":"CRI-2"})", sue).status == 400);
  CHECK(f.Send("POST", "/api/v1/crises:declare", R"({"districts":"three"})", sue).status == 400);
  CHECK(f.Send("POST", "/api/v1/crises:declare", R"({"playbok":"snow"})", sue).status == 400);
  CHECK(f.Send("GET", "/api/v1/crises?statuses=CRISIS_STATUS_BURNING", "", otto).status == 400);
  CHECK(f.Send("GET", "/api/v1/crises:declare", "", sue).status == 405);
  CHECK(f.Send("GET", "/api/v1/crises/CRI-1:end", "", sue).status == 405);
  CHECK(f.upstreams.calls.size() == calls_before);

  // The service's refusal comes back with its message, and is audited as refused.
  f.upstreams.answer = absl::InvalidArgumentError("unknown district 99");
  const auto bad = f.Send("POST", "/api/v1/crises:declare", R"({"playbook":"snow","districts":[99]})", sue);
  CHECK(bad.status == 400);
  CHECK(json::parse(bad.body)["message"] == "unknown district 99");
  CHECK(f.store.audit.back().http_status == 400);
  CHECK(f.store.audit.back().result == "unknown district 99");
  f.upstreams.answer = absl::FailedPreconditionError("CRI-3 is not active");
  CHECK(f.Send("POST", "/api/v1/crises/CRI-3:end", "{}", sue).status == 409);
}

TEST_CASE("A command is refused with 503 when the audit cannot be written, and not carried out") {
  Fixture f;
  f.store.audit_works = false;
  const auto response =
      f.Send("POST", "/api/v1/incidents/inc-7:acknowledge", "{}", f.TokenFor("otto", Role::kOperator));
  CHECK(response.status == 503);
  CHECK(f.upstreams.calls.empty());
}

TEST_CASE("A service that does not answer gives 503 with its name, and the failure is audited") {
  Fixture f;
  f.upstreams.answer = absl::UnavailableError("incident-correlation is not answering (connection refused)");
  const auto response =
      f.Send("POST", "/api/v1/incidents/inc-7:resolve", R"({"note":"fixed"})", f.TokenFor("otto", Role::kOperator));
  CHECK(response.status == 503);
  CHECK(json::parse(response.body)["message"].get<std::string>().find("incident-correlation") != std::string::npos);
  REQUIRE(f.store.audit.size() == 1);
  CHECK(f.store.audit[0].http_status == 503);
  CHECK(f.store.audit[0].result.find("not answering") != std::string::npos);
}

TEST_CASE("Bad input is a 4xx with a JSON body and reaches no service") {
  Fixture f;
  const std::string operator_token = f.TokenFor("otto", Role::kOperator);
  for (const auto& [method, target, body, status] : std::vector<std::tuple<std::string, std::string, std::string, int>>{
           {"POST", "/api/v1/incidents/inc-1:resolve", "{not json", 400},
           {"POST", "/api/v1/incidents/inc-1:resolve", R"({"note": 5})", 400},
           {"POST", "/api/v1/incidents/inc-1:resolve", R"({"unknownField": "x"})", 400},
           {"POST", "/api/v1/incidents/inc-1:resolve", R"({"id": "inc-2"})", 400},
           {"GET", "/api/v1/incidents?pageSize=many", "", 400},
           {"GET", "/api/v1/incidents?nope=1", "", 400},
           {"GET", "/api/v1/assets?kind=ASSET_KIND_NOT_A_KIND", "", 400},
           {"GET", "/api/v1/incidents?%zz=1", "", 400},
           {"GET", "/api/v1/nowhere", "", 404},
           {"DELETE", "/api/v1/incidents/inc-1", "", 405},
           {"POST", "/api/v1/events", "", 405},
       }) {
    INFO(method << " " << target << " " << body);
    const auto response = f.Send(method, target, body, operator_token);
    CHECK(response.status == status);
    const json parsed = json::parse(response.body, nullptr, false);
    REQUIRE(parsed.is_object());
    CHECK(parsed["code"] == status);
    CHECK(!parsed["message"].get<std::string>().empty());
  }
  CHECK(f.upstreams.calls.empty());
  CHECK(f.store.audit.empty());
}

TEST_CASE("Query parameters become the request message's fields") {
  Fixture f;
  REQUIRE(f.Send("GET",
                 "/api/v1/incidents?filter.statuses=INCIDENT_STATUS_OPEN,INCIDENT_STATUS_ACKNOWLEDGED&"
                 "filter.districts=3&pageSize=50&filter.openedAfter=2026-11-26T08:00:00Z",
                 "", f.TokenFor("vera", Role::kViewer))
              .status == 200);
  REQUIRE(f.upstreams.calls.size() == 1);
  const std::string& text = f.upstreams.calls[0].request;
  CHECK(text.find("statuses: INCIDENT_STATUS_OPEN") != std::string::npos);
  CHECK(text.find("statuses: INCIDENT_STATUS_ACKNOWLEDGED") != std::string::npos);
  CHECK(text.find("districts: 3") != std::string::npos);
  CHECK(text.find("page_size: 50") != std::string::npos);
  CHECK(text.find("seconds: 1795680000") != std::string::npos);
}

TEST_CASE("Admins create users with a role, never of the integration kind, and API keys shown once") {
  Fixture f;
  const std::string admin = f.TokenFor("ada", Role::kAdmin);
  auto created = f.Send("POST", "/api/v1/users",
                        R"({"username":"sam","password":"a-long-password-sam","role":"supervisor"})", admin);
  CHECK(created.status == 201);
  REQUIRE(f.store.users.contains("sam"));
  CHECK(VerifyPassword("a-long-password-sam", f.store.users["sam"].password_hash));
  CHECK(f.Send("POST", "/api/v1/users", R"({"username":"sam","password":"a-long-password-sam","role":"viewer"})", admin)
            .status == 409);
  CHECK(f.Send("POST", "/api/v1/users", R"({"username":"tim","password":"short","role":"viewer"})", admin).status ==
        400);
  CHECK(f.Send("POST", "/api/v1/users", R"({"username":"tim","password":"a-long-password","role":"king"})", admin)
            .status == 400);
  // The audit keeps who created whom, not the password.
  bool recorded = false;
  for (const auto& record : f.store.audit) {
    CHECK(record.request.find("a-long-password") == std::string::npos);
    recorded |= record.target == "sam" && record.http_status == 201;
  }
  CHECK(recorded);

  auto key = f.Send("POST", "/api/v1/api-keys", R"({"name":"bus-operator"})", admin);
  REQUIRE(key.status == 201);
  const std::string secret = json::parse(key.body)["key"];
  common::HttpRequest request;
  request.method = "GET";
  request.target = request.path = "/api/v1/calls/categories";
  request.headers.emplace("X-Api-Key", secret);
  CHECK(f.api->Handle(request).status == 200);
  // Integration clients may not touch incidents.
  request.target = request.path = "/api/v1/incidents";
  CHECK(f.api->Handle(request).status == 403);
  request.headers.clear();
  request.headers.emplace("X-Api-Key", "cok_wrong");
  CHECK(f.api->Handle(request).status == 401);
}

TEST_CASE("A disabled user's token stops working within seconds, and enabling brings it back") {
  Fixture f;
  const std::string admin = f.TokenFor("ada", Role::kAdmin);
  const std::string otto = f.TokenFor("otto", Role::kOperator);
  CHECK(f.Send("GET", "/api/v1/me", "", otto).status == 200);
  CHECK(f.Send("POST", "/api/v1/users/disable", R"({"username":"otto"})", otto).status == 403);
  CHECK(f.Send("POST", "/api/v1/users/disable", R"({"username":"nobody"})", admin).status == 404);
  CHECK(f.Send("POST", "/api/v1/users/disable", R"({"username":"ada"})", admin).status == 400);
  const auto wrong_field = f.Send("POST", "/api/v1/users/disable", R"({"user":"otto"})", admin);
  INFO(wrong_field.body);
  CHECK(wrong_field.status == 400);
  REQUIRE(f.Send("POST", "/api/v1/users/disable", R"({"username":"otto"})", admin).status == 200);
  CHECK(f.store.users["otto"].disabled);
  // On this instance at once; the others ask the database again within seconds.
  CHECK(f.Send("GET", "/api/v1/me", "", otto).status == 401);
  CHECK(f.Send("POST", "/api/v1/auth/login", R"({"username":"otto","password":"a-long-password-otto"})").status == 401);
  REQUIRE(f.Send("POST", "/api/v1/users/enable", R"({"username":"otto"})", admin).status == 200);
  CHECK(f.Send("GET", "/api/v1/me", "", otto).status == 200);
  // A change made elsewhere (another instance) is seen after kUserCheckInterval.
  f.store.users["otto"].disabled = true;
  CHECK(f.Send("GET", "/api/v1/me", "", otto).status == 200);
  f.clock.Advance(kUserCheckInterval + 1s);
  CHECK(f.Send("GET", "/api/v1/me", "", otto).status == 401);
  // A token for a user who never existed is refused too.
  CHECK(f.Send("GET", "/api/v1/me", "", f.TokenFor("ghost", Role::kAdmin)).status == 401);
  size_t audited = 0;
  for (const auto& record : f.store.audit) audited += record.route.starts_with("/api/v1/users/") ? 1 : 0;
  // Disabling nobody (404), disabling otto, enabling otto; the refused self-disable and the malformed body never ran.
  CHECK(audited == 3);
}

TEST_CASE("API keys and key figures are asked of their source at most every few seconds") {
  Fixture f;
  const std::string admin = f.TokenFor("ada", Role::kAdmin);
  auto key = f.Send("POST", "/api/v1/api-keys", R"({"name":"bus-operator"})", admin);
  REQUIRE(key.status == 201);
  common::HttpRequest request;
  request.method = "GET";
  request.target = request.path = "/api/v1/calls/categories";
  request.headers.emplace("X-Api-Key", json::parse(key.body)["key"].get<std::string>());
  CHECK(f.api->Handle(request).status == 200);
  f.store.keys.clear();  // revoked in the database
  CHECK(f.api->Handle(request).status == 200);
  f.clock.Advance(kUserCheckInterval + 1s);
  CHECK(f.api->Handle(request).status == 401);

  const auto calls_before = f.upstreams.calls.size();
  REQUIRE(f.Send("GET", "/api/v1/summary", "", admin).status == 200);
  const auto asked = f.upstreams.calls.size() - calls_before;
  CHECK(asked >= 4);  // incidents, work orders, energy, calls
  CHECK(f.Send("GET", "/api/v1/summary", "", f.TokenFor("vera", Role::kViewer)).status == 200);
  CHECK(f.upstreams.calls.size() - calls_before == asked);
  f.clock.Advance(11s);
  CHECK(f.Send("GET", "/api/v1/summary", "", admin).status == 200);
  CHECK(f.upstreams.calls.size() - calls_before == 2 * asked);
}

TEST_CASE("Every user's requests are rate limited") {
  Fixture f;
  RateLimiter tight(1, 3, f.clock);
  f.api.reset();
  GatewayApiDeps deps;
  deps.store = &f.store;
  deps.upstreams = &f.upstreams;
  deps.jwt = &f.jwt;
  deps.limiter = &tight;
  deps.login_limiter = &f.login_limiter;
  deps.feed = &f.feed;
  deps.figures = &f.figures;
  deps.clock = &f.clock;
  deps.stopping = &f.stopping;
  GatewayApi api(std::move(deps), f.metrics);
  common::HttpRequest request;
  request.method = "GET";
  request.target = request.path = "/api/v1/me";
  request.headers.emplace("Authorization", "Bearer " + f.TokenFor("otto", Role::kOperator));
  for (int i = 0; i < 3; ++i) CHECK(api.Handle(request).status == 200);
  CHECK(api.Handle(request).status == 429);
  f.clock.Advance(1s);
  CHECK(api.Handle(request).status == 200);
}

TEST_CASE("Audited request bodies leave out passwords, keys and residents' personal data") {
  const std::string body = AuditedBody(
      R"({"category":"lighting","resident":{"firstName":"Ann","phone":"0601"},"password":"p","nested":{"email":"a@b"}})");
  CHECK(body.find("lighting") != std::string::npos);
  CHECK(body.find("Ann") == std::string::npos);
  CHECK(body.find("0601") == std::string::npos);
  CHECK(body.find("a@b") == std::string::npos);
  CHECK(body.find("\"p\"") == std::string::npos);
  CHECK(AuditedBody("[1,2]").empty());
  CHECK(AuditedBody("{broken").empty());
}

TEST_CASE("gRPC codes map to HTTP statuses") {
  CHECK(HttpStatusFor(absl::InvalidArgumentError("")) == 400);
  CHECK(HttpStatusFor(absl::UnauthenticatedError("")) == 401);
  CHECK(HttpStatusFor(absl::PermissionDeniedError("")) == 403);
  CHECK(HttpStatusFor(absl::NotFoundError("")) == 404);
  CHECK(HttpStatusFor(absl::FailedPreconditionError("")) == 409);
  CHECK(HttpStatusFor(absl::AlreadyExistsError("")) == 409);
  CHECK(HttpStatusFor(absl::ResourceExhaustedError("")) == 429);
  CHECK(HttpStatusFor(absl::UnavailableError("")) == 503);
  CHECK(HttpStatusFor(absl::DeadlineExceededError("")) == 503);
  CHECK(HttpStatusFor(absl::InternalError("")) == 500);
}

TEST_CASE("The first admin comes from the environment, only while there is no user") {
  MemoryStore store;
  CHECK(absl::IsInvalidArgument(EnsureFirstAdmin(store, "", "")));
  CHECK(absl::IsInvalidArgument(EnsureFirstAdmin(store, "root", "short")));
  CHECK(store.users.empty());
  REQUIRE(EnsureFirstAdmin(store, "root", "a-long-enough-password").ok());
  REQUIRE(store.users.contains("root"));
  CHECK(store.users["root"].role == "admin");
  CHECK(store.users["root"].password_hash.find("a-long-enough-password") == std::string::npos);
  // Later starts leave the users alone, even without the variables.
  CHECK(EnsureFirstAdmin(store, "", "").ok());
  CHECK(store.users.size() == 1);
}

}  // namespace
}  // namespace cityops::gateway
