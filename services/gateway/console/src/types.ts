// The JSON shapes the gateway answers: the Protobuf JSON mapping of the
// messages under proto/cityops/*/v1 (lowerCamelCase, enums by name,
// timestamps RFC 3339). Only the fields the console reads; proto3 omits
// default values, so every field may be missing.

export interface GeoPoint {
  lat?: number;
  lon?: number;
}

export type Priority = 'PRIORITY_UNSPECIFIED' | 'PRIORITY_LOW' | 'PRIORITY_NORMAL' | 'PRIORITY_HIGH' | 'PRIORITY_CRITICAL';

export type IncidentStatus =
  | 'INCIDENT_STATUS_UNSPECIFIED'
  | 'INCIDENT_STATUS_OPEN'
  | 'INCIDENT_STATUS_ACKNOWLEDGED'
  | 'INCIDENT_STATUS_RESOLVED'
  | 'INCIDENT_STATUS_MERGED';

export interface Asset {
  id: string;
  kind?: string;
  district?: number;
  location?: GeoPoint;
  parentId?: string;
  retired?: boolean;
}

export interface ListAssetsResponse {
  assets?: Asset[];
  nextPageToken?: string;
}

export interface Symptom {
  assetId?: string;
  assetKind?: string;
  faultType?: string;
  location?: GeoPoint;
  active?: boolean;
  firstSeen?: string;
  lastSeen?: string;
  count?: number;
  recoveredAt?: string;
}

export interface LinkedRequest {
  requestId?: string;
  category?: string;
  location?: GeoPoint;
  linkedAt?: string;
  distanceM?: number;
}

export interface Note {
  author?: string;
  text?: string;
  at?: string;
}

export interface Incident {
  id: string;
  status?: IncidentStatus;
  priority?: Priority;
  requiredSkill?: string;
  rule?: string;
  title?: string;
  explanation?: string;
  assetId?: string;
  assetKind?: string;
  faultType?: string;
  category?: string;
  district?: number;
  location?: GeoPoint;
  symptoms?: Symptom[];
  requests?: LinkedRequest[];
  occurrences?: number;
  openedAt?: string;
  lastSeenAt?: string;
  updatedAt?: string;
  acknowledgedBy?: string;
  acknowledgedAt?: string;
  owner?: string;
  notes?: Note[];
  resolvedBy?: string;
  resolvedAt?: string;
  resolution?: string;
  mergedInto?: string;
  crewWorking?: boolean;
  reopenCount?: number;
  flapping?: boolean;
  version?: string | number;
  parentId?: string;
  // The crisis it is grouped under (crisis.proto), and the priority it had before the crisis raised it.
  crisisId?: string;
  priorityBeforeCrisis?: Priority;
}

export interface ListIncidentsResponse {
  incidents?: Incident[];
  nextPageToken?: string;
}

export interface EventMeta {
  eventId?: string;
  occurredAt?: string;
  producer?: string;
}

export interface IncidentEvent {
  meta?: EventMeta;
  change?: string;
  incident?: Incident;
  actor?: string;
}

export type CrewStatus =
  | 'CREW_STATUS_UNSPECIFIED'
  | 'CREW_STATUS_OFF_DUTY'
  | 'CREW_STATUS_AVAILABLE'
  | 'CREW_STATUS_EN_ROUTE'
  | 'CREW_STATUS_ON_SITE';

export interface Crew {
  id: string;
  name?: string;
  skills?: string[];
  vehicleId?: string;
  homeBase?: GeoPoint;
  status?: CrewStatus;
  position?: GeoPoint;
  positionAt?: string;
  workOrderId?: string;
  onShift?: boolean;
}

export interface ListCrewsResponse {
  crews?: Crew[];
}

export interface CrewEvent {
  meta?: EventMeta;
  crew?: Crew;
}

export interface WorkOrder {
  id: string;
  incidentId?: string;
  skill?: string;
  priority?: Priority;
  location?: GeoPoint;
  district?: number;
  title?: string;
  status?: string;
  crewId?: string;
  etaS?: number;
  createdAt?: string;
  assignedAt?: string;
  acceptedAt?: string;
  arrivedAt?: string;
  completedAt?: string;
  arriveBy?: string;
  targetBreached?: boolean;
  declinedBy?: string[];
  manual?: boolean;
  assignedBy?: string;
}

export interface ListWorkOrdersResponse {
  workOrders?: WorkOrder[];
  nextPageToken?: string;
}

export interface AssignmentEvent {
  meta?: EventMeta;
  change?: string;
  workOrder?: WorkOrder;
  crewId?: string;
  actor?: string;
}

export interface Scope {
  kind?: string;
  id?: string;
  district?: number;
}

export interface Override {
  id: string;
  scope?: Scope;
  level?: number;
  reason?: string;
  start?: string;
  expiry?: string;
  source?: string;
  createdBy?: string;
}

export interface ProfileStep {
  anchor?: string;
  offsetMin?: number;
  level?: number;
}

export interface DimmingProfile {
  id: string;
  name?: string;
  steps?: ProfileStep[];
  assignedTo?: Scope[];
}

export interface DistrictEnergy {
  district?: number;
  date?: string;
  measuredWh?: number;
  estimatedWh?: number;
  baselineWh?: number;
  savedPct?: number;
  lightPoints?: number;
}

export interface LightingCommand {
  meta?: EventMeta;
  cabinetId?: string;
  district?: number;
  cabinetLevel?: number;
  pointCount?: number;
}

export interface Category {
  code: string;
  name?: string;
  description?: string;
  group?: string;
  targetHours?: number;
}

export interface ResidentRequest {
  id: string;
  category?: string;
  description?: string;
  location?: GeoPoint;
  address?: string;
  district?: number;
  channel?: string;
  status?: string;
  createdAt?: string;
  updatedAt?: string;
  incidentId?: string;
  recordedBy?: string;
  callers?: number;
}

export interface RequestEvent {
  meta?: EventMeta;
  change?: string;
  request?: ResidentRequest;
}

export interface DuplicateCandidate {
  request?: ResidentRequest;
  distanceM?: number;
  sameCategory?: boolean;
}

export interface RequestDetail {
  request?: ResidentRequest;
  callers?: number;
}

export interface CreateRequestResponse {
  request?: RequestDetail;
  created?: boolean;
}

export interface Summary {
  openIncidentsByPriority?: Record<string, number> | null;
  medianTimeToAssignmentSecondsToday?: number | null;
  energySavedRatioThisWeek?: number | null;
  callsToday?: number | null;
  at?: string;
  unavailable?: string[];
}

export interface LoginResponse {
  token: string;
  expiresAt?: string;
  user?: { username?: string; role?: string };
}

export interface DistrictFeature {
  type: 'Feature';
  properties?: { district?: number; id?: number; name?: string };
  geometry: unknown;
}

export interface DistrictCollection {
  type: 'FeatureCollection';
  features: DistrictFeature[];
}

// Crisis mode (proto/cityops/incidents/v1/crisis.proto).
export type CrisisStatus =
  | 'CRISIS_STATUS_UNSPECIFIED'
  | 'CRISIS_STATUS_PROPOSED'
  | 'CRISIS_STATUS_ACTIVE'
  | 'CRISIS_STATUS_ENDED'
  | 'CRISIS_STATUS_DISMISSED';

export type CrisisActionState =
  | 'CRISIS_ACTION_STATE_UNSPECIFIED'
  | 'CRISIS_ACTION_STATE_PENDING'
  | 'CRISIS_ACTION_STATE_APPLIED'
  | 'CRISIS_ACTION_STATE_REVERTING'
  | 'CRISIS_ACTION_STATE_REVERTED'
  | 'CRISIS_ACTION_STATE_SKIPPED';

export interface CrisisAction {
  id: string;
  kind?: string;
  description?: string;
  district?: number;
  state?: CrisisActionState;
  target?: string;
  detail?: string;
  updatedAt?: string;
  level?: number;
  skill?: string;
}

export interface CrisisTimelineEntry {
  at?: string;
  kind?: string;
  text?: string;
  actor?: string;
  incidentId?: string;
  actionId?: string;
}

export interface Crisis {
  id: string;
  playbook?: string;
  title?: string;
  status?: CrisisStatus;
  districts?: number[];
  reason?: string;
  proposedBy?: string;
  proposedAt?: string;
  declaredBy?: string;
  declaredAt?: string;
  endedBy?: string;
  endedAt?: string;
  endNote?: string;
  incidentId?: string;
  actions?: CrisisAction[];
  timeline?: CrisisTimelineEntry[];
  groupedIncidents?: number;
  version?: string | number;
  updatedAt?: string;
}

export interface Playbook {
  id: string;
  name?: string;
  description?: string;
  trigger?: string;
  actions?: string[];
}

export interface ListCrisesResponse {
  crises?: Crisis[];
  nextPageToken?: string;
}

export interface CrisisEvent {
  meta?: EventMeta;
  change?: string;
  crisis?: Crisis;
  actor?: string;
}
