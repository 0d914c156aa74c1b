/**
 * Reading values of losslessly parsed JSON for display: numbers arrive as LosslessNumber
 * objects (exact text), ids as strings; nothing here turns an id into a JS number.
 */
import { isLosslessNumber } from '@qsen/core/json';

/** A JSON object (or an empty one when the value is not an object). */
export function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** A JSON array (or an empty one). */
export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The display text of a scalar (exact for numbers), '-' for null or missing. */
export function formatScalar(value: unknown): string {
  if (value === undefined || value === null) return '-';
  if (isLosslessNumber(value)) return value.toString();
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** A small count or figure (pids, seconds, sizes) as a number, or undefined. */
export function asSmallNumber(value: unknown): number | undefined {
  if (isLosslessNumber(value)) {
    const n = Number(value.toString());
    return Number.isFinite(n) ? n : undefined;
  }
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return undefined;
}

/** Flattens nested JSON into `path  value` pairs for human output. */
export function flattenForDisplay(value: unknown, prefix = ''): Array<[string, string]> {
  if (Array.isArray(value)) {
    if (value.length === 0) return [[prefix, '[]']];
    return value.flatMap((item, i) => flattenForDisplay(item, `${prefix}[${i}]`));
  }
  if (typeof value === 'object' && value !== null && !isLosslessNumber(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return [[prefix, '{}']];
    return entries.flatMap(([k, v]) => flattenForDisplay(v, prefix === '' ? k : `${prefix}.${k}`));
  }
  return [[prefix, formatScalar(value)]];
}

/** Seconds as a short duration: 45s, 12m 3s, 5h 2m, 3d 4h. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** Bytes in binary units: 512 B, 1.5 KiB, 3.2 MiB. */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
