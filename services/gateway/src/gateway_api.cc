#include "gateway_api.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <google/protobuf/message.h>
#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cityops/common/proto_time.h"
#include "live_feed.h"
#include "openapi.h"
#include "proto_json.h"
#include "security/api_keys.h"
#include "security/password.h"

namespace cityops::gateway {

namespace pb = google::protobuf;
using common::HttpRequest;
using common::HttpResponse;
using nlohmann::json;

namespace {

constexpr std::string_view kApiPrefix = "/api/v1/";
constexpr char kDummyHashPassword[] = "cityops-not-a-password";

HttpResponse JsonOk(std::string body, int status = 200) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

HttpResponse ErrorFor(const absl::Status& status) {
  return JsonError(HttpStatusFor(status), std::string(status.message()));
}

std::string BearerToken(std::string_view header) {
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size() ||
      !absl::EqualsIgnoreCase(absl::string_view(header.data(), kBearer.size()), "bearer ")) {
    return {};
  }
  return std::string(header.substr(kBearer.size()));
}

std::string ContentTypeOf(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".geojson") return "application/geo+json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  return "application/octet-stream";
}

void Redact(json& value) {
  static const std::set<std::string, std::less<>> kSecret = {
      "password",  "resident", "token", "key",   "apiKey",     "api_key",  "secret",
      "firstName", "lastName", "phone", "email", "first_name", "last_name"};
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (kSecret.contains(it.key())) {
        it.value() = "(left out)";
      } else {
        Redact(it.value());
      }
    }
  } else if (value.is_array()) {
    for (auto& item : value) Redact(item);
  }
}

}  // namespace

int HttpStatusFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return 503;
    default:
      return 500;
  }
}

HttpResponse JsonError(int status, std::string_view message) {
  HttpResponse response;
  response.status = status;
  response.body = common::JsonErrorBody(status, message);
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

std::string AuditedBody(std::string_view body) {
  if (body.empty() || body.size() > 64 * 1024) return {};
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return {};
  Redact(parsed);
  std::string out = parsed.dump(-1, ' ', false, json::error_handler_t::replace);
  if (out.size() > 4096) return R"json({"(left out)":"larger than 4 KiB"})json";
  return out;
}

absl::Status EnsureFirstAdmin(GatewayStore& store, const std::string& username, const std::string& password) {
  auto count = store.CountUsers();
  if (!count.ok()) return count.status();
  if (*count > 0) return absl::OkStatus();
  if (username.empty() || password.empty()) {
    return absl::InvalidArgumentError(
        "no user yet: set CITYOPS_GATEWAY_ADMIN_USER and CITYOPS_GATEWAY_ADMIN_PASSWORD for the first admin");
  }
  if (auto policy = CheckPasswordPolicy(password); !policy.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("CITYOPS_GATEWAY_ADMIN_PASSWORD: ", policy.message()));
  }
  auto hash = HashPassword(password);
  if (!hash.ok()) return hash.status();
  UserRecord admin;
  admin.username = username;
  admin.password_hash = *hash;
  admin.role = std::string(RoleName(Role::kAdmin));
  admin.created_by = "environment";
  auto created = store.CreateFirstUser(admin);
  if (!created.ok()) return created.status();
  if (*created) spdlog::info("first start: admin {} created from the environment", username);
  return absl::OkStatus();
}

GatewayApi::GatewayApi(GatewayApiDeps deps, prometheus::Registry& metrics)
    : deps_(std::move(deps)),
      openapi_json_(BuildOpenApi(ServiceRoutes(), OwnRoutes()).dump()),
      dummy_hash_(HashPassword(kDummyHashPassword).value_or("")),
      active_users_(*deps_.clock, kUserCheckInterval),
      api_keys_(*deps_.clock, kUserCheckInterval),
      requests_(prometheus::BuildCounter()
                    .Name("cityops_gateway_http_requests_total")
                    .Help("HTTP requests by route, method and status")
                    .Register(metrics)),
      latency_(prometheus::BuildHistogram()
                   .Name("cityops_gateway_http_request_duration_seconds")
                   .Help("Time to answer an HTTP request, by route (the live feed: to its first bytes)")
                   .Register(metrics)),
      login_failures_(prometheus::BuildCounter()
                          .Name("cityops_gateway_login_failures_total")
                          .Help("Refused logins (unknown user, wrong password, disabled, throttled)")
                          .Register(metrics)
                          .Add({})),
      rate_limited_(prometheus::BuildCounter()
                        .Name("cityops_gateway_rate_limited_total")
                        .Help("Requests refused with 429 by the per-user rate limit")
                        .Register(metrics)
                        .Add({})),
      audit_failures_(prometheus::BuildCounter()
                          .Name("cityops_gateway_audit_failures_total")
                          .Help("Commands refused or left with a pending audit row because the audit could not be "
                                "written")
                          .Register(metrics)
                          .Add({})),
      feed_clients_(prometheus::BuildGauge()
                        .Name("cityops_gateway_feed_clients")
                        .Help("Live-feed clients connected")
                        .Register(metrics)
                        .Add({})) {}

HttpResponse GatewayApi::Handle(const HttpRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  std::string route_label = "unmatched";
  HttpResponse response;
  try {
    response = Route(request, &route_label);
  } catch (const std::exception& e) {
    spdlog::error("gateway: {} {} failed: {}", request.method, request.path, e.what());
    response = JsonError(500, "internal error");
  }
  requests_.Add({{"route", route_label}, {"method", request.method}, {"code", std::to_string(response.status)}})
      .Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                                   0.1,   0.25,   0.5,   1,    2.5,   5};
  latency_.Add({{"route", route_label}}, kBuckets)
      .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return response;
}

HttpResponse GatewayApi::Route(const HttpRequest& request, std::string* route_label) {
  const std::string& path = request.path;
  if (path == "/openapi.json") {
    *route_label = path;
    if (request.method != "GET" && request.method != "HEAD") return JsonError(405, "use GET");
    return JsonOk(openapi_json_);
  }
  if (path == "/healthz") {
    *route_label = path;
    const auto ping = deps_.store->Ping();
    if (!ping.ok()) return JsonError(503, absl::StrCat("database: ", ping.message()));
    return JsonOk(R"({"status":"ok"})");
  }
  if (path.starts_with("/open311/")) {
    *route_label = "/open311/v2/";
    if (deps_.open311 == nullptr) return JsonError(404, "Open311 is not served here");
    return deps_.open311->Handle(request);
  }
  if (path.starts_with(kApiPrefix)) return Api(request, route_label);
  *route_label = "static";
  return StaticFile(request);
}

absl::StatusOr<Principal> GatewayApi::Authenticate(const HttpRequest& request, bool allow_query_token) {
  std::string token = BearerToken(request.Header("Authorization"));
  if (token.empty() && allow_query_token) {
    auto query = request.QueryFields();
    if (query.ok()) {
      if (const std::string* value = common::FindField(*query, "access_token")) token = *value;
    }
  }
  if (!token.empty()) {
    auto claims = deps_.jwt->Verify(token, deps_.clock->Now());
    if (!claims.ok()) return claims.status();
    if (claims->role == Role::kIntegration) return absl::UnauthenticatedError("integration clients use API keys");
    if (auto active = CheckUserActive(claims->subject); !active.ok()) return active;
    return Principal{claims->subject, claims->role, false};
  }
  const std::string_view key = request.Header("X-Api-Key");
  if (!key.empty()) {
    const std::string digest = ApiKeyDigest(key);
    auto found = api_keys_.Get(digest, [&]() -> absl::StatusOr<std::optional<ApiKeyRecord>> {
      auto record = deps_.store->FindApiKey(digest);
      if (!record.ok()) return absl::UnavailableError("cannot check the API key now");
      return *record;
    });
    if (!found.ok()) return found.status();
    if (!found->has_value()) return absl::UnauthenticatedError("unknown API key");
    auto role = ParseRole((*found)->role);
    if (!role.ok()) return absl::UnauthenticatedError("the API key has an unknown role");
    return Principal{(*found)->name, *role, true};
  }
  return absl::UnauthenticatedError("log in first: Authorization: Bearer <token> (or X-Api-Key)");
}

absl::Status GatewayApi::CheckUserActive(const std::string& username) {
  auto active = active_users_.Get(username, [&]() -> absl::StatusOr<bool> {
    auto user = deps_.store->FindUser(username);
    if (!user.ok()) return absl::UnavailableError("cannot check the user now (database)");
    return user->has_value() && !(*user)->disabled;
  });
  if (!active.ok()) return active.status();
  if (!*active) return absl::UnauthenticatedError("this user is disabled or no longer exists");
  return absl::OkStatus();
}

HttpResponse GatewayApi::Login(const HttpRequest& request) {
  if (request.method != "POST") return JsonError(405, "use POST");
  const json body = json::parse(request.body, nullptr, false);
  if (!body.is_object() || !body.contains("username") || !body.contains("password") || !body["username"].is_string() ||
      !body["password"].is_string()) {
    return JsonError(400, "expected {\"username\": \"...\", \"password\": \"...\"}");
  }
  for (const auto& [name, value] : body.items()) {
    if (name != "username" && name != "password") return JsonError(400, "unknown field " + name);
  }
  const std::string username = body["username"].get<std::string>();
  const std::string password = body["password"].get<std::string>();
  if (username.empty() || username.size() > 64) return JsonError(400, "username must have 1 to 64 characters");
  if (password.size() > 1024) return JsonError(400, "password too long");
  if (auto wait = deps_.login_limiter->Take("login:" + username)) {
    login_failures_.Increment();
    HttpResponse refused = JsonError(429, "too many login attempts for this user; wait and try again");
    refused.headers.emplace_back("Retry-After", std::to_string(wait->count()));
    return refused;
  }
  auto user = deps_.store->FindUser(username);
  if (!user.ok()) return JsonError(503, "cannot check the login now (database)");
  const bool known = user->has_value() && !(*user)->disabled;
  hashing_.acquire();
  const bool matches = VerifyPassword(password, known ? (*user)->password_hash : dummy_hash_);
  hashing_.release();
  std::optional<Role> role;
  if (known && matches) {
    auto parsed = ParseRole((*user)->role);
    if (parsed.ok() && *parsed != Role::kIntegration) role = *parsed;
  }
  AuditRecord record;
  record.actor = username;
  record.role = role ? std::string(RoleName(*role)) : "";
  record.method = request.method;
  record.path = request.path;
  record.route = request.path;
  record.peer = request.peer;
  if (!role) {
    login_failures_.Increment();
    record.http_status = 401;
    record.result = "login refused";
    if (!deps_.store->BeginAudit(record).ok()) audit_failures_.Increment();
    return JsonError(401, "wrong username or password");
  }
  record.http_status = 200;
  record.result = "ok";
  if (!deps_.store->BeginAudit(record).ok()) audit_failures_.Increment();
  const common::TimePoint now = deps_.clock->Now();
  json answer = {{"token", deps_.jwt->Issue(username, *role, now)},
                 {"expiresAt", pb::util::TimeUtil::ToString(common::ToProtoTime(now + deps_.jwt->lifetime()))},
                 {"user", {{"username", username}, {"role", RoleName(*role)}}}};
  return JsonOk(answer.dump());
}

HttpResponse GatewayApi::Api(const HttpRequest& request, std::string* route_label) {
  const std::string& path = request.path;
  if (path == "/api/v1/auth/login") {
    *route_label = path;
    return Login(request);
  }
  const bool events = path == "/api/v1/events";
  auto who = Authenticate(request, events);
  if (!who.ok()) {
    *route_label = "unauthenticated";
    return ErrorFor(who.status());
  }
  if (auto wait = deps_.limiter->Take((who->api_key ? "key:" : "user:") + who->name)) {
    rate_limited_.Increment();
    *route_label = "rate_limited";
    HttpResponse refused = JsonError(429, "rate limit reached; slow down");
    refused.headers.emplace_back("Retry-After", std::to_string(wait->count()));
    return refused;
  }

  // The gateway's own routes.
  const OwnRoute* own = nullptr;
  bool own_path = false;
  for (const OwnRoute& route : OwnRoutes()) {
    if (route.path != path) continue;
    own_path = true;
    if (route.method == request.method || (route.method == "GET" && request.method == "HEAD")) own = &route;
  }
  if (own_path) {
    *route_label = path;
    if (own == nullptr) return JsonError(405, "this route does not take " + request.method);
    if (own->minimum && !RoleAllows(who->role, *own->minimum, false)) {
      return JsonError(403, absl::StrCat("this needs the role ", std::string(RoleName(*own->minimum)), " or above"));
    }
    if (path == "/api/v1/me") return JsonOk(json{{"username", who->name}, {"role", RoleName(who->role)}}.dump());
    if (path == "/api/v1/summary") {
      return JsonOk(KeyFiguresJson(deps_.figures->Collect({std::string(RoleName(who->role)), who->name})));
    }
    if (path == "/api/v1/districts") {
      HttpResponse response = JsonOk(deps_.districts_geojson);
      response.content_type = "application/geo+json";
      return response;
    }
    if (path == "/api/v1/events") return Events(request, *who);
    if (path == "/api/v1/users") return own->method == "GET" ? ListUsers() : CreateUser(request, *who);
    if (path == "/api/v1/users/disable") return SetUserDisabled(request, *who, true);
    if (path == "/api/v1/users/enable") return SetUserDisabled(request, *who, false);
    if (path == "/api/v1/api-keys") return CreateApiKey(request, *who);
    if (path == "/api/v1/audit") return ListAudit(request);
    return JsonError(404, "no route " + path);
  }
  bool path_known = false;
  auto match = MatchRoute(ServiceRoutes(), request.method, path, &path_known);
  if (!match) {
    *route_label = path_known ? "method_not_allowed" : "not_found";
    return path_known ? JsonError(405, "this route does not take " + request.method)
                      : JsonError(404, "no route " + path);
  }
  *route_label = match->route->pattern;
  if (!RoleAllows(who->role, match->route->minimum, match->route->integration)) {
    return JsonError(403,
                     absl::StrCat("this needs the role ", std::string(RoleName(match->route->minimum)), " or above"));
  }
  return CallService(request, *who, *match->route, match->id);
}

HttpResponse GatewayApi::CallService(const HttpRequest& request, const Principal& who, const ServiceRoute& route,
                                     const std::string& id) {
  const pb::Message* prototype = pb::MessageFactory::generated_factory()->GetPrototype(route.descriptor->input_type());
  std::unique_ptr<pb::Message> message(prototype->New());
  if (route.method == "GET") {
    auto query = request.QueryFields();
    if (!query.ok()) return JsonError(400, std::string(query.status().message()));
    if (auto status = MergeQuery(*query, message.get()); !status.ok()) return ErrorFor(status);
  } else if (auto status = ParseJsonBody(request.body, message.get()); !status.ok()) {
    return ErrorFor(status);
  }
  if (!route.id_field.empty()) {
    const std::string in_body = GetStringField(*message, route.id_field);
    if (!in_body.empty() && in_body != id) {
      return JsonError(400, absl::StrCat(route.id_field, " in the body differs from the path's id"));
    }
    if (auto status = SetStringField(message.get(), route.id_field, id); !status.ok()) return ErrorFor(status);
  }
  if (!route.actor_field.empty()) {
    if (auto status = SetStringField(message.get(), route.actor_field, who.name); !status.ok()) {
      return ErrorFor(status);
    }
  }
  const CallerIdentity caller{std::string(RoleName(who.role)), who.name};
  auto call = [&]() -> HttpResponse {
    const pb::Message* out_prototype =
        pb::MessageFactory::generated_factory()->GetPrototype(route.descriptor->output_type());
    std::unique_ptr<pb::Message> answer(out_prototype->New());
    const auto status = deps_.upstreams->Call(route.upstream, route.grpc_path(), *message, answer.get(), caller);
    if (!status.ok()) return ErrorFor(status);
    return JsonOk(ToJson(*answer));
  };
  if (!route.command) return call();
  return Audited(request, who, route.pattern, id, AuditedBody(request.body), call);
}

HttpResponse GatewayApi::Audited(const HttpRequest& request, const Principal& who, const std::string& route,
                                 const std::string& target, const std::string& recorded_body,
                                 const std::function<HttpResponse()>& command) {
  AuditRecord record;
  record.actor = who.name;
  record.role = std::string(RoleName(who.role));
  record.method = request.method;
  record.path = request.path;
  record.route = route;
  record.target = target;
  record.request = recorded_body;
  record.peer = request.peer;
  auto id = deps_.store->BeginAudit(record);
  if (!id.ok()) {
    audit_failures_.Increment();
    spdlog::error("audit: cannot record {} {} by {}: {}", request.method, request.path, who.name,
                  id.status().ToString());
    return JsonError(503, "the audit trail cannot be written now; nothing was done");
  }
  HttpResponse response = command();
  std::string result = "ok";
  if (response.status >= 400) {
    const json body = json::parse(response.body, nullptr, false);
    result = body.is_object() && body.contains("message") && body["message"].is_string()
                 ? body["message"].get<std::string>()
                 : "error";
  }
  if (auto finished = deps_.store->FinishAudit(*id, response.status, result); !finished.ok()) {
    audit_failures_.Increment();
    spdlog::error("audit: cannot record the outcome of #{}: {}", *id, finished.ToString());
  }
  return response;
}

HttpResponse GatewayApi::ListUsers() {
  auto users = deps_.store->ListUsers();
  if (!users.ok()) return ErrorFor(users.status());
  json list = json::array();
  for (const auto& user : *users) {
    list.push_back({{"username", user.username},
                    {"role", user.role},
                    {"createdAt", user.created_at},
                    {"createdBy", user.created_by},
                    {"disabled", user.disabled}});
  }
  return JsonOk(json{{"users", list}}.dump());
}

HttpResponse GatewayApi::CreateUser(const HttpRequest& request, const Principal& who) {
  const json body = json::parse(request.body, nullptr, false);
  if (!body.is_object()) return JsonError(400, "expected a JSON object {username, password, role}");
  for (const auto& [name, value] : body.items()) {
    if (name != "username" && name != "password" && name != "role") return JsonError(400, "unknown field " + name);
    if (!value.is_string()) return JsonError(400, name + " must be a string");
  }
  const std::string username = body.value("username", "");
  const std::string password = body.value("password", "");
  if (username.empty() || username.size() > 64 ||
      username.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@") !=
          std::string::npos) {
    return JsonError(400, "username: 1 to 64 of letters, digits, . _ - @");
  }
  auto role = ParseRole(body.value("role", ""));
  if (!role.ok()) return ErrorFor(role.status());
  if (*role == Role::kIntegration) return JsonError(400, "integration clients get API keys, not users");
  if (auto policy = CheckPasswordPolicy(password); !policy.ok()) return ErrorFor(policy);
  return Audited(request, who, request.path, username, AuditedBody(request.body), [&]() -> HttpResponse {
    hashing_.acquire();
    auto hash = HashPassword(password);
    hashing_.release();
    if (!hash.ok()) return ErrorFor(hash.status());
    UserRecord user;
    user.username = username;
    user.password_hash = *hash;
    user.role = std::string(RoleName(*role));
    user.created_by = who.name;
    if (auto status = deps_.store->CreateUser(user); !status.ok()) return ErrorFor(status);
    return JsonOk(json{{"username", username}, {"role", RoleName(*role)}}.dump(), 201);
  });
}

HttpResponse GatewayApi::SetUserDisabled(const HttpRequest& request, const Principal& who, bool disabled) {
  const json body = json::parse(request.body, nullptr, false);
  if (!body.is_object() || body.size() != 1 || !body.contains("username") || !body["username"].is_string()) {
    return JsonError(400, "expected {\"username\": \"...\"}");
  }
  const std::string username = body["username"];
  if (disabled && username == who.name) return JsonError(400, "an admin cannot disable themself");
  return Audited(request, who, request.path, username, AuditedBody(request.body), [&]() -> HttpResponse {
    if (auto status = deps_.store->SetUserDisabled(username, disabled); !status.ok()) return ErrorFor(status);
    active_users_.Forget(username);  // this instance at once; the others within kUserCheckInterval
    return JsonOk(json{{"username", username}, {"disabled", disabled}}.dump());
  });
}

HttpResponse GatewayApi::CreateApiKey(const HttpRequest& request, const Principal& who) {
  const json body = json::parse(request.body, nullptr, false);
  if (!body.is_object()) return JsonError(400, "expected a JSON object {name, role}");
  for (const auto& [name, value] : body.items()) {
    if (name != "name" && name != "role") return JsonError(400, "unknown field " + name);
    if (!value.is_string()) return JsonError(400, name + " must be a string");
  }
  const std::string name = body.value("name", "");
  if (name.empty() || name.size() > 64) return JsonError(400, "name must have 1 to 64 characters");
  auto role = ParseRole(body.value("role", "integration"));
  if (!role.ok()) return ErrorFor(role.status());
  if (*role != Role::kIntegration) return JsonError(400, "API keys carry the integration role");
  return Audited(request, who, request.path, name, AuditedBody(request.body), [&]() -> HttpResponse {
    const std::string key = NewApiKey();
    if (auto status = deps_.store->CreateApiKey(name, ApiKeyDigest(key), std::string(RoleName(*role)), who.name);
        !status.ok()) {
      return ErrorFor(status);
    }
    return JsonOk(json{{"name", name}, {"role", RoleName(*role)}, {"key", key}}.dump(), 201);
  });
}

HttpResponse GatewayApi::ListAudit(const HttpRequest& request) {
  auto query = request.QueryFields();
  if (!query.ok()) return JsonError(400, std::string(query.status().message()));
  int limit = 100;
  int64_t before = 0;
  if (const std::string* text = common::FindField(*query, "limit")) {
    if (!absl::SimpleAtoi(*text, &limit) || limit < 1 || limit > 1000) return JsonError(400, "limit: 1 to 1000");
  }
  if (const std::string* text = common::FindField(*query, "before")) {
    if (!absl::SimpleAtoi(*text, &before) || before < 1) return JsonError(400, "before: an audit id");
  }
  auto records = deps_.store->ListAudit(limit, before);
  if (!records.ok()) return ErrorFor(records.status());
  json entries = json::array();
  for (const auto& r : *records) {
    json entry = {{"id", r.id},         {"at", r.at},         {"actor", r.actor},
                  {"role", r.role},     {"method", r.method}, {"path", r.path},
                  {"route", r.route},   {"target", r.target}, {"httpStatus", r.http_status},
                  {"result", r.result}, {"peer", r.peer}};
    entry["request"] = r.request.empty() ? json(nullptr) : json::parse(r.request, nullptr, false);
    entries.push_back(std::move(entry));
  }
  return JsonOk(json{{"entries", entries}}.dump());
}

HttpResponse GatewayApi::Events(const HttpRequest& request, const Principal& who) {
  auto query = request.QueryFields();
  if (!query.ok()) return JsonError(400, std::string(query.status().message()));
  FeedStreamOptions options;
  options.may_see_calls = RoleAllows(who.role, Role::kOperator, false);
  options.may_see_crises = RoleAllows(who.role, Role::kOperator, false);
  if (const std::string* types = common::FindField(*query, "types")) {
    for (const std::string& type : std::vector<std::string>(absl::StrSplit(*types, ',', absl::SkipEmpty()))) {
      bool known = false;
      for (const FeedTopic& topic : FeedTopics()) known |= topic.type == type;
      if (!known) return JsonError(400, "types: unknown event type " + type);
      options.types.emplace(type);
    }
  }
  std::string last_id(request.Header("Last-Event-ID"));
  if (const std::string* given = common::FindField(*query, "last_event_id"); given != nullptr && last_id.empty()) {
    last_id = *given;
  }
  const FeedBuffer::Resume resume = deps_.feed->ResumeFrom(last_id);
  HttpResponse response;
  response.content_type = "text/event-stream";
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("X-Accel-Buffering", "no");
  response.body = "retry: 2000\n\n";
  response.stream =
      std::make_shared<FeedStream>(*deps_.feed, resume, std::move(options), *deps_.stopping, feed_clients_);
  return response;
}

HttpResponse GatewayApi::StaticFile(const HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") return JsonError(405, "use GET");
  if (deps_.console_dir.empty()) return JsonError(404, "no console is served here (see --console-dir)");
  auto decoded = common::UrlDecode(request.path, false);
  if (!decoded.ok() || decoded->empty() || decoded->front() != '/') return JsonError(400, "bad path");
  for (const std::string& part : std::vector<std::string>(absl::StrSplit(*decoded, '/'))) {
    if (part == ".." || part == "." || part.find('\\') != std::string::npos || part.find('\0') != std::string::npos) {
      return JsonError(400, "bad path");
    }
  }
  std::filesystem::path file = std::filesystem::path(deps_.console_dir) / decoded->substr(1);
  std::error_code ec;
  if (decoded->back() == '/' || std::filesystem::is_directory(file, ec)) file /= "index.html";
  // The console routes in the browser: an unknown path without an extension is the application.
  if (!std::filesystem::is_regular_file(file, ec) && !file.has_extension()) {
    file = std::filesystem::path(deps_.console_dir) / "index.html";
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return JsonError(404, "not found");
  std::ostringstream content;
  content << in.rdbuf();
  HttpResponse response;
  response.content_type = ContentTypeOf(file);
  response.body = content.str();
  response.headers.emplace_back("Cache-Control", file.filename() == "index.html" ? "no-cache" : "public, max-age=300");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
                                "connect-src 'self'; frame-ancestors 'none'");
  return response;
}

}  // namespace cityops::gateway
