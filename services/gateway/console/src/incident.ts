// The selected incident: details (symptoms, linked requests, notes, history)
// and the operator's commands (acknowledge, assign an owner, note, resolve).
import { Get, Post, Segment } from './api';
import { Append, ById, Clear, h, Toast } from './dom';
import { DateTime, Distance, EnumLabel, PriorityColour, Time } from './format';
import { PutIncident, SelectCrisis, state, Subscribe } from './store';
import { CentreOn } from './map';
import type { Incident } from './types';

// Symptoms listed at most (a cabinet has tens of light points, a site more).
const kMaxRows = 200;

let root: HTMLElement;
let info: HTMLElement;
let actions: HTMLElement;
let shownId: string | null = null;
let shownIncident: Incident | null = null;
let ackButton: HTMLButtonElement;
let resolveButton: HTMLButtonElement;
let ownerButton: HTMLButtonElement;
let noteButton: HTMLButtonElement;

function Field(label: string, value: Node | string | undefined | null, testid?: string): HTMLElement[] {
  return [h('dt', { text: label }), h('dd', { 'data-testid': testid }, value ?? '—')];
}

function Table(headers: string[], rows: Array<Array<Node | string>>, testid: string): HTMLElement {
  if (!rows.length) return h('p', { class: 'muted', 'data-testid': testid, text: 'none' });
  return h(
    'table',
    { class: 'grid', 'data-testid': testid },
    h('thead', {}, h('tr', {}, ...headers.map((t) => h('th', { text: t })))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
  );
}

function History(incident: Incident): Array<[string, string, string]> {
  const entries: Array<[string, string, string]> = [];
  if (incident.openedAt) entries.push([incident.openedAt, 'opened', EnumLabel(incident.rule, 'RULE_').toLowerCase()]);
  if (incident.acknowledgedAt) entries.push([incident.acknowledgedAt, 'acknowledged', incident.acknowledgedBy ?? '']);
  for (const n of incident.notes ?? []) entries.push([n.at ?? '', 'note', `${n.author ?? ''}: ${n.text ?? ''}`]);
  for (const e of state.incidentLog.get(incident.id) ?? []) {
    if (['INCIDENT_CHANGE_OPENED', 'INCIDENT_CHANGE_ACKNOWLEDGED', 'INCIDENT_CHANGE_NOTE_ADDED'].includes(e.change)) continue;
    entries.push([e.at, EnumLabel(e.change, 'INCIDENT_CHANGE_').toLowerCase(), e.actor]);
  }
  if (incident.resolvedAt) entries.push([incident.resolvedAt, 'resolved', `${incident.resolvedBy ?? ''} ${incident.resolution ?? ''}`]);
  return entries.sort((a, b) => a[0].localeCompare(b[0]));
}

// The crisis it is grouped under (or leads, for the crisis incident), opening the crisis panel.
function CrisisLink(incident: Incident): HTMLElement {
  const id = incident.crisisId ?? '';
  const link = h('a', { href: `#crisis/${encodeURIComponent(id)}`, 'data-crisis-id': id }, id);
  link.addEventListener('click', (e) => {
    e.preventDefault();
    SelectCrisis(id);
  });
  const raised =
    incident.priorityBeforeCrisis && incident.priorityBeforeCrisis !== 'PRIORITY_UNSPECIFIED'
      ? ` · priority raised from ${EnumLabel(incident.priorityBeforeCrisis, 'PRIORITY_').toLowerCase()}`
      : '';
  return h('span', {}, incident.rule === 'RULE_CRISIS' ? 'crisis incident of ' : '', link, raised);
}

function RenderInfo(incident: Incident): void {
  Clear(info);
  const district = incident.district ? `${incident.district} · ${state.districtNames.get(incident.district) ?? ''}` : '—';
  const status = h('span', {
    class: `status ${incident.status ?? ''}`,
    'data-testid': 'incident-status',
    'data-status': incident.status ?? '',
    text: EnumLabel(incident.status, 'INCIDENT_STATUS_'),
  });
  Append(
    info,
    h(
      'div',
      { class: 'incident-head' },
      h('span', { class: 'prio big', style: `background:${PriorityColour(incident.priority)}`, text: EnumLabel(incident.priority, 'PRIORITY_') }),
      h('h2', { text: incident.title || incident.id }),
    ),
    incident.explanation ? h('p', { class: 'explanation', text: incident.explanation }) : null,
    h(
      'dl',
      { class: 'fields' },
      ...Field('Status', status),
      ...Field('Id', incident.id, 'incident-id'),
      ...Field('District', district),
      ...Field('Asset', incident.assetId ? `${incident.assetId} (${EnumLabel(incident.assetKind, 'ASSET_KIND_')})` : incident.category),
      ...Field('Fault', EnumLabel(incident.faultType, 'FAULT_TYPE_')),
      ...Field('Skill', incident.requiredSkill),
      ...Field('Opened', DateTime(incident.openedAt)),
      ...Field('Occurrences', String(incident.occurrences ?? 0)),
      ...Field('Acknowledged', incident.acknowledgedBy ? `${incident.acknowledgedBy} at ${Time(incident.acknowledgedAt)}` : '—'),
      ...Field('Owner', incident.owner || '—', 'incident-owner'),
      ...Field('Crew working', incident.crewWorking ? 'yes' : 'no'),
      ...(incident.flapping ? Field('Flapping', `reopened ${incident.reopenCount ?? 0} times`) : []),
      ...(incident.crisisId ? Field('Crisis', CrisisLink(incident), 'incident-crisis') : []),
    ),
    h('h3', { text: `Symptoms (${incident.symptoms?.length ?? 0})` }),
    Table(
      ['asset', 'kind', 'fault', 'state', 'count', 'last seen'],
      (incident.symptoms ?? []).slice(0, kMaxRows).map((s) => [
        s.assetId ?? '',
        EnumLabel(s.assetKind, 'ASSET_KIND_'),
        EnumLabel(s.faultType, 'FAULT_TYPE_'),
        s.active ? 'active' : 'recovered',
        String(s.count ?? 0),
        Time(s.lastSeen),
      ]),
      'incident-symptoms',
    ),
    (incident.symptoms?.length ?? 0) > kMaxRows ? h('p', { class: 'muted', text: `… and ${(incident.symptoms?.length ?? 0) - kMaxRows} more` }) : null,
    h('h3', { text: `Linked requests (${incident.requests?.length ?? 0})` }),
    Table(
      ['request', 'category', 'distance', 'linked'],
      (incident.requests ?? []).map((r) => [r.requestId ?? '', r.category ?? '', Distance(r.distanceM ?? 0), Time(r.linkedAt)]),
      'incident-requests',
    ),
    h('h3', { text: 'Notes' }),
    Table(['at', 'author', 'note'], (incident.notes ?? []).map((n) => [Time(n.at), n.author ?? '', n.text ?? '']), 'incident-notes'),
    h('h3', { text: 'History' }),
    Table(['at', 'what', 'who / detail'], History(incident).map(([at, what, who]) => [DateTime(at), what, who]), 'incident-history'),
  );
  const open = incident.status === 'INCIDENT_STATUS_OPEN';
  const live = open || incident.status === 'INCIDENT_STATUS_ACKNOWLEDGED';
  ackButton.disabled = !open;
  resolveButton.disabled = !live;
  ownerButton.disabled = !live;
  noteButton.disabled = !live;
}

async function Command(button: HTMLButtonElement, path: string, body: unknown, done: string): Promise<boolean> {
  button.disabled = true;
  try {
    PutIncident(await Post<Incident>(path, body));
    Toast(done, 'info');
    return true;
  } catch (error) {
    Toast(`${done.replace(/\.$/, '')} failed: ${(error as Error).message}`);
    return false;
  } finally {
    const incident = state.incidents.get(shownId ?? '');
    if (incident) RenderInfo(incident);
  }
}

function BuildActions(id: string): void {
  Clear(actions);
  const path = `/api/v1/incidents/${Segment(id)}`;
  ackButton = h('button', { type: 'button', class: 'primary', 'data-testid': 'acknowledge' }, 'Acknowledge');
  ackButton.addEventListener('click', () => void Command(ackButton, `${path}:acknowledge`, {}, 'Acknowledged.'));

  const owner = h('input', { placeholder: 'owner (person or team)', 'data-testid': 'owner-input', 'aria-label': 'Owner' });
  ownerButton = h('button', { type: 'button', 'data-testid': 'assign-owner' }, 'Assign owner');
  ownerButton.addEventListener('click', async () => {
    if (!owner.value.trim()) return Toast('Give the owner first.');
    if (await Command(ownerButton, `${path}:assign`, { owner: owner.value.trim() }, 'Owner assigned.')) owner.value = '';
  });

  const note = h('input', { placeholder: 'note', 'data-testid': 'note-input', 'aria-label': 'Note' });
  noteButton = h('button', { type: 'button', 'data-testid': 'add-note' }, 'Add note');
  noteButton.addEventListener('click', async () => {
    if (!note.value.trim()) return Toast('Write the note first.');
    if (await Command(noteButton, `${path}/notes`, { text: note.value.trim() }, 'Note added.')) note.value = '';
  });

  const resolution = h('input', { placeholder: 'resolution note', 'data-testid': 'resolve-note', 'aria-label': 'Resolution' });
  resolveButton = h('button', { type: 'button', class: 'danger', 'data-testid': 'resolve' }, 'Resolve');
  resolveButton.addEventListener('click', async () => {
    if (!resolution.value.trim()) return Toast('Say how it was resolved.');
    if (await Command(resolveButton, `${path}:resolve`, { note: resolution.value.trim() }, 'Resolved.')) resolution.value = '';
  });

  const locate = h('button', { type: 'button', class: 'ghost' }, 'Show on map');
  locate.addEventListener('click', () => CentreOn(state.incidents.get(id)?.location));

  actions.append(
    h('div', { class: 'actions-row' }, ackButton, locate),
    h('div', { class: 'actions-row' }, owner, ownerButton),
    h('div', { class: 'actions-row' }, note, noteButton),
    h('div', { class: 'actions-row' }, resolution, resolveButton),
  );
}

function Render(): void {
  const id = state.selectedIncidentId;
  const incident = id ? state.incidents.get(id) : undefined;
  if (!id || !incident) {
    shownId = null;
    shownIncident = null;
    Clear(actions);
    Clear(info);
    info.append(h('p', { class: 'muted', text: 'Select an incident in the queue or on the map.' }));
    return;
  }
  if (shownId !== id) {
    shownId = id;
    BuildActions(id);
  } else if (shownIncident === incident) {
    return; // another incident changed
  }
  shownIncident = incident;
  RenderInfo(incident);
}

async function Refresh(): Promise<void> {
  const id = state.selectedIncidentId;
  if (!id) return;
  try {
    PutIncident(await Get<Incident>(`/api/v1/incidents/${Segment(id)}`));
  } catch (error) {
    Toast(`Incident ${id}: ${(error as Error).message}`);
  }
}

export function StartIncidentPanel(): void {
  root = ById('panel-incident');
  Clear(root);
  info = h('div', { class: 'incident-info' });
  actions = h('div', { class: 'actions' });
  root.append(actions, info);
  Subscribe('selection', () => {
    Render();
    void Refresh();
  });
  Subscribe('incidents', Render);
  Render();
}
