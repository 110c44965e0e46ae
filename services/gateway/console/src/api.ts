// The gateway's REST routes (services/gateway/README.md). Every call carries
// the session's token; a 401 ends the session (the login screen comes back).
import { GetToken } from './session';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Unauthorized = () => void;
let onUnauthorized: Unauthorized = () => {};

export function OnUnauthorized(handler: Unauthorized): void {
  onUnauthorized = handler;
}

export type Query = Record<string, string | number | boolean | undefined | Array<string | number>>;

export function WithQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === '') continue;
    if (Array.isArray(value)) {
      for (const item of value) params.append(key, String(item));
    } else {
      params.append(key, String(value));
    }
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function Send<T>(method: string, path: string, body?: unknown, authenticated = true): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const token = GetToken();
  if (authenticated && token) headers['Authorization'] = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (error) {
    throw new ApiError(0, `network error: ${(error as Error).message}`);
  }
  const text = await response.text();
  let json: unknown = undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (!response.ok) {
    const message =
      (json as { message?: string } | undefined)?.message ?? (text.slice(0, 200) || response.statusText);
    if (response.status === 401 && authenticated) onUnauthorized();
    throw new ApiError(response.status, message);
  }
  return (json ?? {}) as T;
}

export function Get<T>(path: string, query?: Query): Promise<T> {
  return Send<T>('GET', WithQuery(path, query));
}

export function Post<T>(path: string, body: unknown = {}): Promise<T> {
  return Send<T>('POST', path, body);
}

export function Delete<T>(path: string): Promise<T> {
  return Send<T>('DELETE', path);
}

export function PostAnonymous<T>(path: string, body: unknown): Promise<T> {
  return Send<T>('POST', path, body, false);
}

// Follows nextPageToken until the last page (or `maxPages`), handing each page over.
export async function GetPages<P extends { nextPageToken?: string }>(
  path: string,
  query: Query,
  onPage: (page: P) => void,
  maxPages = 1000,
): Promise<void> {
  let token = '';
  for (let i = 0; i < maxPages; ++i) {
    const page = await Get<P>(path, { ...query, pageToken: token || undefined });
    onPage(page);
    token = page.nextPageToken ?? '';
    if (!token) return;
  }
}

// An id as a path segment: ids are [A-Za-z0-9._:-], but never trust that.
export function Segment(id: string): string {
  return encodeURIComponent(id);
}
