#include "routes.h"

#include <cstdlib>

#include <google/protobuf/descriptor.h>
#include <spdlog/spdlog.h>

#include "absl/strings/str_split.h"
#include "cityops/calls/v1/resident_calls.grpc.pb.h"
#include "cityops/common/http.h"
#include "cityops/dispatch/v1/crew_dispatch.grpc.pb.h"
#include "cityops/incidents/v1/crisis.grpc.pb.h"
#include "cityops/incidents/v1/incident_correlation.grpc.pb.h"
#include "cityops/lighting/v1/lighting_control.grpc.pb.h"
#include "cityops/telemetry/v1/telemetry_ingest.grpc.pb.h"

namespace cityops::gateway {

std::string ServiceRoute::grpc_path() const {
  const size_t dot = rpc.rfind('.');
  return "/" + rpc.substr(0, dot) + "/" + rpc.substr(dot + 1);
}

namespace {

ServiceRoute Query(std::string pattern, Upstream upstream, std::string rpc, std::string summary,
                   std::string id_field = "", Role minimum = Role::kViewer, bool integration = false) {
  ServiceRoute r;
  r.method = "GET";
  r.pattern = std::move(pattern);
  r.upstream = upstream;
  r.rpc = std::move(rpc);
  r.minimum = minimum;
  r.integration = integration;
  r.id_field = std::move(id_field);
  r.summary = std::move(summary);
  return r;
}

ServiceRoute Command(std::string method, std::string pattern, Upstream upstream, std::string rpc, Role minimum,
                     std::string summary, std::string id_field = "", std::string actor_field = "actor",
                     bool integration = false) {
  ServiceRoute r;
  r.method = std::move(method);
  r.pattern = std::move(pattern);
  r.upstream = upstream;
  r.rpc = std::move(rpc);
  r.minimum = minimum;
  r.integration = integration;
  r.id_field = std::move(id_field);
  r.actor_field = std::move(actor_field);
  r.command = true;
  r.summary = std::move(summary);
  return r;
}

// A POST that only asks (its question does not fit a query string).
ServiceRoute NotACommand(ServiceRoute route) {
  route.command = false;
  return route;
}

std::vector<ServiceRoute> BuildRoutes() {
  // Make sure the services' generated files are linked in and their
  // descriptors registered in the generated pool.
  (void)telemetry::v1::ListAssetsRequest::descriptor();
  (void)incidents::v1::ListIncidentsRequest::descriptor();
  (void)incidents::v1::ListCrisesRequest::descriptor();
  (void)dispatch::v1::ListCrewsRequest::descriptor();
  (void)lighting::v1::ListProfilesRequest::descriptor();
  (void)calls::v1::ListCategoriesRequest::descriptor();

  constexpr auto kT = Upstream::kTelemetry;
  constexpr auto kI = Upstream::kIncidents;
  constexpr auto kD = Upstream::kDispatch;
  constexpr auto kL = Upstream::kLighting;
  constexpr auto kC = Upstream::kCalls;
  const std::string t = "cityops.telemetry.v1.TelemetryIngest.";
  const std::string i = "cityops.incidents.v1.IncidentCorrelation.";
  // The crisis desk is served by incident correlation, on its address.
  const std::string k = "cityops.incidents.v1.CrisisDesk.";
  const std::string d = "cityops.dispatch.v1.CrewDispatch.";
  const std::string l = "cityops.lighting.v1.LightingControl.";
  const std::string c = "cityops.calls.v1.ResidentCalls.";
  std::vector<ServiceRoute> routes = {
      Query("/api/v1/assets", kT, t + "ListAssets", "Assets, by district, kind, parent or area (paged)"),
      Query("/api/v1/assets/{id}", kT, t + "GetAsset", "One asset", "id"),
      Query("/api/v1/assets/{id}/state", kT, t + "GetAssetState", "An asset's health, latest values and faults",
            "asset_id"),
      Query("/api/v1/assets/{id}/readings", kT, t + "GetReadingHistory", "An asset's readings over time", "asset_id"),

      Query("/api/v1/incidents", kI, i + "ListIncidents", "Incidents, filtered, newest first (paged)"),
      Query("/api/v1/incidents/{id}", kI, i + "GetIncident", "One incident", "id"),
      Command("POST", "/api/v1/incidents/{id}:acknowledge", kI, i + "AcknowledgeIncident", Role::kOperator,
              "Acknowledge an incident", "id"),
      Command("POST", "/api/v1/incidents/{id}:assign", kI, i + "AssignIncident", Role::kOperator,
              "Give an incident an owner", "id"),
      Command("POST", "/api/v1/incidents/{id}:resolve", kI, i + "ResolveIncident", Role::kOperator,
              "Resolve an incident", "id"),
      Command("POST", "/api/v1/incidents/{id}:reopen", kI, i + "ReopenIncident", Role::kSupervisor,
              "Reopen a resolved incident", "id"),
      Command("POST", "/api/v1/incidents/{id}/notes", kI, i + "AddNote", Role::kOperator, "Add a note to an incident",
              "id"),

      Query("/api/v1/crisis-playbooks", kI, k + "ListPlaybooks", "Crisis playbooks (snow, flood...) and what they do",
            "", Role::kOperator),
      Query("/api/v1/crises", kI, k + "ListCrises", "Crises, by status, newest first (paged)", "", Role::kOperator),
      Query("/api/v1/crises/{id}", kI, k + "GetCrisis", "One crisis with its actions and timeline", "id",
            Role::kOperator),
      Command("POST", "/api/v1/crises:propose", kI, k + "ProposeCrisis", Role::kOperator,
              "Propose a crisis (a playbook over districts) for a supervisor to declare"),
      Command("POST", "/api/v1/crises:declare", kI, k + "DeclareCrisis", Role::kSupervisor,
              "Declare a crisis: a proposal (crisisId) or a playbook over districts"),
      Command("POST", "/api/v1/crises/{id}:declare", kI, k + "DeclareCrisis", Role::kSupervisor,
              "Declare a proposed crisis (districts empty: the proposal's)", "crisis_id"),
      Command("POST", "/api/v1/crises/{id}:dismiss", kI, k + "DismissProposal", Role::kSupervisor,
              "Turn a crisis proposal down", "crisis_id"),
      Command("POST", "/api/v1/crises/{id}:change-scope", kI, k + "ChangeCrisisScope", Role::kSupervisor,
              "Change an active crisis's districts", "crisis_id"),
      Command("POST", "/api/v1/crises/{id}:end", kI, k + "EndCrisis", Role::kSupervisor,
              "End an active crisis: what it set is reverted", "crisis_id"),

      Query("/api/v1/crews", kD, d + "ListCrews", "Crews, by status and skill"),
      Query("/api/v1/crews/{id}", kD, d + "GetCrew", "One crew", "id"),
      Command("POST", "/api/v1/crews/{id}:availability", kD, d + "SetCrewAvailability", Role::kSupervisor,
              "Put a crew on or off duty", "crew_id", ""),
      Query("/api/v1/work-orders", kD, d + "ListWorkOrders", "Work orders, by status, crew or incident (paged)"),
      Query("/api/v1/work-orders/{id}", kD, d + "GetWorkOrder", "One work order", "id"),
      Command("POST", "/api/v1/work-orders/{id}:assign", kD, d + "AssignWorkOrder", Role::kOperator,
              "Assign a work order to a crew by hand", "work_order_id"),

      Query("/api/v1/lighting/profiles", kL, l + "ListProfiles", "Dimming profiles"),
      Command("POST", "/api/v1/lighting/profiles", kL, l + "CreateProfile", Role::kSupervisor,
              "Create a dimming profile"),
      Command("POST", "/api/v1/lighting/profiles/{id}", kL, l + "UpdateProfile", Role::kSupervisor,
              "Change a dimming profile", "profile.id"),
      Command("POST", "/api/v1/lighting/profiles/{id}:assign", kL, l + "AssignProfile", Role::kSupervisor,
              "Give a scope (district, cabinet...) a profile", "profile_id"),
      Query("/api/v1/lighting/exceptions", kL, l + "ListExceptions", "Calendar exceptions"),
      Command("POST", "/api/v1/lighting/exceptions", kL, l + "CreateException", Role::kSupervisor,
              "Add a calendar exception"),
      Command("DELETE", "/api/v1/lighting/exceptions/{id}", kL, l + "DeleteException", Role::kSupervisor,
              "Remove a calendar exception", "id"),
      Query("/api/v1/lighting/overrides", kL, l + "ListActiveOverrides", "Overrides in force"),
      Command("POST", "/api/v1/lighting/overrides", kL, l + "CreateOverride", Role::kOperator,
              "Override the lighting of a scope until it expires"),
      Command("POST", "/api/v1/lighting/overrides/{id}:cancel", kL, l + "CancelOverride", Role::kOperator,
              "Cancel an override", "id"),
      Query("/api/v1/lighting/level", kL, l + "GetEffectiveLevel", "The level a scope is at (or will be at a time)"),
      Query("/api/v1/lighting/energy", kL, l + "GetEnergyReport", "Energy per district and night against the baseline"),
      Query("/api/v1/lighting/audit", kL, l + "ListAudit", "Who changed the lighting", "", Role::kSupervisor),

      Query("/api/v1/calls/categories", kC, c + "ListCategories", "Categories of residents' requests", "",
            Role::kViewer, true),
      NotACommand(Command("POST", "/api/v1/calls/duplicates", kC, c + "SuggestDuplicates", Role::kOperator,
                          "Open requests near a point that may be the same (changes nothing)", "", "", true)),
      Command("POST", "/api/v1/calls/requests", kC, c + "CreateRequest", Role::kOperator,
              "Record a resident's request (or add the caller to one with linkTo)", "", "recorded_by", true),
      Query("/api/v1/calls/requests", kC, c + "ListRequests", "Residents' requests, filtered (paged)", "",
            Role::kViewer, true),
      Query("/api/v1/calls/requests/{id}", kC, c + "GetRequest", "One request with its history and notes", "id",
            Role::kViewer, true),
      Command("POST", "/api/v1/calls/requests/{id}:status", kC, c + "ChangeStatus", Role::kOperator,
              "Change a request's status", "id"),
      Command("POST", "/api/v1/calls/requests/{id}/notes", kC, c + "AddNote", Role::kOperator,
              "Add a note to a request", "id", "author"),
      Query("/api/v1/calls/statistics", kC, c + "GetStatistics", "Requests counted by category, district, day"),
  };
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (ServiceRoute& route : routes) {
    route.descriptor = pool->FindMethodByName(route.rpc);
    if (route.descriptor == nullptr) {
      spdlog::critical("gateway route {} names an unknown rpc {}", route.pattern, route.rpc);
      std::abort();
    }
  }
  return routes;
}

}  // namespace

const std::vector<ServiceRoute>& ServiceRoutes() {
  static const std::vector<ServiceRoute> routes = BuildRoutes();
  return routes;
}

bool MatchPattern(std::string_view pattern, std::string_view path, std::string* id) {
  const std::vector<std::string> want = absl::StrSplit(std::string(pattern), '/');
  const std::vector<std::string> have = absl::StrSplit(std::string(path), '/');
  if (want.size() != have.size()) return false;
  for (size_t k = 0; k < want.size(); ++k) {
    const std::string_view w = want[k];
    const std::string_view h = have[k];
    if (w.starts_with("{id}")) {
      const std::string_view suffix = w.substr(4);
      if (h.size() <= suffix.size() || !h.ends_with(suffix)) return false;
      auto decoded = common::UrlDecode(h.substr(0, h.size() - suffix.size()), false);
      if (!decoded.ok() || decoded->empty()) return false;
      if (id != nullptr) *id = *std::move(decoded);
    } else if (w != h) {
      return false;
    }
  }
  return true;
}

std::optional<PathMatch> MatchRoute(const std::vector<ServiceRoute>& routes, std::string_view method,
                                    std::string_view path, bool* path_known) {
  // One pass. A path that fits a custom method ("/incidents/{id}:acknowledge")
  // is that method's, whatever the request's method: it never stands for the
  // bare "{id}" of another route ("x:acknowledge" is not an incident's id).
  struct Best {
    std::optional<PathMatch> match;
    bool fits = false;  // the path fits one of these patterns, whatever the method
  };
  Best custom;
  Best plain;
  for (const ServiceRoute& route : routes) {
    std::string id;
    if (!MatchPattern(route.pattern, path, &id)) continue;
    Best& best = route.pattern.find("{id}:") == std::string::npos ? plain : custom;
    best.fits = true;
    if (route.method != method) continue;
    if (!best.match || route.pattern.size() > best.match->route->pattern.size()) {
      best.match = PathMatch{&route, std::move(id)};
    }
  }
  const Best& chosen = custom.fits ? custom : plain;
  if (path_known != nullptr) *path_known = chosen.fits;
  return chosen.match;
}

}  // namespace cityops::gateway
