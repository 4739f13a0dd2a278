/**
 * A proposal's summary: what its change does and why, for a person (the `summary` the proposer stores in the
 * proposal's `change` column); null when the proposal has none.
 */
export function proposalSummary(change: unknown): string | null {
  const summary = (change as { summary?: unknown } | null)?.summary;
  return typeof summary === 'string' && summary !== '' ? summary : null;
}
