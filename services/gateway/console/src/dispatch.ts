// Dispatch for the selected incident: its work orders, and a crew picker
// (crews with the order's skill, available first, then nearest) to assign
// one by hand.
import { Get, Post, Segment } from './api';
import { ById, Clear, h, Toast } from './dom';
import { Distance, DistanceM, Duration, EnumLabel, Time } from './format';
import { CrewPoint } from './map';
import { PutCrew, state, Subscribe } from './store';
import type { AssignmentEvent, Crew, ListCrewsResponse, ListWorkOrdersResponse, WorkOrder } from './types';

let root: HTMLElement;
let body: HTMLElement;
let orders: WorkOrder[] = [];
let ordersFor: string | null = null;
let loading = false;
// The crew chosen in each order's picker, kept across re-renders.
const chosen = new Map<string, string>();

function CrewName(id: string | undefined): string {
  if (!id) return '—';
  return state.crews.get(id)?.name ?? id;
}

function Candidates(order: WorkOrder): Crew[] {
  const withSkill = [...state.crews.values()].filter((c) => !order.skill || (c.skills ?? []).includes(order.skill));
  const rank = (c: Crew) => (c.status === 'CREW_STATUS_AVAILABLE' ? 0 : c.status === 'CREW_STATUS_OFF_DUTY' ? 2 : 1);
  const location = order.location ?? state.incidents.get(order.incidentId ?? '')?.location;
  return withSkill
    .map((c) => ({ c, d: DistanceM(location, CrewPoint(c)) }))
    .sort((a, b) => rank(a.c) - rank(b.c) || a.d - b.d || a.c.id.localeCompare(b.c.id))
    .map(({ c }) => c);
}

let crewSignature = '';

function CrewSignature(): string {
  const skills = new Set(orders.map((o) => o.skill ?? ''));
  return [...state.crews.values()]
    .filter((c) => skills.has('') || (c.skills ?? []).some((s) => skills.has(s)))
    .map((c) => `${c.id}:${c.status}:${c.workOrderId ?? ''}:${c.name ?? ''}`)
    .sort()
    .join(',');
}

function OrderCard(order: WorkOrder): HTMLElement {
  const location = order.location ?? state.incidents.get(order.incidentId ?? '')?.location;
  const picker = h('select', { 'data-testid': 'crew-picker', 'data-work-order-id': order.id, 'aria-label': 'Crew' });
  const candidates = Candidates(order);
  picker.append(h('option', { value: '', text: candidates.length ? 'Choose a crew…' : `No crew with the skill ${order.skill ?? ''}` }));
  for (const crew of candidates) {
    const available = crew.status === 'CREW_STATUS_AVAILABLE' && !crew.workOrderId;
    const current = crew.id === order.crewId;
    picker.append(
      h('option', {
        value: crew.id,
        'data-crew-id': crew.id,
        'data-available': String(available),
        'data-current': String(current),
        text: `${crew.name ?? crew.id} · ${EnumLabel(crew.status, 'CREW_STATUS_')} · ${Distance(DistanceM(location, CrewPoint(crew)))}${current ? ' · current' : ''}`,
      }),
    );
  }
  picker.value = chosen.get(order.id) ?? '';
  picker.addEventListener('change', () => chosen.set(order.id, picker.value));
  const assign = h('button', { type: 'button', class: 'primary', 'data-testid': 'assign-crew', 'data-work-order-id': order.id }, 'Assign');
  const closed = order.status === 'WORK_ORDER_STATUS_COMPLETED' || order.status === 'WORK_ORDER_STATUS_CANCELLED' || order.status === 'WORK_ORDER_STATUS_ON_SITE';
  assign.disabled = closed;
  picker.disabled = closed;
  assign.addEventListener('click', async () => {
    const crewId = picker.value;
    if (!crewId) return Toast('Choose a crew first.');
    assign.disabled = true;
    try {
      const updated = await Post<WorkOrder>(`/api/v1/work-orders/${Segment(order.id)}:assign`, { crewId });
      chosen.delete(order.id);
      PutOrder(updated);
      Toast(`Work order assigned to ${CrewName(crewId)}.`, 'info');
      void RefreshCrews();
    } catch (error) {
      Toast(`Assign failed: ${(error as Error).message}`);
      assign.disabled = false;
    }
  });
  return h(
    'div',
    { class: 'order', 'data-testid': 'work-order', 'data-work-order-id': order.id },
    h('div', { class: 'order-head' }, h('strong', { text: order.title || order.id }), h('span', { class: 'muted', text: order.id })),
    h(
      'dl',
      { class: 'fields' },
      h('dt', { text: 'Status' }),
      h('dd', {}, h('span', { class: `status ${order.status ?? ''}`, 'data-testid': 'work-order-status', 'data-status': order.status ?? '', text: EnumLabel(order.status, 'WORK_ORDER_STATUS_') })),
      h('dt', { text: 'Crew' }),
      h('dd', { 'data-testid': 'work-order-crew', 'data-crew-id': order.crewId ?? '', text: order.crewId ? `${CrewName(order.crewId)} (${order.crewId})` : '—' }),
      h('dt', { text: 'Skill' }),
      h('dd', { text: order.skill ?? '—' }),
      h('dt', { text: 'ETA' }),
      h('dd', { text: order.etaS ? Duration(order.etaS) : '—' }),
      h('dt', { text: 'Arrive by' }),
      h('dd', { class: order.targetBreached ? 'breached' : '', text: `${Time(order.arriveBy)}${order.targetBreached ? ' (missed)' : ''}` }),
      h('dt', { text: 'Assigned' }),
      h('dd', { text: order.assignedAt ? `${Time(order.assignedAt)}${order.manual ? ` by ${order.assignedBy ?? 'hand'}` : ' (automatic)'}` : '—' }),
      (order.declinedBy?.length ?? 0) > 0 ? h('dt', { text: 'Declined by' }) : null,
      (order.declinedBy?.length ?? 0) > 0 ? h('dd', { text: (order.declinedBy ?? []).map(CrewName).join(', ') }) : null,
    ),
    h('div', { class: 'actions-row' }, picker, assign),
  );
}

function Render(): void {
  const id = state.selectedIncidentId;
  crewSignature = CrewSignature();
  Clear(body);
  if (!id) {
    body.append(h('p', { class: 'muted', text: 'Select an incident to dispatch a crew.' }));
    return;
  }
  const incident = state.incidents.get(id);
  body.append(h('p', { class: 'dispatch-for' }, 'Incident ', h('strong', { text: incident?.title || id }), incident?.requiredSkill ? ` · skill ${incident.requiredSkill}` : ''));
  if (ordersFor !== id) {
    body.append(h('p', { class: 'muted', text: 'Loading work orders…' }));
    return;
  }
  if (!orders.length) {
    body.append(h('p', { class: 'muted', 'data-testid': 'no-work-order', text: 'No active work order for this incident (yet).' }));
    return;
  }
  for (const order of orders) body.append(OrderCard(order));
}

function PutOrder(order: WorkOrder): void {
  if (order.incidentId !== state.selectedIncidentId || ordersFor !== order.incidentId) return;
  const i = orders.findIndex((o) => o.id === order.id);
  if (i >= 0) orders[i] = order;
  else orders.unshift(order);
  Render();
}

async function LoadOrders(): Promise<void> {
  const id = state.selectedIncidentId;
  if (!id || loading) return;
  loading = true;
  try {
    const answer = await Get<ListWorkOrdersResponse>('/api/v1/work-orders', { incidentId: id, pageSize: 50 });
    if (state.selectedIncidentId === id) {
      orders = answer.workOrders ?? [];
      ordersFor = id;
      Render();
    }
  } catch (error) {
    Toast(`Work orders: ${(error as Error).message}`);
  } finally {
    loading = false;
  }
  if (state.selectedIncidentId !== id) void LoadOrders();
}

export async function RefreshCrews(): Promise<void> {
  try {
    const answer = await Get<ListCrewsResponse>('/api/v1/crews');
    for (const crew of answer.crews ?? []) PutCrew(crew);
  } catch (error) {
    Toast(`Crews: ${(error as Error).message}`);
  }
}

// From the live feed.
export function OnAssignmentEvent(event: AssignmentEvent): void {
  const order = event.workOrder;
  if (!order || order.incidentId !== state.selectedIncidentId) return;
  if (ordersFor === order.incidentId) PutOrder(order);
  else void LoadOrders();
}

export function StartDispatchPanel(): void {
  root = ById('panel-dispatch');
  Clear(root);
  const reload = h('button', { type: 'button', class: 'ghost', 'data-testid': 'reload-work-orders' }, 'Reload');
  reload.addEventListener('click', () => {
    void RefreshCrews();
    void LoadOrders();
  });
  body = h('div', { class: 'dispatch-body' });
  root.append(h('div', { class: 'panel-head' }, h('h2', { text: 'Dispatch' }), reload), body);
  Subscribe('selection', () => {
    orders = [];
    ordersFor = null;
    Render();
    void LoadOrders();
    void RefreshCrews();
  });
  // Crews move all the time: the panel is drawn again only when a crew with
  // the skill changed status or order (not for every position).
  Subscribe('crews', () => {
    const signature = CrewSignature();
    if (signature === crewSignature) return;
    crewSignature = signature;
    if (!root.contains(document.activeElement) || document.activeElement?.tagName !== 'SELECT') Render();
  });
  Render();
}
