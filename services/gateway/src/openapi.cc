#include "openapi.h"

#include <google/protobuf/descriptor.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace cityops::gateway {

namespace pb = google::protobuf;
using nlohmann::json;

namespace {

json Object(json properties, std::vector<std::string> required = {}) {
  json schema = {{"type", "object"}, {"properties", std::move(properties)}};
  if (!required.empty()) schema["required"] = required;
  return schema;
}

const json kError = Object({{"code", {{"type", "integer"}}}, {"message", {{"type", "string"}}}}, {"code", "message"});

std::string RoleText(Role minimum, bool integration) {
  std::string text = absl::StrCat("Role: ", std::string(RoleName(minimum)), " or above");
  if (integration) absl::StrAppend(&text, ", or integration (API key)");
  return text;
}

json FieldSchema(const pb::FieldDescriptor& field, json& components);

json ScalarSchema(const pb::FieldDescriptor& field, json& components) {
  switch (field.type()) {
    case pb::FieldDescriptor::TYPE_DOUBLE:
    case pb::FieldDescriptor::TYPE_FLOAT:
      return {{"type", "number"}};
    case pb::FieldDescriptor::TYPE_INT32:
    case pb::FieldDescriptor::TYPE_SINT32:
    case pb::FieldDescriptor::TYPE_SFIXED32:
      return {{"type", "integer"}, {"format", "int32"}};
    case pb::FieldDescriptor::TYPE_UINT32:
    case pb::FieldDescriptor::TYPE_FIXED32:
      return {{"type", "integer"}, {"format", "int64"}, {"minimum", 0}};
    case pb::FieldDescriptor::TYPE_INT64:
    case pb::FieldDescriptor::TYPE_SINT64:
    case pb::FieldDescriptor::TYPE_SFIXED64:
    case pb::FieldDescriptor::TYPE_UINT64:
    case pb::FieldDescriptor::TYPE_FIXED64:
      // The Protobuf JSON mapping writes 64-bit integers as strings.
      return {{"type", "string"}, {"format", "int64"}};
    case pb::FieldDescriptor::TYPE_BOOL:
      return {{"type", "boolean"}};
    case pb::FieldDescriptor::TYPE_STRING:
      return {{"type", "string"}};
    case pb::FieldDescriptor::TYPE_BYTES:
      return {{"type", "string"}, {"format", "byte"}};
    case pb::FieldDescriptor::TYPE_ENUM: {
      json values = json::array();
      for (int i = 0; i < field.enum_type()->value_count(); ++i) values.push_back(field.enum_type()->value(i)->name());
      return {{"type", "string"}, {"enum", values}};
    }
    case pb::FieldDescriptor::TYPE_MESSAGE:
    case pb::FieldDescriptor::TYPE_GROUP:
      return MessageSchemaRef(*field.message_type(), components);
  }
  return json::object();
}

json FieldSchema(const pb::FieldDescriptor& field, json& components) {
  if (field.is_map()) {
    return {{"type", "object"}, {"additionalProperties", ScalarSchema(*field.message_type()->map_value(), components)}};
  }
  json schema = ScalarSchema(field, components);
  if (field.is_repeated()) return {{"type", "array"}, {"items", schema}};
  return schema;
}

std::string ComponentName(const pb::Descriptor& descriptor) {
  return absl::StrReplaceAll(descriptor.full_name(), {{".", "_"}});
}

}  // namespace

json MessageSchemaRef(const pb::Descriptor& descriptor, json& components) {
  const std::string& full = descriptor.full_name();
  if (full == "google.protobuf.Timestamp") return {{"type", "string"}, {"format", "date-time"}};
  if (full == "google.protobuf.Duration") return {{"type", "string"}, {"pattern", "^-?[0-9]+(\\.[0-9]+)?s$"}};
  const std::string name = ComponentName(descriptor);
  json ref = {{"$ref", "#/components/schemas/" + name}};
  if (components.contains(name)) return ref;
  components[name] = json::object();  // placeholder against recursion
  json properties = json::object();
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const pb::FieldDescriptor& field = *descriptor.field(i);
    properties[field.json_name()] = FieldSchema(field, components);
  }
  components[name] = {{"type", "object"}, {"properties", properties}, {"additionalProperties", false}};
  return ref;
}

const std::vector<OwnRoute>& OwnRoutes() {
  static const std::vector<OwnRoute> routes = [] {
    const json user = Object({{"username", {{"type", "string"}}}, {"role", {{"type", "string"}}}});
    std::vector<OwnRoute> r;
    r.push_back(
        {"POST", "/api/v1/auth/login", "A token for a username and password", std::nullopt,
         Object({{"username", {{"type", "string"}}}, {"password", {{"type", "string"}}}}, {"username", "password"}),
         Object({{"token", {{"type", "string"}}},
                 {"expiresAt", {{"type", "string"}, {"format", "date-time"}}},
                 {"user", user}})});
    r.push_back({"GET", "/api/v1/me", "Who the token or key is", Role::kViewer, nullptr, user});
    r.push_back(
        {"GET", "/api/v1/summary", "Key figures for the console's top bar", Role::kViewer, nullptr,
         Object({{"openIncidentsByPriority", {{"type", "object"}, {"additionalProperties", {{"type", "integer"}}}}},
                 {"medianTimeToAssignmentSecondsToday", {{"type", "number"}, {"nullable", true}}},
                 {"energySavedRatioThisWeek", {{"type", "number"}, {"nullable", true}}},
                 {"callsToday", {{"type", "integer"}, {"nullable", true}}},
                 {"unavailable", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                 {"at", {{"type", "string"}, {"format", "date-time"}}}})});
    r.push_back({"GET", "/api/v1/districts", "The districts, a GeoJSON FeatureCollection", Role::kViewer, nullptr,
                 Object({{"type", {{"type", "string"}}}, {"features", {{"type", "array"}}}}), "application/geo+json"});
    r.push_back({"GET",
                 "/api/v1/events",
                 "The live feed (Server-Sent Events: incident, assignment, crew, lighting, call, crisis, reset); "
                 "?types=a,b narrows it, Last-Event-ID resumes, ?access_token= for browsers",
                 Role::kViewer,
                 nullptr,
                 {{"type", "string"}},
                 "text/event-stream"});
    r.push_back({"GET", "/api/v1/users", "Users (never their password hashes)", Role::kAdmin, nullptr,
                 Object({{"users", {{"type", "array"}, {"items", user}}}})});
    r.push_back({"POST", "/api/v1/users", "Create a user", Role::kAdmin,
                 Object({{"username", {{"type", "string"}}},
                         {"password", {{"type", "string"}, {"minLength", 12}}},
                         {"role", {{"type", "string"}, {"enum", {"viewer", "operator", "supervisor", "admin"}}}}},
                        {"username", "password", "role"}),
                 user});
    r.push_back({"POST", "/api/v1/users/disable",
                 "Disable a user: it cannot log in, and its tokens stop working within 5 s", Role::kAdmin,
                 Object({{"username", {{"type", "string"}}}}, {"username"}),
                 Object({{"username", {{"type", "string"}}}, {"disabled", {{"type", "boolean"}}}})});
    r.push_back({"POST", "/api/v1/users/enable", "Enable a disabled user again", Role::kAdmin,
                 Object({{"username", {{"type", "string"}}}}, {"username"}),
                 Object({{"username", {{"type", "string"}}}, {"disabled", {{"type", "boolean"}}}})});
    r.push_back(
        {"POST", "/api/v1/api-keys", "Create an integration client's API key (shown once)", Role::kAdmin,
         Object({{"name", {{"type", "string"}}}, {"role", {{"type", "string"}, {"enum", {"integration"}}}}}, {"name"}),
         Object({{"name", {{"type", "string"}}}, {"role", {{"type", "string"}}}, {"key", {{"type", "string"}}}})});
    r.push_back({"GET", "/api/v1/audit", "The audit trail, newest first (?limit=, ?before= an id)", Role::kSupervisor,
                 nullptr, Object({{"entries", {{"type", "array"}, {"items", {{"type", "object"}}}}}})});
    r.push_back({"GET", "/openapi.json", "This document", std::nullopt, nullptr, {{"type", "object"}}});
    r.push_back({"GET", "/healthz", "200 when the gateway's database answers", std::nullopt, nullptr,
                 Object({{"status", {{"type", "string"}}}})});
    r.push_back({"GET",
                 "/open311/v2/services.json",
                 "Open311 GeoReport v2: service list (also .xml)",
                 std::nullopt,
                 nullptr,
                 {{"type", "array"}}});
    r.push_back({"GET",
                 "/open311/v2/services/{service_code}.json",
                 "Open311: a service definition",
                 std::nullopt,
                 nullptr,
                 {{"type", "object"}}});
    r.push_back({"POST",
                 "/open311/v2/requests.json",
                 "Open311: create a service request (form-urlencoded, api_key required)",
                 std::nullopt,
                 nullptr,
                 {{"type", "array"}}});
    r.push_back(
        {"GET", "/open311/v2/requests.json", "Open311: service requests", std::nullopt, nullptr, {{"type", "array"}}});
    r.push_back({"GET",
                 "/open311/v2/requests/{service_request_id}.json",
                 "Open311: one service request",
                 std::nullopt,
                 nullptr,
                 {{"type", "array"}}});
    return r;
  }();
  return routes;
}

json BuildOpenApi(const std::vector<ServiceRoute>& routes, const std::vector<OwnRoute>& own) {
  json components = json::object();
  components["Error"] = kError;
  json paths = json::object();
  const json error_responses = {
      {"400",
       {{"description", "Bad input (malformed JSON, wrong type, unknown field)"},
        {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}}},
      {"401", {{"description", "Missing, malformed or expired token"}}},
      {"403", {{"description", "The role may not do this"}}},
      {"404", {{"description", "Not found"}}},
      {"409", {{"description", "Conflicts with the current state"}}},
      {"429", {{"description", "Rate limit; see Retry-After"}}},
      {"503", {{"description", "The service behind is not answering"}}}};

  for (const ServiceRoute& route : routes) {
    json operation;
    operation["operationId"] = route.descriptor->service()->name() + "_" + route.descriptor->name();
    operation["summary"] = route.summary;
    operation["description"] = absl::StrCat(RoleText(route.minimum, route.integration), ". gRPC ",
                                            route.descriptor->full_name(), route.command ? ". Audited." : ".");
    operation["tags"] = {std::string(UpstreamName(route.upstream))};
    json parameters = json::array();
    if (!route.id_field.empty()) {
      parameters.push_back({{"name", "id"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    }
    const pb::Descriptor& input = *route.descriptor->input_type();
    if (route.method == "GET") {
      for (int i = 0; i < input.field_count(); ++i) {
        const pb::FieldDescriptor& field = *input.field(i);
        if (field.name() == route.id_field) continue;
        json schema = FieldSchema(field, components);
        parameters.push_back({{"name", field.json_name()},
                              {"in", "query"},
                              {"required", false},
                              {"description", field.cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE &&
                                                      field.message_type()->full_name() != "google.protobuf.Timestamp"
                                                  ? "nested fields dotted, e.g. " + field.json_name() + ".<field>"
                                                  : ""},
                              {"schema", schema}});
      }
    } else {
      operation["requestBody"] = {
          {"required", false}, {"content", {{"application/json", {{"schema", MessageSchemaRef(input, components)}}}}}};
    }
    operation["parameters"] = parameters;
    operation["security"] = route.integration ? json::array({{{"bearer", json::array()}}, {{"apiKey", json::array()}}})
                                              : json::array({{{"bearer", json::array()}}});
    json responses = error_responses;
    responses["200"] = {
        {"description", "OK"},
        {"content",
         {{"application/json", {{"schema", MessageSchemaRef(*route.descriptor->output_type(), components)}}}}}};
    operation["responses"] = responses;
    std::string lower = route.method;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    paths[route.pattern][lower] = operation;
  }

  for (const OwnRoute& route : own) {
    json operation;
    operation["summary"] = route.summary;
    operation["description"] = route.minimum ? RoleText(*route.minimum, false) : "No login needed.";
    operation["tags"] = {"gateway"};
    if (!route.request_schema.is_null()) {
      operation["requestBody"] = {{"required", true},
                                  {"content", {{"application/json", {{"schema", route.request_schema}}}}}};
    }
    json parameters = json::array();
    const size_t open = route.path.find('{');
    if (open != std::string::npos) {
      const std::string name = route.path.substr(open + 1, route.path.find('}') - open - 1);
      parameters.push_back({{"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    }
    operation["parameters"] = parameters;
    operation["security"] = route.minimum ? json::array({{{"bearer", json::array()}}}) : json::array();
    json responses = error_responses;
    responses["200"] = {{"description", "OK"},
                        {"content", {{route.response_type, {{"schema", route.response_schema}}}}}};
    operation["responses"] = responses;
    std::string lower = route.method;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    paths[route.path][lower] = operation;
  }

  return {{"openapi", "3.0.3"},
          {"info",
           {{"title", "CityOps gateway"},
            {"version", "1.0.0"},
            {"description",
             "One door to the control station: REST/JSON over the services' gRPC contracts (Protobuf JSON "
             "mapping), the live feed, Open311 GeoReport v2. Errors are {code, message}."}}},
          {"paths", paths},
          {"components",
           {{"schemas", components},
            {"securitySchemes",
             {{"bearer", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}},
              {"apiKey", {{"type", "apiKey"}, {"in", "header"}, {"name", "X-Api-Key"}}}}}}}};
}

}  // namespace cityops::gateway
