#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "routes.h"
#include "security/roles.h"

// The OpenAPI 3 description of every route the gateway serves: the service
// routes (schemas from the messages' descriptors) and its own.
namespace cityops::gateway {

// A route the gateway answers itself.
struct OwnRoute {
  std::string method;
  std::string path;
  std::string summary;
  // Empty: no login needed.
  std::optional<Role> minimum;
  nlohmann::json request_schema;   // null: no body
  nlohmann::json response_schema;  // of the 200 answer
  std::string response_type = "application/json";
};
const std::vector<OwnRoute>& OwnRoutes();

// The JSON Schema of a message (and, in `components`, of every message it
// uses), following the Protobuf JSON mapping.
nlohmann::json MessageSchemaRef(const google::protobuf::Descriptor& descriptor, nlohmann::json& components);

// The whole document.
nlohmann::json BuildOpenApi(const std::vector<ServiceRoute>& routes, const std::vector<OwnRoute>& own);

}  // namespace cityops::gateway
