import { recordBytes } from './limits.pure.ts';

interface SizedRow {
  key: Buffer | null;
  value: Buffer;
  headers: Readonly<Record<string, string>>;
  event_id: string;
}

export type OutboxBatch<R> = { rows: R[]; oversized?: undefined } | { rows: []; oversized: { row: R; bytes: number } };

/**
 * The leading rows that fit in `maxBytes` together (always at least one that fits on its own). A first row that can
 * never fit is returned as `oversized`, to be parked; one further on ends the batch before it, so order holds.
 */
export function takeBatch<R extends SizedRow>(rows: readonly R[], maxBytes: number): OutboxBatch<R> {
  const out: R[] = [];
  let total = 0;
  for (const row of rows) {
    const bytes = recordBytes({ key: row.key, value: row.value, headers: { ...row.headers, eventId: row.event_id } });
    if (bytes > maxBytes) {
      if (out.length === 0) return { rows: [], oversized: { row, bytes } };
      break;
    }
    if (out.length > 0 && total + bytes > maxBytes) break;
    out.push(row);
    total += bytes;
  }
  return { rows: out };
}

const tooLargeTypes = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/** The broker's refusal of a batch as too large, found in kafkajs's error (nested in causes or aggregates), if any. */
export function tooLargeReason(err: unknown, depth = 0): string | undefined {
  if (err === null || typeof err !== 'object' || depth > 5) return undefined;
  const e = err as { type?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.type === 'string' && tooLargeTypes.has(e.type))
    return `the broker refused it: ${e.type} (${String(e.message)})`;
  for (const inner of [e.cause, ...(Array.isArray(e.errors) ? e.errors : [])]) {
    const found = tooLargeReason(inner, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
