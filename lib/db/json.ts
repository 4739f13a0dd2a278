import { canonicalJson } from '../audit/canonical.ts';

/**
 * A value for a jsonb column, as JSON text. pg sends a JS array as a Postgres array literal and a Date in local time,
 * so jsonb values always go as text; the column types (lib/db/schema.ts) insist on it. What JSON cannot hold
 * faithfully (NaN, bigint, a Map, a cycle) is refused here rather than silently stored as null or {}.
 */
export function jsonb(value: unknown): string {
  canonicalJson(value);
  return JSON.stringify(value);
}

/** The value as it reads back from jsonb: what was written, minus what JSON.stringify drops (undefined properties). */
export function asStored<T>(value: T): T {
  return JSON.parse(jsonb(value)) as T;
}
