// The console's composition: login, the panels, the first load by REST and
// the live feed that keeps everything current without reloading the page.
import 'ol/ol.css';
import 'uplot/dist/uPlot.min.css';
import './styles.css';

import { ApiError, Get, GetPages, OnUnauthorized, PostAnonymous } from './api';
import { ById, Toast } from './dom';
import { ClearSession, GetToken, GetUser, SaveSession } from './session';
import { Notify, PutCrew, PutIncident, state } from './store';
import { AddAssets, ClearAssets, ResizeMap, StartMap } from './map';
import { QueueLoaded, StartQueue } from './queue';
import { StartIncidentPanel } from './incident';
import { OnAssignmentEvent, RefreshCrews, StartDispatchPanel } from './dispatch';
import { LightingLoaded, OnLightingCommand, RefreshLighting, StartLightingPanel } from './lighting';
import { CallsLoaded, OnRequestEvent, RefreshCalls, StartCallsPanel, StopPicking } from './calls';
import { FiguresMayHaveChanged, RefreshFigures, StartFigures, StopFigures } from './figures';
import { StartLive, StopLive } from './live';
import { LoadCrises, OnCrisisEvent } from './crises';
import { StartCrisisBanner } from './crisis_banner';
import { RefreshCrisisPanel, StartCrisisPanel } from './crisis';
import type {
  AssignmentEvent,
  CrewEvent,
  CrisisEvent,
  DistrictCollection,
  IncidentEvent,
  LightingCommand,
  ListAssetsResponse,
  ListIncidentsResponse,
  LoginResponse,
  RequestEvent,
} from './types';
import { Subscribe } from './store';

let uiBuilt = false;
let generation = 0; // bumps at each login/logout: stale loads stop

// ---- login ----------------------------------------------------------------

function ShowLogin(message = ''): void {
  ById('app').hidden = true;
  ById('login').hidden = false;
  ById('login-error').textContent = message;
  ById<HTMLInputElement>(ById<HTMLInputElement>('login-username').value ? 'login-password' : 'login-username').focus();
}

function Logout(message = ''): void {
  generation++;
  StopLive();
  StopFigures();
  StopPicking();
  ClearSession();
  ShowLogin(message);
}

function SetUpLogin(): void {
  const form = ById<HTMLFormElement>('login-form');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const username = ById<HTMLInputElement>('login-username').value.trim();
    const password = ById<HTMLInputElement>('login-password').value;
    const button = form.querySelector('button') as HTMLButtonElement;
    button.disabled = true;
    ById('login-error').textContent = '';
    try {
      const answer = await PostAnonymous<LoginResponse>('/api/v1/auth/login', { username, password });
      if (!answer.token) throw new ApiError(500, 'no token in the answer');
      SaveSession(answer.token, { username: answer.user?.username ?? username, role: answer.user?.role ?? '' });
      ById<HTMLInputElement>('login-password').value = '';
      StartApp();
    } catch (error) {
      const e = error as ApiError;
      ById('login-error').textContent = e.status === 401 ? 'Wrong username or password.' : `Sign-in failed: ${e.message}`;
    } finally {
      button.disabled = false;
    }
  });
}

// ---- tabs -----------------------------------------------------------------

function ShowTab(name: string): void {
  for (const tab of document.querySelectorAll<HTMLElement>('.tab')) tab.classList.toggle('active', tab.dataset.tab === name);
  for (const panel of document.querySelectorAll<HTMLElement>('.panel')) panel.hidden = panel.dataset.panel !== name;
  if (name === 'lighting' && !LightingLoaded()) RefreshLighting();
  if (name === 'calls' && !CallsLoaded()) RefreshCalls();
  if (name === 'crisis') void RefreshCrisisPanel();
  if (name !== 'calls') StopPicking();
}

function CurrentTab(): string {
  return document.querySelector<HTMLElement>('.tab.active')?.dataset.tab ?? 'incident';
}

function SetUpTabs(): void {
  for (const tab of document.querySelectorAll<HTMLElement>('.tab')) {
    tab.addEventListener('click', () => ShowTab(tab.dataset.tab ?? 'incident'));
  }
  ShowTab('incident');
  Subscribe('selection', () => {
    if (state.selectedIncidentId && CurrentTab() !== 'incident' && CurrentTab() !== 'dispatch') ShowTab('incident');
  });
  Subscribe('crisisSelection', () => {
    if (state.selectedCrisisId && CurrentTab() !== 'crisis') ShowTab('crisis');
  });
}

// ---- loading by REST ------------------------------------------------------

async function LoadDistricts(): Promise<void> {
  const collection = await Get<DistrictCollection>('/api/v1/districts');
  state.districts = collection;
  state.districtNames.clear();
  for (const f of collection.features ?? []) {
    const n = Number(f.properties?.district ?? f.properties?.id ?? 0);
    if (n) state.districtNames.set(n, f.properties?.name ?? `District ${n}`);
  }
  Notify('districts');
}

async function LoadIncidents(): Promise<void> {
  const g = generation;
  const fetched: IncidentEvent['incident'][] = [];
  const collect = (page: ListIncidentsResponse) => fetched.push(...(page.incidents ?? []));
  try {
    await GetPages<ListIncidentsResponse>(
      '/api/v1/incidents',
      { 'filter.statuses': ['INCIDENT_STATUS_OPEN', 'INCIDENT_STATUS_ACKNOWLEDGED'], pageSize: 500 },
      collect,
      40,
    );
  } catch (error) {
    if ((error as ApiError).status !== 400) throw error;
    // A gateway that does not take repeated query fields: filter here.
    fetched.length = 0;
    await GetPages<ListIncidentsResponse>('/api/v1/incidents', { pageSize: 500 }, collect, 40);
  }
  if (g !== generation) return;
  const keep = state.selectedIncidentId;
  for (const id of [...state.incidents.keys()]) if (id !== keep) state.incidents.delete(id);
  for (const incident of fetched) if (incident) PutIncident(incident);
  QueueLoaded();
}

async function LoadAssets(): Promise<void> {
  const g = generation;
  state.assets.clear();
  state.assetsComplete = false;
  ClearAssets();
  await GetPages<ListAssetsResponse>(
    '/api/v1/assets',
    { pageSize: 1000 },
    (page) => {
      if (g !== generation) throw new Error('stale');
      const assets = page.assets ?? [];
      for (const a of assets) state.assets.set(a.id, a);
      AddAssets(assets);
      Notify('assets');
    },
  );
  state.assetsComplete = true;
  Notify('assets');
  Notify('incidents'); // incidents placed by their asset's position
}

function Report(what: string) {
  return (error: unknown) => {
    if ((error as Error).message === 'stale' || (error as ApiError).status === 401) return;
    Toast(`${what}: ${(error as Error).message}`);
  };
}

// Everything the console shows, from REST (at login and on `reset`).
function LoadState(withAssets: boolean): void {
  void LoadIncidents().catch(Report('Incidents'));
  void LoadCrises().catch(Report('Crises'));
  void RefreshCrews();
  void RefreshFigures();
  if (withAssets) void LoadAssets().catch(Report('Assets'));
  if (LightingLoaded()) RefreshLighting();
  if (CallsLoaded()) RefreshCalls();
  Notify('selection');
}

// ---- live feed ------------------------------------------------------------

function OnLive(type: string, data: unknown): void {
  switch (type) {
    case 'incident': {
      const event = data as IncidentEvent;
      const incident = event.incident;
      if (!incident?.id) return;
      const log = state.incidentLog.get(incident.id) ?? [];
      log.push({ at: event.meta?.occurredAt ?? new Date().toISOString(), change: event.change ?? '', actor: event.actor ?? '' });
      if (log.length > 100) log.shift();
      state.incidentLog.set(incident.id, log);
      PutIncident(incident);
      FiguresMayHaveChanged();
      break;
    }
    case 'assignment':
      OnAssignmentEvent(data as AssignmentEvent);
      FiguresMayHaveChanged();
      break;
    case 'crew': {
      const crew = (data as CrewEvent).crew;
      if (crew?.id) PutCrew(crew);
      break;
    }
    case 'lighting':
      OnLightingCommand(data as LightingCommand);
      break;
    case 'call':
      OnRequestEvent(data as RequestEvent);
      FiguresMayHaveChanged();
      break;
    case 'crisis':
      OnCrisisEvent(data as CrisisEvent);
      break;
  }
}

// ---- start ----------------------------------------------------------------

function StartApp(): void {
  generation++;
  ById('login').hidden = true;
  ById('app').hidden = false;
  const user = GetUser();
  ById('whoami').textContent = user ? `${user.username}${user.role ? ` · ${user.role}` : ''}` : '';
  if (!uiBuilt) {
    uiBuilt = true;
    StartQueue();
    StartIncidentPanel();
    StartDispatchPanel();
    StartLightingPanel();
    StartCallsPanel();
    StartCrisisBanner();
    StartCrisisPanel();
    SetUpTabs();
    StartMap();
    ById('logout').addEventListener('click', () => Logout());
    window.addEventListener('resize', ResizeMap);
  }
  ResizeMap();
  StartFigures();
  void LoadDistricts().catch(Report('Districts'));
  LoadState(true);
  StartLive(OnLive, () => {
    Toast('Live feed restarted: reloading.', 'info');
    LoadState(false);
  });
}

function Boot(): void {
  SetUpLogin();
  OnUnauthorized(() => {
    if (GetToken()) Logout('Your session ended: sign in again.');
  });
  if (GetToken()) StartApp();
  else ShowLogin();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', Boot);
else Boot();
