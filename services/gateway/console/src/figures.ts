// The top bar's key figures (GET /api/v1/summary): refreshed every 30 s and,
// a little after, when a live event may have changed them.
import { Get } from './api';
import { ById, Clear, h } from './dom';
import { Duration } from './format';
import type { Summary } from './types';

const kRefreshMs = 30_000;
const kSoonMs = 1_500;

let timer = 0;
let soonTimer = 0;
let running = false;

interface Figure {
  key: string;
  label: string;
  value: string | null;
  tooltip: string;
  colour?: string;
}

const kPriorities: Array<[string, string, string]> = [
  ['PRIORITY_CRITICAL', 'Critical', 'crit'],
  ['PRIORITY_HIGH', 'High', 'high'],
  ['PRIORITY_NORMAL', 'Normal', 'norm'],
  ['PRIORITY_LOW', 'Low', 'low'],
];

function Figures(summary: Summary | null, error: string | null): Figure[] {
  const unavailable = (name: string) =>
    error ? `not available: ${error}` : `not available: ${name} did not answer (${(summary?.unavailable ?? []).join(', ') || 'service down'})`;
  const byPriority = summary?.openIncidentsByPriority ?? null;
  const figures: Figure[] = kPriorities.map(([key, label, colour]) => {
    let value: number | null = null;
    if (byPriority) value = (byPriority[key] ?? (key === 'PRIORITY_NORMAL' ? byPriority['PRIORITY_MEDIUM'] : 0) ?? 0) as number;
    return {
      key,
      label,
      value: value === null ? null : String(value),
      tooltip: value === null ? unavailable('incident correlation') : `open incidents of priority ${label.toLowerCase()}`,
      colour,
    };
  });
  const median = summary?.medianTimeToAssignmentSecondsToday;
  figures.push({
    key: 'median',
    label: 'To assign (median today)',
    value: median === null || median === undefined ? null : Duration(median),
    tooltip: median === null || median === undefined ? unavailable('crew dispatch') : 'median time from incident to crew assigned, today',
  });
  const saved = summary?.energySavedRatioThisWeek;
  figures.push({
    key: 'energy',
    label: 'Energy saved (week)',
    value: saved === null || saved === undefined ? null : `${(saved * 100).toFixed(1)} %`,
    tooltip: saved === null || saved === undefined ? unavailable('lighting control') : 'energy saved against the pre-retrofit baseline, this week',
  });
  const calls = summary?.callsToday;
  figures.push({
    key: 'calls',
    label: 'Calls today',
    value: calls === null || calls === undefined ? null : String(calls),
    tooltip: calls === null || calls === undefined ? unavailable('resident calls') : "residents' requests recorded today",
  });
  return figures;
}

function Render(summary: Summary | null, error: string | null): void {
  const root = ById('figures');
  Clear(root);
  for (const f of Figures(summary, error)) {
    root.append(
      h(
        'div',
        { class: `figure ${f.colour ?? ''} ${f.value === null ? 'missing' : ''}`, title: f.tooltip, 'data-testid': `figure-${f.key}` },
        h('span', { class: 'figure-value', text: f.value ?? '—' }),
        h('span', { class: 'figure-label', text: f.label }),
      ),
    );
  }
  if (summary?.at) root.title = `as of ${new Date(summary.at).toLocaleTimeString()}`;
}

export async function RefreshFigures(): Promise<void> {
  if (!running) return;
  try {
    Render(await Get<Summary>('/api/v1/summary'), null);
  } catch (error) {
    Render(null, (error as Error).message);
  }
}

// A live event arrived: refresh soon, once for a burst of events.
export function FiguresMayHaveChanged(): void {
  if (!running || soonTimer) return;
  soonTimer = window.setTimeout(() => {
    soonTimer = 0;
    void RefreshFigures();
  }, kSoonMs);
}

export function StartFigures(): void {
  running = true;
  Render(null, 'loading');
  void RefreshFigures();
  window.clearInterval(timer);
  timer = window.setInterval(() => void RefreshFigures(), kRefreshMs);
}

export function StopFigures(): void {
  running = false;
  window.clearInterval(timer);
  window.clearTimeout(soonTimer);
  soonTimer = 0;
}
