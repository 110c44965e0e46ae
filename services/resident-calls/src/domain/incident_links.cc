#include "domain/incident_links.h"

namespace cityops::calls {

namespace iv1 = incidents::v1;

std::vector<IncidentNews> NewsOf(const iv1::IncidentEvent& event) {
  const iv1::Incident& incident = event.incident();
  std::vector<IncidentNews> out;
  if (incident.id().empty()) return out;
  const bool merged = incident.status() == iv1::INCIDENT_STATUS_MERGED && !incident.merged_into().empty();
  for (int i = 0; i < incident.requests_size(); ++i) {
    const iv1::LinkedRequest& linked = incident.requests(i);
    if (linked.request_id().empty()) continue;
    IncidentNews& news = out.emplace_back();
    news.request_id = linked.request_id();
    news.incident_id = merged ? incident.merged_into() : incident.id();
    // A resident-call incident was opened by its first request; any other
    // incident, or a later request, means the problem was already known.
    news.known_incident = incident.rule() != iv1::RULE_RESIDENT_CALL || i > 0 || merged;
    news.incident_status = merged ? iv1::INCIDENT_STATUS_UNSPECIFIED : incident.status();
    news.crew_working = !merged && incident.crew_working();
  }
  return out;
}

std::optional<LinkChange> ChangeFor(const LinkState& state, const IncidentNews& news) {
  LinkChange change;
  bool any = false;
  if (state.incident_id != news.incident_id) {
    change.incident_id = news.incident_id;
    change.known_incident = news.known_incident || state.known_incident;
    any = true;
  }
  using calls::v1::RequestStatus;
  const RequestStatus s = state.status;
  if (s != calls::v1::REQUEST_STATUS_CLOSED) {
    if (news.incident_status == iv1::INCIDENT_STATUS_RESOLVED) {
      change.status = calls::v1::REQUEST_STATUS_CLOSED;
      change.note = kNoteResolved;
    } else if (news.crew_working && s != calls::v1::REQUEST_STATUS_IN_PROGRESS) {
      change.status = calls::v1::REQUEST_STATUS_IN_PROGRESS;
      change.note = kNoteInProgress;
    } else if (news.incident_status == iv1::INCIDENT_STATUS_ACKNOWLEDGED && s == calls::v1::REQUEST_STATUS_OPEN) {
      change.status = calls::v1::REQUEST_STATUS_ACKNOWLEDGED;
      change.note = kNoteAcknowledged;
    }
    any = any || change.status.has_value();
  }
  if (!any) return std::nullopt;
  if (!change.incident_id) change.known_incident = state.known_incident;
  return change;
}

}  // namespace cityops::calls
