// The crisis banner across the top: one line per active crisis (playbook,
// districts, who declared it and when, a link to its panel) and a distinct
// notice per proposal, with Declare and Dismiss for supervisors.
import { ById, Clear, h, Toast } from './dom';
import { DateTime } from './format';
import { DeclareProposal, DismissProposal, PlaybookName } from './crises';
import { IsSupervisor } from './session';
import { CrisesWithStatus, SelectCrisis, state, Subscribe } from './store';
import type { Crisis } from './types';

let root: HTMLElement;

export function DistrictList(districts: number[] | undefined): string {
  if (!districts?.length) return '—';
  return districts.map((d) => `${d}${state.districtNames.has(d) ? ` ${state.districtNames.get(d)}` : ''}`).join(', ');
}

// A button that asks for a second click before it acts (a crisis is no small thing).
export function ConfirmingButton(
  label: string,
  confirm: string,
  attrs: Record<string, string>,
  action: () => Promise<unknown>,
): HTMLButtonElement {
  const button = h('button', { type: 'button', ...attrs, 'data-armed': 'false' }, label);
  let disarm = 0;
  button.addEventListener('click', async () => {
    if (button.dataset.armed !== 'true') {
      button.dataset.armed = 'true';
      button.textContent = confirm;
      disarm = window.setTimeout(() => {
        button.dataset.armed = 'false';
        button.textContent = label;
      }, 5000);
      return;
    }
    window.clearTimeout(disarm);
    button.disabled = true;
    try {
      await action();
    } catch (error) {
      Toast(`${label} failed: ${(error as Error).message}`);
    } finally {
      button.disabled = false;
      button.dataset.armed = 'false';
      button.textContent = label;
    }
  });
  return button;
}

function OpenLink(crisis: Crisis): HTMLElement {
  const link = h('a', { href: `#crisis/${encodeURIComponent(crisis.id)}`, class: 'crisis-link', 'data-testid': 'crisis-open' }, 'Open crisis panel');
  link.addEventListener('click', (e) => {
    e.preventDefault();
    SelectCrisis(crisis.id);
  });
  return link;
}

function Active(crisis: Crisis): HTMLElement {
  return h(
    'div',
    { class: 'crisis-banner active', role: 'alert', 'data-testid': 'crisis-banner', 'data-crisis-id': crisis.id, 'data-districts': (crisis.districts ?? []).join(',') },
    h('strong', { class: 'crisis-tag', text: 'CRISIS' }),
    h('span', { class: 'crisis-name', text: PlaybookName(crisis.playbook) }),
    h('span', { text: `districts ${DistrictList(crisis.districts)}` }),
    h('span', { class: 'muted', text: `declared by ${crisis.declaredBy || '—'} at ${DateTime(crisis.declaredAt)}` }),
    h('span', { class: 'muted', text: `${crisis.groupedIncidents ?? 0} incidents grouped` }),
    OpenLink(crisis),
  );
}

function Proposed(crisis: Crisis): HTMLElement {
  const buttons: HTMLElement[] = [];
  if (IsSupervisor()) {
    buttons.push(
      ConfirmingButton('Declare', 'Confirm declare', { class: 'small danger', 'data-testid': 'crisis-declare' }, async () => {
        await DeclareProposal(crisis.id);
        Toast(`Crisis ${crisis.id} declared.`, 'info');
      }),
      ConfirmingButton('Dismiss', 'Confirm dismiss', { class: 'small', 'data-testid': 'crisis-dismiss' }, async () => {
        await DismissProposal(crisis.id);
        Toast(`Proposal ${crisis.id} dismissed.`, 'info');
      }),
    );
  }
  return h(
    'div',
    { class: 'crisis-banner proposed', role: 'status', 'data-testid': 'crisis-proposal', 'data-crisis-id': crisis.id, 'data-districts': (crisis.districts ?? []).join(',') },
    h('strong', { class: 'crisis-tag', text: 'PROPOSED' }),
    h('span', { class: 'crisis-name', text: PlaybookName(crisis.playbook) }),
    h('span', { text: `districts ${DistrictList(crisis.districts)}` }),
    crisis.reason ? h('span', { class: 'crisis-reason', text: crisis.reason }) : null,
    h('span', { class: 'muted', text: `proposed by ${crisis.proposedBy || 'the platform'} at ${DateTime(crisis.proposedAt)}` }),
    ...buttons,
    OpenLink(crisis),
  );
}

let shownKey = '';

function Render(): void {
  const active = CrisesWithStatus('CRISIS_STATUS_ACTIVE');
  const proposed = CrisesWithStatus('CRISIS_STATUS_PROPOSED');
  // Redrawn only when what it shows changed (a redraw would disarm a button under the pointer).
  const key = [...active, ...proposed]
    .map((c) => [c.id, c.status, c.districts?.join(','), c.declaredBy, c.groupedIncidents, c.reason, PlaybookName(c.playbook)].join('|'))
    .concat([String(state.districtNames.size), String(IsSupervisor())])
    .join('\n');
  if (key === shownKey) return;
  shownKey = key;
  const lines = [...active.map(Active), ...proposed.map(Proposed)];
  Clear(root);
  root.append(...lines);
  root.hidden = lines.length === 0;
}

export function StartCrisisBanner(): void {
  root = ById('crisis-banners');
  Subscribe('crises', Render);
  Subscribe('districts', Render);
  Render();
}
