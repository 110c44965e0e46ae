// The console's state: what REST loaded and the live feed keeps current.
// Modules read it and subscribe to the topics they draw.
import type { Asset, Crew, Crisis, DistrictCollection, Incident } from './types';

export type Topic =
  | 'incidents'
  | 'crews'
  | 'assets'
  | 'districts'
  | 'selection'
  | 'figures'
  | 'calls'
  | 'lighting'
  | 'crises'
  | 'crisisSelection';

type Listener = () => void;

const listeners = new Map<Topic, Set<Listener>>();

export function Subscribe(topic: Topic, listener: Listener): void {
  let set = listeners.get(topic);
  if (!set) listeners.set(topic, (set = new Set()));
  set.add(listener);
}

// Listeners run once per animation frame at most, however many changes came.
const pending = new Set<Topic>();
let scheduled = false;

export function Notify(topic: Topic): void {
  pending.add(topic);
  if (scheduled) return;
  scheduled = true;
  const flush = () => {
    scheduled = false;
    const topics = [...pending];
    pending.clear();
    for (const t of topics) for (const l of listeners.get(t) ?? []) l();
  };
  // rAF stops in a hidden tab; a timer keeps a background wall screen current.
  if (document.visibilityState === 'visible') requestAnimationFrame(flush);
  else setTimeout(flush, 50);
}

export const state = {
  incidents: new Map<string, Incident>(),
  crews: new Map<string, Crew>(),
  assets: new Map<string, Asset>(),
  assetsComplete: false,
  districts: null as DistrictCollection | null,
  districtNames: new Map<number, string>(),
  selectedIncidentId: null as string | null,
  // Live changes seen for each incident this session (its history).
  incidentLog: new Map<string, Array<{ at: string; change: string; actor: string }>>(),
  // Crises by id: the proposed and active ones, and any the operator opened.
  crises: new Map<string, Crisis>(),
  selectedCrisisId: null as string | null,
};

export function IsOpen(incident: Incident): boolean {
  return incident.status === 'INCIDENT_STATUS_OPEN' || incident.status === 'INCIDENT_STATUS_ACKNOWLEDGED';
}

function VersionOf(incident: Incident): number {
  return Number(incident.version ?? 0);
}

// Keeps the newest copy of an incident (events may arrive after a REST answer).
export function PutIncident(incident: Incident): void {
  const known = state.incidents.get(incident.id);
  if (known && VersionOf(known) > VersionOf(incident)) return;
  if (IsOpen(incident)) {
    state.incidents.set(incident.id, incident);
  } else {
    state.incidents.delete(incident.id);
    if (state.selectedIncidentId === incident.id) {
      // Keep it shown (resolved) until the operator picks another.
      state.incidents.set(incident.id, incident);
    }
  }
  Notify('incidents');
}

export function PutCrew(crew: Crew): void {
  state.crews.set(crew.id, { ...state.crews.get(crew.id), ...crew });
  Notify('crews');
}

export function Select(id: string | null): void {
  if (state.selectedIncidentId === id) return;
  const previous = state.selectedIncidentId;
  state.selectedIncidentId = id;
  if (previous) {
    const old = state.incidents.get(previous);
    if (old && !IsOpen(old)) state.incidents.delete(previous);
  }
  Notify('selection');
  Notify('incidents');
}

// Asset ids that are the subject or a symptom of an open incident.
export function FaultyAssetIds(): Set<string> {
  const ids = new Set<string>();
  for (const incident of state.incidents.values()) {
    if (!IsOpen(incident)) continue;
    if (incident.assetId) ids.add(incident.assetId);
    for (const s of incident.symptoms ?? []) if (s.assetId) ids.add(s.assetId);
  }
  return ids;
}

export function OpenIncidents(): Incident[] {
  return [...state.incidents.values()].filter(IsOpen);
}

// ---- crises -----------------------------------------------------------------

export function IsCrisisLive(crisis: Crisis): boolean {
  return crisis.status === 'CRISIS_STATUS_ACTIVE' || crisis.status === 'CRISIS_STATUS_PROPOSED';
}

// Keeps the newest copy of a crisis; ended or dismissed ones stay only while shown.
export function PutCrisis(crisis: Crisis): void {
  const known = state.crises.get(crisis.id);
  if (known && Number(known.version ?? 0) > Number(crisis.version ?? 0)) return;
  if (IsCrisisLive(crisis) || state.selectedCrisisId === crisis.id) state.crises.set(crisis.id, crisis);
  else state.crises.delete(crisis.id);
  Notify('crises');
}

// Replaces the crises held by what a full load found (the shown one is kept).
export function SetCrises(crises: Crisis[]): void {
  const keep = state.selectedCrisisId ? state.crises.get(state.selectedCrisisId) : undefined;
  state.crises.clear();
  if (keep) state.crises.set(keep.id, keep);
  for (const crisis of crises) PutCrisis(crisis);
  Notify('crises');
}

export function SelectCrisis(id: string | null): void {
  state.selectedCrisisId = id;
  Notify('crisisSelection');
  Notify('crises');
}

export function CrisesWithStatus(status: Crisis['status']): Crisis[] {
  return [...state.crises.values()]
    .filter((c) => c.status === status)
    .sort((a, b) => (a.proposedAt ?? '').localeCompare(b.proposedAt ?? '') || a.id.localeCompare(b.id));
}

// District -> how a live crisis touches it ('active' wins over 'proposed').
export function CrisisDistricts(): Map<number, 'active' | 'proposed'> {
  const out = new Map<number, 'active' | 'proposed'>();
  for (const crisis of state.crises.values()) {
    const kind = crisis.status === 'CRISIS_STATUS_ACTIVE' ? 'active' : crisis.status === 'CRISIS_STATUS_PROPOSED' ? 'proposed' : null;
    if (!kind) continue;
    for (const d of crisis.districts ?? []) if (kind === 'active' || !out.has(d)) out.set(d, kind);
  }
  return out;
}
