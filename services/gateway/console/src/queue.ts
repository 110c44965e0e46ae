// The incident queue: open incidents by priority, then age (oldest first),
// filtered by priority and district; a click selects one.
import { ById, Clear, h } from './dom';
import { Age, EnumLabel, PriorityColour, PriorityRank } from './format';
import { OpenIncidents, Select, state, Subscribe } from './store';
import type { Incident } from './types';

let priorityFilter = '';
let districtFilter = 0;
let list: HTMLElement;
let countLabel: HTMLElement;
let districtSelect: HTMLSelectElement;

function Sorted(incidents: Incident[]): Incident[] {
  return incidents.sort((a, b) => {
    const byPriority = PriorityRank(b.priority) - PriorityRank(a.priority);
    if (byPriority) return byPriority;
    const ta = Date.parse(a.openedAt ?? '') || 0;
    const tb = Date.parse(b.openedAt ?? '') || 0;
    return ta - tb || a.id.localeCompare(b.id);
  });
}

function Row(incident: Incident): HTMLElement {
  const selected = incident.id === state.selectedIncidentId;
  const district = incident.district ? state.districtNames.get(incident.district) ?? `D${incident.district}` : '—';
  const acknowledged = incident.status === 'INCIDENT_STATUS_ACKNOWLEDGED';
  const crisisIncident = incident.rule === 'RULE_CRISIS';
  const row = h(
    'li',
    {
      class: `qrow ${selected ? 'selected' : ''} ${acknowledged ? 'acked' : ''} ${crisisIncident ? 'crisis-incident' : ''}`,
      'data-crisis-id': incident.crisisId || undefined,
      'data-rule': incident.rule ?? '',
      'data-testid': 'incident-row',
      'data-incident-id': incident.id,
      'data-priority': incident.priority ?? '',
      'data-status': incident.status ?? '',
      'data-asset-kind': incident.assetKind ?? '',
      tabindex: 0,
      title: incident.explanation ?? '',
    },
    h('span', { class: 'prio', style: `background:${PriorityColour(incident.priority)}`, text: EnumLabel(incident.priority, 'PRIORITY_').slice(0, 4) }),
    h(
      'span',
      { class: 'qmain' },
      h('span', { class: 'qtitle', text: incident.title || incident.category || incident.id }),
      h(
        'span',
        { class: 'qmeta' },
        h('span', { text: district }),
        h('span', { class: 'qstatus', text: acknowledged ? `ACK ${incident.acknowledgedBy ?? ''}` : 'OPEN' }),
        incident.owner ? h('span', { text: `→ ${incident.owner}` }) : null,
        crisisIncident ? h('span', { class: 'badge crisis', 'data-testid': 'crisis-incident-tag', text: 'CRISIS INCIDENT' }) : null,
        incident.crisisId && !crisisIncident
          ? h('span', { class: 'badge crisis', 'data-testid': 'crisis-tag', title: `Grouped under crisis ${incident.crisisId}`, text: `crisis ${incident.crisisId}` })
          : null,
        incident.priorityBeforeCrisis && incident.priorityBeforeCrisis !== 'PRIORITY_UNSPECIFIED'
          ? h('span', { class: 'badge', title: `Raised by the crisis from ${EnumLabel(incident.priorityBeforeCrisis, 'PRIORITY_').toLowerCase()}`, text: '▲ crisis' })
          : null,
        incident.crewWorking ? h('span', { class: 'badge', text: 'crew' }) : null,
        (incident.requests?.length ?? 0) > 0 ? h('span', { class: 'badge', text: `${incident.requests?.length} calls` }) : null,
      ),
    ),
    h('span', { class: 'qage', 'data-opened': incident.openedAt ?? '', text: Age(incident.openedAt) }),
  );
  row.addEventListener('click', () => Select(incident.id));
  row.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      Select(incident.id);
    }
  });
  return row;
}

// Rows are kept while what they show is unchanged, so that a burst of events
// does not replace the row under the operator's pointer.
const rows = new Map<string, { key: string; el: HTMLElement }>();

function RowKey(incident: Incident): string {
  return [
    incident.id === state.selectedIncidentId,
    incident.status,
    incident.priority,
    incident.title,
    incident.category,
    incident.district,
    incident.acknowledgedBy,
    incident.owner,
    incident.crewWorking,
    incident.requests?.length ?? 0,
    incident.openedAt,
    incident.explanation,
    incident.assetKind,
    incident.rule,
    incident.crisisId,
    incident.priorityBeforeCrisis,
    state.districtNames.size,
  ].join('|');
}

function Render(): void {
  const all = OpenIncidents();
  const shown = Sorted(
    all.filter(
      (i) =>
        (!priorityFilter || i.priority === priorityFilter) && (!districtFilter || i.district === districtFilter),
    ),
  );
  const wanted: HTMLElement[] = [];
  const ids = new Set<string>();
  for (const incident of shown) {
    const key = RowKey(incident);
    let row = rows.get(incident.id);
    if (!row || row.key !== key) {
      row = { key, el: Row(incident) };
      rows.set(incident.id, row);
    }
    ids.add(incident.id);
    wanted.push(row.el);
  }
  for (const id of [...rows.keys()]) if (!ids.has(id)) rows.delete(id);
  if (!shown.length) wanted.push(h('li', { class: 'empty', text: all.length ? 'No incident matches the filter' : 'No open incident' }));
  // Only touch the list where it differs.
  const current = [...list.children];
  if (current.length !== wanted.length || current.some((el, i) => el !== wanted[i])) {
    const scroll = list.scrollTop;
    list.replaceChildren(...wanted);
    list.scrollTop = scroll;
  }
  countLabel.textContent = shown.length === all.length ? `${all.length}` : `${shown.length} / ${all.length}`;
  list.dataset.count = String(shown.length);
}

function FillDistricts(): void {
  const current = districtSelect.value;
  Clear(districtSelect);
  districtSelect.append(h('option', { value: '0', text: 'All districts' }));
  for (const [n, name] of [...state.districtNames.entries()].sort((a, b) => a[0] - b[0])) {
    districtSelect.append(h('option', { value: String(n), text: `${n} · ${name}` }));
  }
  districtSelect.value = current || '0';
}

export function StartQueue(): void {
  const root = ById('queue');
  Clear(root);
  const prioritySelect = h(
    'select',
    { 'data-testid': 'queue-filter-priority', 'aria-label': 'Priority' },
    h('option', { value: '', text: 'All priorities' }),
    h('option', { value: 'PRIORITY_CRITICAL', text: 'Critical' }),
    h('option', { value: 'PRIORITY_HIGH', text: 'High' }),
    h('option', { value: 'PRIORITY_NORMAL', text: 'Normal' }),
    h('option', { value: 'PRIORITY_LOW', text: 'Low' }),
  );
  prioritySelect.value = priorityFilter;
  districtSelect = h('select', { 'data-testid': 'queue-filter-district', 'aria-label': 'District' });
  prioritySelect.addEventListener('change', () => {
    priorityFilter = prioritySelect.value;
    Render();
  });
  districtSelect.addEventListener('change', () => {
    districtFilter = Number(districtSelect.value);
    Render();
  });
  countLabel = h('span', { class: 'count', 'data-testid': 'queue-count', text: '…' });
  list = h('ul', { class: 'qlist', 'data-testid': 'incident-list', 'data-ready': 'false' });
  root.append(h('div', { class: 'panel-head' }, h('h2', {}, 'Incidents ', countLabel)), h('div', { class: 'filters' }, prioritySelect, districtSelect), list);
  FillDistricts();
  Subscribe('incidents', Render);
  Subscribe('selection', Render);
  Subscribe('districts', () => {
    FillDistricts();
    Render();
  });
  Render();
  // Ages move on without events.
  window.setInterval(() => {
    for (const el of list.querySelectorAll<HTMLElement>('.qage')) el.textContent = Age(el.dataset.opened);
  }, 10_000);
}

export function QueueLoaded(): void {
  list.dataset.ready = 'true';
}
