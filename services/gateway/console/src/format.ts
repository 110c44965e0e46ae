// Small formatting helpers shared by the panels.
import type { GeoPoint, Priority } from './types';

export const kPriorityRank: Record<string, number> = {
  PRIORITY_CRITICAL: 4,
  PRIORITY_HIGH: 3,
  PRIORITY_NORMAL: 2,
  PRIORITY_MEDIUM: 2,
  PRIORITY_LOW: 1,
};

export const kPriorityColour: Record<string, string> = {
  PRIORITY_CRITICAL: '#ff3b30',
  PRIORITY_HIGH: '#ff9500',
  PRIORITY_NORMAL: '#ffd60a',
  PRIORITY_MEDIUM: '#ffd60a',
  PRIORITY_LOW: '#0a84ff',
};

export function PriorityRank(p: Priority | string | undefined): number {
  return kPriorityRank[p ?? ''] ?? 0;
}

export function PriorityColour(p: Priority | string | undefined): string {
  return kPriorityColour[p ?? ''] ?? '#8e8e93';
}

// "PRIORITY_CRITICAL" -> "CRITICAL", "WORK_ORDER_STATUS_ON_SITE" -> "ON SITE".
export function EnumLabel(value: string | undefined, prefix: string): string {
  if (!value) return '—';
  const bare = value.startsWith(prefix) ? value.slice(prefix.length) : value;
  return bare.replace(/_/g, ' ');
}

export function Time(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function DateTime(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

export function Age(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return '—';
  return Duration(Math.max(0, (now - t) / 1000));
}

export function Duration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} m ${String(Math.round(seconds % 60)).padStart(2, '0')} s`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')} m`;
  return `${Math.floor(seconds / 86400)} d ${Math.floor((seconds % 86400) / 3600)} h`;
}

// Great-circle distance in metres.
export function DistanceM(a: GeoPoint | undefined, b: GeoPoint | undefined): number {
  if (!a || !b || a.lat === undefined || b.lat === undefined) return Number.POSITIVE_INFINITY;
  const r = 6371000;
  const rad = Math.PI / 180;
  const dLat = ((b.lat ?? 0) - (a.lat ?? 0)) * rad;
  const dLon = ((b.lon ?? 0) - (a.lon ?? 0)) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos((a.lat ?? 0) * rad) * Math.cos((b.lat ?? 0) * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(h));
}

export function Distance(m: number): string {
  if (!Number.isFinite(m)) return '? km';
  return m < 1000 ? `${Math.round(m)} m` : `${(m / 1000).toFixed(1)} km`;
}

export function LocalDate(d: Date): string {
  const y = d.getFullYear();
  const m = String(d.getMonth() + 1).padStart(2, '0');
  const day = String(d.getDate()).padStart(2, '0');
  return `${y}-${m}-${day}`;
}
