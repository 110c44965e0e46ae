// The crisis panel: the shown crisis (the banner's link, or picked here) with
// its playbook's actions and their state, its timeline (oldest first) and the
// incidents grouped under it; supervisors change its scope, end it, declare
// or dismiss a proposal, and declare a playbook by hand over districts
// (operators may propose one).
import { Append, ById, Clear, h, Toast } from './dom';
import { DateTime, EnumLabel, Time } from './format';
import {
  ChangeCrisisScope,
  DeclarePlaybook,
  DeclareProposal,
  DismissProposal,
  EndCrisis,
  FetchCrisis,
  LoadPlaybooks,
  ParseDistricts,
  PlaybookName,
  Playbooks,
  ProposeCrisis,
  RecentCrises,
} from './crises';
import { ConfirmingButton, DistrictList } from './crisis_banner';
import { IsOperator, IsSupervisor } from './session';
import { Select, SelectCrisis, state, Subscribe } from './store';
import type { Crisis } from './types';

let root: HTMLElement;
let picker: HTMLSelectElement;
let info: HTMLElement;
let controls: HTMLElement;
let lists: HTMLElement;
let declareBox: HTMLElement;
let recent: Crisis[] = [];
let shownKey = '';
let shownControlsKey = '';
let pickerKey = '';

function Field(label: string, value: Node | string | undefined | null, testid?: string): HTMLElement[] {
  return [h('dt', { text: label }), h('dd', { 'data-testid': testid }, value ?? '—')];
}

function IncidentLink(id: string | undefined): Node | string {
  if (!id) return '';
  const link = h('a', { href: `#incident/${encodeURIComponent(id)}`, class: 'mono', 'data-testid': 'crisis-incident-link', 'data-incident-id': id }, id);
  link.addEventListener('click', (e) => {
    e.preventDefault();
    Select(id);
  });
  return link;
}

function ActionsTable(crisis: Crisis): HTMLElement {
  const actions = crisis.actions ?? [];
  if (!actions.length) return h('p', { class: 'muted', 'data-testid': 'crisis-actions', text: 'No action (not declared yet).' });
  return h(
    'table',
    { class: 'grid', 'data-testid': 'crisis-actions' },
    h('thead', {}, h('tr', {}, ...['Action', 'District', 'State', 'Detail'].map((t) => h('th', { text: t })))),
    h(
      'tbody',
      {},
      ...actions.map((a) =>
        h(
          'tr',
          { 'data-testid': 'crisis-action', 'data-action-id': a.id, 'data-state': a.state ?? '' },
          h('td', { text: a.description || a.id, title: a.id }),
          h('td', { text: a.district ? String(a.district) : 'city' }),
          h('td', { class: `action-state ${a.state ?? ''}`, text: EnumLabel(a.state, 'CRISIS_ACTION_STATE_').toLowerCase() }),
          h('td', { text: [a.target, a.detail].filter(Boolean).join(' · '), title: a.updatedAt ? `updated ${DateTime(a.updatedAt)}` : '' }),
        ),
      ),
    ),
  );
}

function Timeline(crisis: Crisis): HTMLElement {
  const entries = [...(crisis.timeline ?? [])].sort((a, b) => (a.at ?? '').localeCompare(b.at ?? ''));
  if (!entries.length) return h('p', { class: 'muted', 'data-testid': 'crisis-timeline', text: 'Nothing yet.' });
  return h(
    'table',
    { class: 'grid', 'data-testid': 'crisis-timeline' },
    h('thead', {}, h('tr', {}, ...['Time', 'What', 'Text', 'By', 'Incident'].map((t) => h('th', { text: t })))),
    h(
      'tbody',
      {},
      ...entries.map((e) =>
        h(
          'tr',
          { 'data-testid': 'crisis-timeline-entry', 'data-kind': e.kind ?? '' },
          h('td', { class: 'mono nowrap', text: Time(e.at), title: DateTime(e.at) }),
          h('td', { class: 'nowrap', text: EnumLabel(e.kind, 'CRISIS_TIMELINE_KIND_').toLowerCase() }),
          h('td', { text: e.text ?? '' }),
          h('td', { class: 'nowrap', text: e.actor || 'platform' }),
          h('td', {}, IncidentLink(e.incidentId)),
        ),
      ),
    ),
  );
}

function Input(testid: string, placeholder: string, value = ''): HTMLInputElement {
  const input = h('input', { 'data-testid': testid, placeholder, 'aria-label': placeholder });
  input.value = value;
  return input;
}

// A supervisor's command with its inputs; a bad districts list is refused here, the rest by the service.
function Controls(crisis: Crisis): HTMLElement | null {
  if (!IsSupervisor()) return null;
  const box = h('div', { class: 'actions' });
  if (crisis.status === 'CRISIS_STATUS_ACTIVE') {
    const districts = Input('crisis-scope-districts', 'Districts, e.g. 3, 5, 8', (crisis.districts ?? []).join(', '));
    const scopeNote = Input('crisis-scope-note', 'Why (optional)');
    const change = h('button', { type: 'button', 'data-testid': 'crisis-change-scope' }, 'Change scope');
    change.addEventListener('click', () =>
      Run(change, 'Change scope', async () => {
        await ChangeCrisisScope(crisis.id, ParseDistricts(districts.value), scopeNote.value.trim());
        Toast('Scope changed.', 'info');
      }),
    );
    const endNote = Input('crisis-end-note', 'End note (what happened)');
    const end = ConfirmingButton('End crisis', 'Confirm end', { class: 'danger', 'data-testid': 'crisis-end' }, async () => {
      await EndCrisis(crisis.id, endNote.value.trim());
      Toast(`Crisis ${crisis.id} ended: what it set is being reverted.`, 'info');
    });
    box.append(h('h3', { text: 'Scope' }), h('div', { class: 'actions-row' }, districts, change), scopeNote, h('h3', { text: 'End' }), h('div', { class: 'actions-row' }, endNote, end));
  } else if (crisis.status === 'CRISIS_STATUS_PROPOSED') {
    const districts = Input('crisis-declare-districts', "Districts (empty: the proposal's)");
    const note = Input('crisis-declare-note', 'Note (optional)');
    const declare = ConfirmingButton('Declare', 'Confirm declare', { class: 'danger', 'data-testid': 'crisis-panel-declare' }, async () => {
      await DeclareProposal(crisis.id, districts.value.trim() ? ParseDistricts(districts.value) : [], note.value.trim());
      Toast(`Crisis ${crisis.id} declared.`, 'info');
    });
    const dismiss = ConfirmingButton('Dismiss', 'Confirm dismiss', { 'data-testid': 'crisis-panel-dismiss' }, async () => {
      await DismissProposal(crisis.id, note.value.trim());
      Toast(`Proposal ${crisis.id} dismissed.`, 'info');
    });
    box.append(h('h3', { text: 'Decide' }), districts, note, h('div', { class: 'actions-row' }, declare, dismiss));
  } else {
    return null;
  }
  return box;
}

async function Run(button: HTMLButtonElement, what: string, action: () => Promise<void>): Promise<void> {
  button.disabled = true;
  try {
    await action();
  } catch (error) {
    Toast(`${what} failed: ${(error as Error).message}`);
  } finally {
    button.disabled = false;
  }
}

function CrisisKey(crisis: Crisis | undefined): string {
  return crisis ? `${crisis.id}|${crisis.version ?? ''}|${crisis.status}|${state.districtNames.size}|${Playbooks().length}` : '';
}

function RenderDetail(): void {
  const crisis = state.crises.get(state.selectedCrisisId ?? '');
  const key = CrisisKey(crisis);
  if (key === shownKey && key) return;
  shownKey = key;
  // The controls stay while the crisis and its status do: a live update must
  // not wipe what the supervisor is typing, nor disarm a button.
  const controlsKey = crisis ? `${crisis.id}|${crisis.status}|${IsSupervisor()}` : '';
  if (controlsKey !== shownControlsKey) {
    shownControlsKey = controlsKey;
    Clear(controls);
    if (crisis) Append(controls, Controls(crisis));
  }
  Clear(info);
  Clear(lists);
  if (!crisis) {
    const text = !IsOperator() ? 'Crises are shown to operators and supervisors.' : state.selectedCrisisId ? 'Loading…' : 'No crisis shown: pick one above.';
    info.append(h('p', { class: 'muted', text }));
    return;
  }
  const status = h('span', { class: `status ${crisis.status ?? ''}`, 'data-testid': 'crisis-status', 'data-status': crisis.status ?? '', text: EnumLabel(crisis.status, 'CRISIS_STATUS_') });
  Append(
    info,
    h('div', { class: 'incident-head' }, h('h2', { text: crisis.title || PlaybookName(crisis.playbook) })),
    h(
      'dl',
      { class: 'fields', 'data-testid': 'crisis-detail', 'data-crisis-id': crisis.id },
      ...Field('Status', status),
      ...Field('Id', crisis.id, 'crisis-id'),
      ...Field('Playbook', PlaybookName(crisis.playbook)),
      ...Field('Districts', DistrictList(crisis.districts), 'crisis-districts'),
      ...Field('Reason', crisis.reason),
      ...Field('Proposed', `${crisis.proposedBy || 'the platform'} at ${DateTime(crisis.proposedAt)}`),
      ...Field('Declared', crisis.declaredBy ? `${crisis.declaredBy} at ${DateTime(crisis.declaredAt)}` : '—'),
      ...Field('Ended', crisis.endedBy ? `${crisis.endedBy} at ${DateTime(crisis.endedAt)}${crisis.endNote ? ` · ${crisis.endNote}` : ''}` : '—'),
      ...Field('Crisis incident', crisis.incidentId ? IncidentLink(crisis.incidentId) : '—'),
      ...Field('Grouped incidents', String(crisis.groupedIncidents ?? 0), 'crisis-grouped'),
    ),
  );
  Append(lists, h('h3', { text: 'Actions' }), ActionsTable(crisis), h('h3', { text: 'Timeline' }), Timeline(crisis));
}

function FillPicker(): void {
  const current = state.selectedCrisisId ?? '';
  const known = new Map<string, Crisis>();
  for (const c of [...state.crises.values(), ...recent]) if (!known.has(c.id)) known.set(c.id, state.crises.get(c.id) ?? c);
  const options = [...known.values()].sort((a, b) => (b.proposedAt ?? '').localeCompare(a.proposedAt ?? ''));
  const key = [current, ...options.map((c) => `${c.id}|${c.status}|${c.districts?.join(',')}|${PlaybookName(c.playbook)}`)].join('\n');
  if (key === pickerKey) return; // an open list stays open
  pickerKey = key;
  Clear(picker);
  picker.append(h('option', { value: '', text: options.length ? 'Pick a crisis…' : 'No crisis' }));
  for (const c of options) {
    picker.append(h('option', { value: c.id, text: `${c.id} · ${PlaybookName(c.playbook)} · ${EnumLabel(c.status, 'CRISIS_STATUS_').toLowerCase()} · D${(c.districts ?? []).join(',')}` }));
  }
  picker.value = known.has(current) ? current : '';
}

function DeclareForm(): void {
  Clear(declareBox);
  if (!IsOperator()) return;
  const select = h('select', { 'data-testid': 'crisis-playbook', 'aria-label': 'Playbook' }, h('option', { value: '', text: 'Playbook…' }));
  for (const p of Playbooks()) select.append(h('option', { value: p.id, text: p.name || p.id }));
  const about = h('div', { class: 'muted small', 'data-testid': 'crisis-playbook-about' });
  select.addEventListener('change', () => {
    const p = Playbooks().find((x) => x.id === select.value);
    Clear(about);
    if (!p) return;
    about.append(h('div', { text: p.description ?? '' }), h('div', { text: p.trigger ? `Trigger: ${p.trigger}` : '' }), h('ul', {}, ...(p.actions ?? []).map((a) => h('li', { text: a }))));
  });
  const districts = Input('crisis-new-districts', 'Districts, e.g. 3, 5');
  const note = Input('crisis-new-note', 'Note or reason');
  const row = h('div', { class: 'actions-row' });
  const check = (): { playbook: string; districts: number[] } => {
    if (!select.value) throw new Error('pick a playbook');
    const list = ParseDistricts(districts.value);
    if (!list.length) throw new Error('name at least one district');
    return { playbook: select.value, districts: list };
  };
  const propose = h('button', { type: 'button', 'data-testid': 'crisis-propose' }, 'Propose');
  propose.addEventListener('click', () =>
    Run(propose, 'Propose', async () => {
      const { playbook, districts: list } = check();
      const crisis = await ProposeCrisis(playbook, list, note.value.trim());
      Toast(`Crisis ${crisis.id} proposed.`, 'info');
    }),
  );
  row.append(propose);
  if (IsSupervisor()) {
    row.append(
      ConfirmingButton('Declare now', 'Confirm declare', { class: 'danger', 'data-testid': 'crisis-declare-playbook' }, async () => {
        const { playbook, districts: list } = check();
        const crisis = await DeclarePlaybook(playbook, list, note.value.trim());
        Toast(`Crisis ${crisis.id} declared.`, 'info');
        SelectCrisis(crisis.id);
      }),
    );
  }
  declareBox.append(h('h3', { text: IsSupervisor() ? 'Declare a playbook' : 'Propose a playbook' }), select, about, districts, note, row);
}

async function Show(id: string | null): Promise<void> {
  if (id && !state.crises.has(id)) {
    try {
      await FetchCrisis(id);
    } catch (error) {
      Toast(`Crisis ${id}: ${(error as Error).message}`);
    }
  }
}

export async function RefreshCrisisPanel(): Promise<void> {
  if (!IsOperator()) return;
  try {
    await LoadPlaybooks(true);
    recent = await RecentCrises();
  } catch (error) {
    Toast(`Crises: ${(error as Error).message}`);
  }
  DeclareForm();
  FillPicker();
  const id = state.selectedCrisisId;
  if (id) void FetchCrisis(id).catch((error) => Toast(`Crisis ${id}: ${(error as Error).message}`));
}

export function StartCrisisPanel(): void {
  root = ById('panel-crisis');
  Clear(root);
  picker = h('select', { 'data-testid': 'crisis-picker', 'aria-label': 'Crisis' });
  picker.addEventListener('change', () => SelectCrisis(picker.value || null));
  const reload = h('button', { type: 'button', class: 'small ghost', title: 'Reload the crises and playbooks' }, '↻');
  reload.addEventListener('click', () => void RefreshCrisisPanel());
  info = h('div');
  controls = h('div');
  lists = h('div');
  const detail = h('div', { 'data-testid': 'crisis-panel-detail' }, info, controls, lists);
  declareBox = h('div', { class: 'crisis-declare' });
  root.append(h('div', { class: 'panel-head' }, h('h2', { text: 'Crisis' }), reload), h('div', { class: 'actions-row' }, picker), detail, declareBox);
  RenderDetail();
  Subscribe('crises', () => {
    FillPicker();
    RenderDetail();
  });
  Subscribe('districts', RenderDetail);
  Subscribe('crisisSelection', () => {
    shownKey = '';
    shownControlsKey = '';
    FillPicker();
    RenderDetail();
    void Show(state.selectedCrisisId);
  });
}
