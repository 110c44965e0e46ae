// The live feed: Server-Sent Events from GET /api/v1/events. A lost
// connection is re-opened from the last event id seen; `reset` (the gateway
// no longer holds what we missed) reloads the state by REST.
import { Get } from './api';
import { ById } from './dom';
import { GetToken } from './session';

export type LiveState = 'connecting' | 'open' | 'reconnecting' | 'closed';
export type LiveHandler = (type: string, data: unknown) => void;

const kTypes = ['incident', 'assignment', 'crew', 'lighting', 'call', 'crisis'];

let source: EventSource | null = null;
let lastEventId = '';
let retryTimer = 0;
let retryMs = 1000;
let handler: LiveHandler = () => {};
let onReset: () => void = () => {};
let eventCount = 0;

function Show(state: LiveState, detail = ''): void {
  const el = ById('live');
  el.dataset.state = state;
  const text = el.querySelector('.live-text');
  const labels: Record<LiveState, string> = { connecting: 'connecting', open: 'live', reconnecting: 'reconnecting', closed: 'offline' };
  if (text) text.textContent = labels[state];
  el.title = `Live feed: ${labels[state]}${detail ? ` (${detail})` : ''}; ${eventCount} events`;
}

function Url(): string {
  const params = new URLSearchParams({ access_token: GetToken() ?? '' });
  if (lastEventId) params.set('last_event_id', lastEventId);
  return `/api/v1/events?${params.toString()}`;
}

function Open(): void {
  Close(false);
  if (!GetToken()) return;
  Show(lastEventId ? 'reconnecting' : 'connecting');
  const es = new EventSource(Url());
  source = es;
  es.onopen = () => {
    retryMs = 1000;
    Show('open');
  };
  es.onerror = () => {
    if (source !== es) return;
    if (es.readyState === EventSource.CONNECTING) {
      Show('reconnecting');
      return;
    }
    // Closed for good (an HTTP error such as 401): ask why, then try again.
    Show('reconnecting', 'connection refused');
    es.close();
    source = null;
    window.clearTimeout(retryTimer);
    retryTimer = window.setTimeout(async () => {
      try {
        await Get('/api/v1/me'); // a 401 here ends the session
        Open();
      } catch {
        if (GetToken()) Open();
      }
    }, retryMs);
    retryMs = Math.min(retryMs * 2, 15000);
  };
  const listen = (type: string) =>
    es.addEventListener(type, (event) => {
      const message = event as MessageEvent<string>;
      if (message.lastEventId) lastEventId = message.lastEventId;
      eventCount++;
      let data: unknown = null;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      try {
        handler(type, data);
      } catch (error) {
        console.error('live event', type, error);
      }
    });
  for (const type of kTypes) listen(type);
  es.addEventListener('reset', (event) => {
    const message = event as MessageEvent<string>;
    if (message.lastEventId) lastEventId = message.lastEventId;
    onReset();
  });
}

function Close(show = true): void {
  window.clearTimeout(retryTimer);
  if (source) {
    source.close();
    source = null;
  }
  if (show) Show('closed');
}

export function StartLive(onEvent: LiveHandler, reset: () => void): void {
  handler = onEvent;
  onReset = reset;
  lastEventId = '';
  retryMs = 1000;
  Open();
}

export function StopLive(): void {
  Close();
  lastEventId = '';
}
