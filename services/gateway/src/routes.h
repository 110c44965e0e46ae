#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/descriptor.h>

#include "security/roles.h"
#include "upstreams.h"

// The REST routes that stand for the services' gRPC methods: one table, from
// which the gateway routes, checks roles, audits and writes its OpenAPI
// document.
namespace cityops::gateway {

struct ServiceRoute {
  std::string method;   // "GET", "POST", "DELETE"
  std::string pattern;  // "/api/v1/incidents/{id}:acknowledge"
  Upstream upstream;
  std::string rpc;  // "cityops.incidents.v1.IncidentCorrelation.AcknowledgeIncident"
  Role minimum = Role::kViewer;
  bool integration = false;  // the integration role may use it too
  // The request field {id} fills (proto names, dotted); empty without {id}.
  std::string id_field;
  // The request field set to the logged-in user, whatever the body says.
  std::string actor_field;
  // Changes something: audited. (A POST that only asks is not.)
  bool command = false;
  std::string summary;

  // The method's descriptor in the generated pool (set by ServiceRoutes()).
  const google::protobuf::MethodDescriptor* descriptor = nullptr;
  // "/cityops.incidents.v1.IncidentCorrelation/AcknowledgeIncident"
  std::string grpc_path() const;
};

// Every service route. Each rpc is found in the generated descriptors (the
// process aborts at start otherwise: a table error, caught by the unit tests).
const std::vector<ServiceRoute>& ServiceRoutes();

// Splits a path template into what the router compares.
struct PathMatch {
  const ServiceRoute* route = nullptr;
  std::string id;  // decoded {id}, when the pattern has one
};

// The route for a method and path (not percent-decoded), the most specific
// when several patterns match ("/x/{id}:assign" before "/x/{id}").
// `path_known` tells whether some route has that path with another method
// (405 rather than 404).
std::optional<PathMatch> MatchRoute(const std::vector<ServiceRoute>& routes, std::string_view method,
                                    std::string_view path, bool* path_known);

// Whether `path` fits `pattern` ("{id}" takes one non-empty segment, with the
// literal text after it in the same segment), and the decoded id.
bool MatchPattern(std::string_view pattern, std::string_view path, std::string* id);

}  // namespace cityops::gateway
