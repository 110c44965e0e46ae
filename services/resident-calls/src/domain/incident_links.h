#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cityops/calls/v1/requests.pb.h"
#include "cityops/incidents/v1/incidents.pb.h"

// What an incident's change means for the resident requests linked to it:
// the request learns its incident; an incident acknowledged or with a crew at
// work moves the request on; a resolved incident closes it with a note the
// resident can read. Pure.
namespace cityops::calls {

// One linked request, as an incident event tells it.
struct IncidentNews {
  std::string request_id;
  std::string incident_id;
  // The incident was there before the request (the request did not open it).
  bool known_incident = false;
  incidents::v1::IncidentStatus incident_status = incidents::v1::INCIDENT_STATUS_UNSPECIFIED;
  bool crew_working = false;
};

// One entry per request linked to the event's incident. A merged incident
// sends its requests to the incident it was merged into.
std::vector<IncidentNews> NewsOf(const incidents::v1::IncidentEvent& event);

// The request's state as resident calls keeps it.
struct LinkState {
  calls::v1::RequestStatus status = calls::v1::REQUEST_STATUS_UNSPECIFIED;
  std::string incident_id;
  bool known_incident = false;
};

struct LinkChange {
  // Set when the link itself changes.
  std::optional<std::string> incident_id;
  bool known_incident = false;
  // Set when the status follows the incident; `note` is for the resident.
  std::optional<calls::v1::RequestStatus> status;
  std::string note;
};

// What to change; nullopt when nothing. A closed request is never reopened by
// an incident (the resident has had an answer); a request is never moved back.
std::optional<LinkChange> ChangeFor(const LinkState& state, const IncidentNews& news);

// The notes the resident reads.
inline constexpr const char* kNoteAcknowledged = "The control room has seen the problem you reported.";
inline constexpr const char* kNoteInProgress = "A crew is working on the problem you reported.";
inline constexpr const char* kNoteResolved =
    "The problem you reported has been fixed. Thank you for telling us; call again if it is not.";

}  // namespace cityops::calls
