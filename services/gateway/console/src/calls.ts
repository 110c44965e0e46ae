// Call intake: a resident's request recorded by the phone operator. Before a
// new request is created, open requests nearby are offered as duplicates
// (the call is then linked to one). Below, today's requests, kept current by
// the live feed.
import { Get, Post } from './api';
import { ById, Clear, h, Toast } from './dom';
import { Distance, EnumLabel, Time } from './format';
import { OnMapClick, ShowPick } from './map';
import { state } from './store';
import type { Category, CreateRequestResponse, DuplicateCandidate, GeoPoint, RequestEvent, ResidentRequest } from './types';

let categories: Category[] = [];
let location: GeoPoint | null = null;
let checkedFor = '';
let candidates: DuplicateCandidate[] = [];
const today = new Map<string, ResidentRequest>();
let loaded = false;

let categorySelect: HTMLSelectElement;
let placeLabel: HTMLElement;
let placeButton: HTMLButtonElement;
let dupBox: HTMLElement;
let listBox: HTMLElement;
let submit: HTMLButtonElement;
let form: HTMLFormElement;

function Key(): string {
  return `${categorySelect.value}|${location?.lat?.toFixed(6)}|${location?.lon?.toFixed(6)}`;
}

function NewKey(): string {
  if (typeof crypto !== 'undefined' && 'randomUUID' in crypto && window.isSecureContext) return crypto.randomUUID();
  return `console-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

function MidnightToday(): string {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.toISOString();
}

function IsToday(iso: string | undefined): boolean {
  return !!iso && Date.parse(iso) >= Date.parse(MidnightToday());
}

function Field(name: string): string {
  return ((form.elements.namedItem(name) as HTMLInputElement | null)?.value ?? '').trim();
}

function SetPlace(point: GeoPoint | null): void {
  location = point;
  ShowPick(point);
  placeLabel.textContent = point ? `${point.lat?.toFixed(5)}, ${point.lon?.toFixed(5)}` : 'not placed';
  ResetDuplicates();
}

function ResetDuplicates(): void {
  checkedFor = '';
  candidates = [];
  Clear(dupBox);
  submit.textContent = 'Check duplicates & create';
}

async function CheckDuplicates(): Promise<void> {
  if (!location) return;
  const key = Key();
  const answer = await Post<{ candidates?: DuplicateCandidate[] }>('/api/v1/calls/duplicates', { category: categorySelect.value, location });
  if (key !== Key()) return;
  checkedFor = key;
  candidates = answer.candidates ?? [];
  Clear(dupBox);
  if (!candidates.length) {
    dupBox.append(h('p', { class: 'muted', text: 'No open request nearby.' }));
    submit.textContent = 'Create request';
    return;
  }
  dupBox.append(h('p', { class: 'warn', text: `${candidates.length} open request(s) nearby: is it one of these?` }));
  for (const c of candidates) {
    const r = c.request;
    if (!r) continue;
    const link = h('button', { type: 'button', class: 'small primary', 'data-testid': 'link-request' }, 'Link to this request');
    link.addEventListener('click', () => void Create(r.id));
    dupBox.append(
      h(
        'div',
        { class: 'row-item', 'data-testid': 'duplicate', 'data-request-id': r.id },
        h(
          'span',
          { class: 'grow' },
          h('strong', { text: `${r.category ?? ''} · ${Distance(c.distanceM ?? 0)}` }),
          h('div', { class: 'small', text: r.description ?? '' }),
          h('div', { class: 'muted small', text: `${r.address ?? ''} · ${EnumLabel(r.status, 'REQUEST_STATUS_')} · ${r.callers ?? 1} caller(s) · ${Time(r.createdAt)}` }),
        ),
        link,
      ),
    );
  }
  submit.textContent = 'Create a new request anyway';
}

async function Create(linkTo?: string): Promise<void> {
  if (!location) return Toast('Place the call on the map first.');
  const body = {
    category: categorySelect.value,
    description: Field('description'),
    location,
    address: Field('address'),
    channel: Field('channel'),
    resident: { firstName: Field('firstName'), lastName: Field('lastName'), phone: Field('phone'), email: Field('email') },
    linkTo: linkTo ?? '',
    idempotencyKey: form.dataset.key,
  };
  submit.disabled = true;
  try {
    const answer = await Post<CreateRequestResponse>('/api/v1/calls/requests', body);
    const request = answer.request?.request;
    Toast(linkTo ? `Call linked to request ${linkTo}.` : `Request ${request?.id ?? ''} created.`, 'info');
    if (request) PutRequest(request);
    form.reset();
    form.dataset.key = NewKey();
    SetPlace(null);
  } catch (error) {
    Toast(`Request failed: ${(error as Error).message}`);
  } finally {
    submit.disabled = false;
  }
}

function PutRequest(r: ResidentRequest): void {
  if (!IsToday(r.createdAt)) return;
  today.set(r.id, r);
  if (loaded) RenderList();
}

export function OnRequestEvent(event: RequestEvent): void {
  if (event.request) PutRequest(event.request);
}

function RenderList(): void {
  Clear(listBox);
  const list = [...today.values()].sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
  if (!list.length) listBox.append(h('p', { class: 'muted', text: 'No request today.' }));
  for (const r of list.slice(0, 200)) {
    listBox.append(
      h(
        'div',
        { class: 'row-item small', 'data-testid': 'request-row', 'data-request-id': r.id },
        h('span', { class: 'mono', text: Time(r.createdAt) }),
        h(
          'span',
          { class: 'grow' },
          h('strong', { text: ` ${r.category ?? ''}` }),
          ` ${r.address || (r.district ? `D${r.district} ${state.districtNames.get(r.district) ?? ''}` : '')}`,
          r.incidentId ? h('span', { class: 'badge', text: 'incident' }) : null,
          (r.callers ?? 1) > 1 ? h('span', { class: 'badge', text: `${r.callers} callers` }) : null,
        ),
        h('span', { class: 'muted', text: EnumLabel(r.status, 'REQUEST_STATUS_') }),
      ),
    );
  }
}

async function LoadToday(): Promise<void> {
  try {
    const answer = await Get<{ requests?: ResidentRequest[] }>('/api/v1/calls/requests', { createdFrom: MidnightToday(), pageSize: 200 });
    today.clear();
    for (const r of answer.requests ?? []) today.set(r.id, r);
    RenderList();
  } catch (error) {
    Clear(listBox);
    listBox.append(h('p', { class: 'error', text: `Requests: ${(error as Error).message}` }));
  }
}

async function LoadCategories(): Promise<void> {
  try {
    categories = (await Get<{ categories?: Category[] }>('/api/v1/calls/categories')).categories ?? [];
  } catch (error) {
    Toast(`Categories: ${(error as Error).message}`);
  }
  const current = categorySelect.value;
  Clear(categorySelect);
  for (const c of categories) categorySelect.append(h('option', { value: c.code, text: c.name || c.code, title: c.description ?? '' }));
  if (current) categorySelect.value = current;
}

export function RefreshCalls(): void {
  loaded = true;
  void LoadCategories();
  void LoadToday();
}

export function CallsLoaded(): boolean {
  return loaded;
}

export function StopPicking(): void {
  OnMapClick(null);
  if (placeButton) placeButton.classList.remove('picking');
}

export function StartCallsPanel(): void {
  const root = ById('panel-calls');
  Clear(root);
  categorySelect = h('select', { name: 'category', 'data-testid': 'call-category', 'aria-label': 'Category', required: true });
  placeLabel = h('span', { class: 'mono', 'data-testid': 'call-location', text: 'not placed' });
  placeButton = h('button', { type: 'button', 'data-testid': 'call-place' }, 'Place on map');
  placeButton.addEventListener('click', () => {
    placeButton.classList.add('picking');
    OnMapClick((point) => {
      SetPlace(point);
      StopPicking();
      void CheckDuplicates().catch((e) => Toast(`Duplicates: ${(e as Error).message}`));
      return true;
    });
  });
  submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'call-submit' }, 'Check duplicates & create');
  dupBox = h('div', { class: 'duplicates', 'data-testid': 'duplicates' });
  listBox = h('div', { class: 'requests', 'data-testid': 'requests-today' });
  form = h(
    'form',
    { class: 'call-form', autocomplete: 'off' },
    h('label', {}, 'Category', categorySelect),
    h('label', {}, 'Description', h('textarea', { name: 'description', rows: 2, 'data-testid': 'call-description', required: true })),
    h('div', { class: 'place' }, placeButton, placeLabel),
    h('label', {}, 'Address', h('input', { name: 'address', 'data-testid': 'call-address' })),
    h(
      'label',
      {},
      'Channel',
      h(
        'select',
        { name: 'channel', 'data-testid': 'call-channel' },
        h('option', { value: 'REQUEST_CHANNEL_PHONE', text: 'phone' }),
        h('option', { value: 'REQUEST_CHANNEL_APP', text: 'app' }),
        h('option', { value: 'REQUEST_CHANNEL_WEB', text: 'web' }),
      ),
    ),
    h(
      'fieldset',
      {},
      h('legend', { text: 'Resident (kept apart, purged on schedule)' }),
      h('input', { name: 'firstName', placeholder: 'first name', 'aria-label': 'First name' }),
      h('input', { name: 'lastName', placeholder: 'last name', 'aria-label': 'Last name' }),
      h('input', { name: 'phone', placeholder: 'phone', type: 'tel', 'aria-label': 'Phone' }),
      h('input', { name: 'email', placeholder: 'e-mail', type: 'email', 'aria-label': 'E-mail' }),
    ),
    dupBox,
    submit,
  );
  form.dataset.key = NewKey();
  categorySelect.addEventListener('change', ResetDuplicates);
  form.addEventListener('reset', () => window.setTimeout(ResetDuplicates));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!location) return Toast('Place the call on the map first.');
    if (checkedFor !== Key()) {
      try {
        await CheckDuplicates();
      } catch (error) {
        return Toast(`Duplicates: ${(error as Error).message}`);
      }
      if (candidates.length) return; // the operator decides: link, or create anyway
    }
    await Create();
  });
  root.append(h('div', { class: 'panel-head' }, h('h2', { text: 'Call intake' })), form, h('h3', { text: "Today's requests" }), listBox);
}
