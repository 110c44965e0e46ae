// Crises through the gateway (GET /api/v1/crises, /api/v1/crisis-playbooks and
// the supervisors' commands), kept in the store; the live feed's `crisis`
// events keep them current. Commands throw ApiError: the caller shows it.
import { Get, GetPages, Post, Segment } from './api';
import { IsOperator } from './session';
import { Notify, PutCrisis, SetCrises, state } from './store';
import type { Crisis, CrisisEvent, ListCrisesResponse, Playbook } from './types';

let playbooks: Playbook[] = [];
let playbooksLoaded = false;

export function Playbooks(): Playbook[] {
  return playbooks;
}

export function PlaybookName(id: string | undefined): string {
  if (!id) return '—';
  return playbooks.find((p) => p.id === id)?.name || id;
}

export async function LoadPlaybooks(force = false): Promise<Playbook[]> {
  if (playbooksLoaded && !force) return playbooks;
  const answer = await Get<{ playbooks?: Playbook[] }>('/api/v1/crisis-playbooks');
  playbooks = answer.playbooks ?? [];
  playbooksLoaded = true;
  Notify('crises'); // names in the banner
  return playbooks;
}

// The proposed and active crises (a viewer may not read them: nothing to load).
export async function LoadCrises(): Promise<void> {
  if (!IsOperator()) {
    state.selectedCrisisId = null;
    SetCrises([]);
    return;
  }
  const found: Crisis[] = [];
  await GetPages<ListCrisesResponse>(
    '/api/v1/crises',
    { statuses: ['CRISIS_STATUS_PROPOSED', 'CRISIS_STATUS_ACTIVE'], pageSize: 100 },
    (page) => found.push(...(page.crises ?? [])),
    10,
  );
  SetCrises(found);
  void LoadPlaybooks().catch(() => {}); // names only: the crises show without them
}

// The most recent crises of any status (for the panel's history).
export async function RecentCrises(): Promise<Crisis[]> {
  const answer = await Get<ListCrisesResponse>('/api/v1/crises', { pageSize: 20 });
  return answer.crises ?? [];
}

export async function FetchCrisis(id: string): Promise<Crisis> {
  const crisis = await Get<Crisis>(`/api/v1/crises/${Segment(id)}`);
  // Kept even when it is over: it is the one being looked at.
  state.crises.set(crisis.id, crisis);
  Notify('crises');
  return crisis;
}

export function OnCrisisEvent(event: CrisisEvent): void {
  if (event.crisis?.id) PutCrisis(event.crisis);
}

// "3, 5 8" -> [3, 5, 8]; a word that is not a district number is refused here.
export function ParseDistricts(text: string): number[] {
  const out: number[] = [];
  for (const word of text.split(/[\s,;]+/).filter(Boolean)) {
    if (!/^\d{1,4}$/.test(word) || Number(word) < 1) throw new Error(`"${word}" is not a district number`);
    if (!out.includes(Number(word))) out.push(Number(word));
  }
  return out.sort((a, b) => a - b);
}

async function Command(path: string, body: Record<string, unknown>): Promise<Crisis> {
  const crisis = await Post<Crisis>(path, body);
  if (crisis.id) PutCrisis(crisis);
  return crisis;
}

export function ProposeCrisis(playbook: string, districts: number[], reason: string): Promise<Crisis> {
  return Command('/api/v1/crises:propose', { playbook, districts, reason });
}

export function DeclarePlaybook(playbook: string, districts: number[], note: string): Promise<Crisis> {
  return Command('/api/v1/crises:declare', { playbook, districts, note });
}

// districts empty: the proposal's own.
export function DeclareProposal(id: string, districts: number[] = [], note = ''): Promise<Crisis> {
  return Command(`/api/v1/crises/${Segment(id)}:declare`, { districts, note });
}

export function DismissProposal(id: string, note = ''): Promise<Crisis> {
  return Command(`/api/v1/crises/${Segment(id)}:dismiss`, { note });
}

export function ChangeCrisisScope(id: string, districts: number[], note = ''): Promise<Crisis> {
  return Command(`/api/v1/crises/${Segment(id)}:change-scope`, { districts, note });
}

export function EndCrisis(id: string, note: string): Promise<Crisis> {
  return Command(`/api/v1/crises/${Segment(id)}:end`, { note });
}
