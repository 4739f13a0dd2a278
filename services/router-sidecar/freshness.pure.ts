/**
 * How fresh the router's view of the state topics is. An experiment's state changes rarely, so the age of the last
 * state says nothing; what matters is when the router last knew it had read everything published. A probe reads the
 * topics' end offsets (read committed: the last stable offset); if the consumer's position has reached the end of every
 * partition, the view is complete as of the moment the probe started. The state age is the time since then.
 */

export interface Freshness {
  /** Next offset to read, per "topic\0partition", as the consumer reports batches done. */
  positions: Map<string, number>;
  /** When a probe last found every partition read to its end; null until the first time (not ready). */
  completeAsOfMs: number | null;
}

export interface PartitionEnd {
  topic: string;
  partition: number;
  /** The first offset still in the log. */
  low: number;
  /** The next offset to be written (read committed). */
  high: number;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export function createFreshness(): Freshness {
  return { positions: new Map(), completeAsOfMs: null };
}

/** The consumer finished a batch (or skipped control records) up to `lastOffset`. Positions only move forward. */
export function recordPosition(f: Freshness, topic: string, partition: number, lastOffset: number): void {
  const k = key(topic, partition);
  const next = lastOffset + 1;
  if ((f.positions.get(k) ?? -1) < next) f.positions.set(k, next);
}

/** A partition with nothing left in it (low = high) counts as read. */
export function caughtUp(f: Freshness, ends: readonly PartitionEnd[]): boolean {
  return ends.every((e) => e.high <= e.low || (f.positions.get(key(e.topic, e.partition)) ?? -1) >= e.high);
}

/** A probe that started at `startedAtMs` read these ends; returns whether the view was complete then. */
export function recordProbe(f: Freshness, startedAtMs: number, ends: readonly PartitionEnd[]): boolean {
  const complete = caughtUp(f, ends);
  if (complete && (f.completeAsOfMs === null || startedAtMs > f.completeAsOfMs)) f.completeAsOfMs = startedAtMs;
  return complete;
}

export function stateAgeMs(f: Freshness, nowMs: number): number {
  return f.completeAsOfMs === null ? Number.POSITIVE_INFINITY : Math.max(0, nowMs - f.completeAsOfMs);
}

/** Forget the positions (a new consumer reads from the beginning again); completeAsOf stays, and ages. */
export function resetPositions(f: Freshness): void {
  f.positions.clear();
}
