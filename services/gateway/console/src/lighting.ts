// The lighting panel: active overrides (create for a district or the city,
// with a level and an expiry; cancel), dimming profiles, the energy account
// per district (uPlot), and the commands sent to the field as they go.
import uPlot from 'uplot';
import { Get, Post, Segment } from './api';
import { ById, Clear, h, Toast } from './dom';
import { DateTime, LocalDate, Time } from './format';
import { state, Subscribe } from './store';
import type { DimmingProfile, DistrictEnergy, LightingCommand, Override } from './types';

const kNights = 14;

let overridesBox: HTMLElement;
let profilesBox: HTMLElement;
let chartBox: HTMLElement;
let chartTable: HTMLElement;
let commandsBox: HTMLElement;
let districtSelect: HTMLSelectElement;
let chartDistrict: HTMLSelectElement;
let chart: uPlot | null = null;
let energy: DistrictEnergy[] = [];
const commands: LightingCommand[] = [];
let loaded = false;

function ScopeLabel(o: Override): string {
  const s = o.scope;
  switch (s?.kind) {
    case 'SCOPE_KIND_CITY':
      return 'whole city';
    case 'SCOPE_KIND_DISTRICT':
      return `district ${s.district} · ${state.districtNames.get(s.district ?? 0) ?? ''}`;
    case 'SCOPE_KIND_ROAD_CLASS':
      return s.district ? `${s.id ?? ''} roads of district ${s.district}` : `${s.id ?? ''} roads of the city`;
    default:
      return `${(s?.kind ?? '').replace('SCOPE_KIND_', '').toLowerCase()} ${s?.id ?? ''}`;
  }
}

async function LoadOverrides(): Promise<void> {
  try {
    const answer = await Get<{ overrides?: Override[] }>('/api/v1/lighting/overrides');
    Clear(overridesBox);
    const list = answer.overrides ?? [];
    if (!list.length) overridesBox.append(h('p', { class: 'muted', text: 'No active override.' }));
    for (const o of list) {
      const cancel = h('button', { type: 'button', class: 'small danger', 'data-testid': 'cancel-override' }, 'Cancel');
      cancel.addEventListener('click', async () => {
        cancel.disabled = true;
        try {
          await Post(`/api/v1/lighting/overrides/${Segment(o.id)}:cancel`, {});
          Toast('Override cancelled.', 'info');
          void LoadOverrides();
        } catch (error) {
          Toast(`Cancel failed: ${(error as Error).message}`);
          cancel.disabled = false;
        }
      });
      overridesBox.append(
        h(
          'div',
          { class: 'row-item', 'data-testid': 'override', 'data-override-id': o.id },
          h('span', { class: 'level', text: `${o.level ?? 0}%` }),
          h(
            'span',
            { class: 'grow' },
            h('strong', { text: ScopeLabel(o) }),
            h('span', { class: 'muted', text: ` until ${DateTime(o.expiry)} · ${o.source === 'OVERRIDE_SOURCE_CRISIS' ? 'crisis' : 'operator'} ${o.createdBy ?? ''}${o.reason ? ` · ${o.reason}` : ''}` }),
          ),
          cancel,
        ),
      );
    }
  } catch (error) {
    Clear(overridesBox);
    overridesBox.append(h('p', { class: 'error', text: `Overrides: ${(error as Error).message}` }));
  }
}

async function LoadProfiles(): Promise<void> {
  try {
    const answer = await Get<{ profiles?: DimmingProfile[] }>('/api/v1/lighting/profiles');
    Clear(profilesBox);
    const list = answer.profiles ?? [];
    if (!list.length) profilesBox.append(h('p', { class: 'muted', text: 'No profile.' }));
    for (const p of list) {
      const steps = (p.steps ?? [])
        .map((s) => `${s.level ?? 0}% ${s.anchor ?? ''}${s.offsetMin ? (s.offsetMin > 0 ? '+' : '') + s.offsetMin + 'm' : ''}`)
        .join(' → ');
      const assigned = (p.assignedTo ?? [])
        .map((s) => (s.kind === 'SCOPE_KIND_DISTRICT'
            ? `D${s.district}`
            : s.kind === 'SCOPE_KIND_CITY'
              ? 'city'
              : s.kind === 'SCOPE_KIND_ROAD_CLASS'
                ? `${s.id ?? ''} roads${s.district ? ` D${s.district}` : ''}`
                : s.id ?? ''))
        .join(', ');
      profilesBox.append(
        h('div', { class: 'row-item' }, h('span', { class: 'grow' }, h('strong', { text: p.name || p.id }), h('div', { class: 'muted small', text: steps }), assigned ? h('div', { class: 'small', text: `on ${assigned}` }) : null)),
      );
    }
  } catch (error) {
    Clear(profilesBox);
    profilesBox.append(h('p', { class: 'error', text: `Profiles: ${(error as Error).message}` }));
  }
}

async function LoadEnergy(): Promise<void> {
  const last = new Date();
  last.setDate(last.getDate() - 1);
  const first = new Date(last);
  first.setDate(first.getDate() - (kNights - 1));
  try {
    const answer = await Get<{ days?: DistrictEnergy[] }>('/api/v1/lighting/energy', { firstDate: LocalDate(first), lastDate: LocalDate(last) });
    energy = answer.days ?? [];
    DrawChart();
  } catch (error) {
    energy = [];
    Clear(chartTable);
    chartTable.append(h('p', { class: 'error', text: `Energy: ${(error as Error).message}` }));
    DrawChart();
  }
}

function DrawChart(): void {
  const district = Number(chartDistrict.value);
  const byDate = new Map<string, { used: number; baseline: number }>();
  for (const d of energy) {
    if (district && d.district !== district) continue;
    const key = d.date ?? '';
    const entry = byDate.get(key) ?? { used: 0, baseline: 0 };
    entry.used += (d.measuredWh ?? 0) + (d.estimatedWh ?? 0);
    entry.baseline += d.baselineWh ?? 0;
    byDate.set(key, entry);
  }
  const dates = [...byDate.keys()].sort();
  const xs = dates.map((d) => Date.parse(`${d}T12:00:00`) / 1000);
  const used = dates.map((d) => (byDate.get(d)?.used ?? 0) / 1000);
  const baseline = dates.map((d) => (byDate.get(d)?.baseline ?? 0) / 1000);
  const saved = dates.map((d) => {
    const e = byDate.get(d);
    return e && e.baseline ? 100 * (1 - e.used / e.baseline) : null;
  });
  chart?.destroy();
  chart = null;
  Clear(chartBox);
  if (!dates.length) {
    chartBox.append(h('p', { class: 'muted', text: 'No energy figures for the last nights.' }));
  } else {
    const width = Math.max(280, chartBox.clientWidth || 380);
    chart = new uPlot(
      {
        width,
        height: 200,
        cursor: { drag: { x: false, y: false } },
        legend: { show: true, live: true },
        scales: { x: { time: true }, pct: { range: [0, 100] } },
        axes: [
          { stroke: '#9fb3cc', grid: { stroke: '#243040' }, ticks: { stroke: '#243040' } },
          { stroke: '#9fb3cc', grid: { stroke: '#243040' }, ticks: { stroke: '#243040' }, label: 'kWh', size: 60 },
          { side: 1, scale: 'pct', stroke: '#30d158', grid: { show: false }, label: '% saved', size: 50 },
        ],
        series: [
          {},
          { label: 'used kWh', stroke: '#64d2ff', width: 2, fill: 'rgba(100,210,255,0.12)' },
          { label: 'baseline kWh', stroke: '#8e8e93', width: 1, dash: [4, 4] },
          { label: 'saved %', scale: 'pct', stroke: '#30d158', width: 2 },
        ],
      },
      [xs, used, baseline, saved],
      chartBox,
    );
  }
  // The latest night of each district.
  Clear(chartTable);
  const latest = new Map<number, DistrictEnergy>();
  for (const d of energy) {
    const prev = latest.get(d.district ?? 0);
    if (!prev || (d.date ?? '') > (prev.date ?? '')) latest.set(d.district ?? 0, d);
  }
  if (latest.size) {
    const cells = [...latest.values()]
      .sort((a, b) => (a.district ?? 0) - (b.district ?? 0))
      .map((d) =>
        h(
          'span',
          { class: 'cell', title: `${state.districtNames.get(d.district ?? 0) ?? ''}, night of ${d.date}: ${d.lightPoints ?? 0} light points` },
          h('b', { text: `D${d.district}` }),
          ` ${(d.savedPct ?? 0).toFixed(0)}%`,
        ),
      );
    chartTable.append(h('div', { class: 'cells' }, ...cells));
  }
}

function RenderCommands(): void {
  Clear(commandsBox);
  if (!commands.length) commandsBox.append(h('p', { class: 'muted', text: 'No command since the console opened.' }));
  for (const c of commands.slice(0, 12)) {
    commandsBox.append(
      h('div', { class: 'row-item small' }, h('span', { text: Time(c.meta?.occurredAt) }), h('span', { class: 'grow', text: ` ${c.cabinetId ?? ''} (D${c.district ?? '?'})` }), h('span', { text: c.cabinetLevel !== undefined ? `${c.cabinetLevel}%` : `${c.pointCount ?? 0} points` })),
    );
  }
}

export function OnLightingCommand(command: LightingCommand): void {
  commands.unshift(command);
  if (commands.length > 50) commands.length = 50;
  if (loaded) RenderCommands();
}

function FillDistricts(): void {
  for (const select of [districtSelect, chartDistrict]) {
    const current = select.value;
    Clear(select);
    select.append(h('option', { value: '0', text: select === districtSelect ? 'Whole city' : 'All districts' }));
    for (const [n, name] of [...state.districtNames.entries()].sort((a, b) => a[0] - b[0])) {
      select.append(h('option', { value: String(n), text: `${n} · ${name}` }));
    }
    select.value = current || '0';
  }
}

function CreateForm(): HTMLElement {
  districtSelect = h('select', { 'data-testid': 'override-district', 'aria-label': 'Scope' });
  const level = h('input', { type: 'number', min: 0, max: 100, value: 100, 'data-testid': 'override-level', 'aria-label': 'Level %' });
  const hours = h(
    'select',
    { 'data-testid': 'override-expiry', 'aria-label': 'Expiry' },
    ...[1, 2, 4, 8, 12, 24].map((n) => h('option', { value: n, text: `for ${n} h` })),
  );
  const reason = h('input', { placeholder: 'reason', 'data-testid': 'override-reason', 'aria-label': 'Reason' });
  const create = h('button', { type: 'submit', class: 'primary', 'data-testid': 'create-override' }, 'Override');
  const form = h('form', { class: 'inline-form' }, districtSelect, level, hours, reason, create);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = Number(level.value);
    if (!Number.isInteger(value) || value < 0 || value > 100) return Toast('The level is 0 to 100 %.');
    const district = Number(districtSelect.value);
    const expiry = new Date(Date.now() + Number(hours.value) * 3600_000).toISOString();
    const scope = district ? { kind: 'SCOPE_KIND_DISTRICT', district } : { kind: 'SCOPE_KIND_CITY' };
    create.disabled = true;
    try {
      await Post('/api/v1/lighting/overrides', { override: { scope, level: value, reason: reason.value.trim(), expiry } });
      Toast('Override created.', 'info');
      reason.value = '';
      void LoadOverrides();
    } catch (error) {
      Toast(`Override failed: ${(error as Error).message}`);
    } finally {
      create.disabled = false;
    }
  });
  return form;
}

// Loads the panel's data the first time it is shown, and again on demand.
export function RefreshLighting(): void {
  loaded = true;
  void LoadOverrides();
  void LoadProfiles();
  void LoadEnergy();
  RenderCommands();
}

export function LightingLoaded(): boolean {
  return loaded;
}

export function StartLightingPanel(): void {
  const root = ById('panel-lighting');
  Clear(root);
  overridesBox = h('div', { 'data-testid': 'overrides' });
  profilesBox = h('div', { 'data-testid': 'profiles' });
  chartBox = h('div', { class: 'chart', 'data-testid': 'energy-chart' });
  chartTable = h('div', { class: 'chart-table' });
  commandsBox = h('div', { 'data-testid': 'lighting-commands' });
  chartDistrict = h('select', { 'aria-label': 'District', 'data-testid': 'energy-district' });
  chartDistrict.addEventListener('change', DrawChart);
  const reload = h('button', { type: 'button', class: 'ghost' }, 'Reload');
  reload.addEventListener('click', RefreshLighting);
  root.append(
    h('div', { class: 'panel-head' }, h('h2', { text: 'Lighting' }), reload),
    h('h3', { text: 'Active overrides' }),
    CreateForm(),
    overridesBox,
    h('h3', {}, `Energy, last ${kNights} nights `, chartDistrict),
    chartBox,
    chartTable,
    h('h3', { text: 'Profiles' }),
    profilesBox,
    h('h3', { text: 'Commands to the field (live)' }),
    commandsBox,
  );
  FillDistricts();
  Subscribe('districts', FillDistricts);
}
