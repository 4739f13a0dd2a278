import type { Actor } from '../api.pure.ts';
import type { ApiCall } from '../server.ts';
import type { VerdictPoint } from './experiment.pure.ts';

/**
 * The judge's analyses of an experiment, oldest first, for the chart: read from the audit log's judge entries (each
 * holds the decision and the statistics it was made on), a page of 1,000 at a time. The read-models branch's
 * GET /api/experiments/{experimentId}/verdicts replaces this one function when it lands.
 */
export async function verdictHistory(api: ApiCall, actor: Actor, experimentId: string): Promise<VerdictPoint[]> {
  const points: VerdictPoint[] = [];
  let beforeId: number | null = null;
  for (;;) {
    const query = new URLSearchParams({ subjectType: 'experiment', subjectId: experimentId, limit: '1000' });
    if (beforeId !== null) query.set('beforeId', String(beforeId));
    const reply = await api(actor, 'GET', `/api/audit?${query}`);
    if (reply.status !== 200) throw new Error(`audit of experiment ${experimentId}: HTTP ${reply.status}`);
    const page = reply.body as { entries: { at: string; payload: unknown }[]; nextBeforeId: number | null };
    for (const entry of page.entries) {
      const payload = entry.payload as {
        kind?: string;
        decision?: { action: string; reasons: { code: string; detail?: string | null }[] };
        statistics?: { primary: { estimate: number; lower: number; upper: number } | null };
        inputs?: { now?: string | number };
      } | null;
      if (payload?.kind !== 'judge.decision' || !payload.decision) continue;
      const primary = payload.statistics?.primary ?? null;
      const at = payload.inputs?.now === undefined ? entry.at : new Date(payload.inputs.now).toISOString();
      points.push({
        at,
        estimate: primary?.estimate ?? null,
        lower: primary?.lower ?? null,
        upper: primary?.upper ?? null,
        action: payload.decision.action,
        reasons: payload.decision.reasons.map((r) => ({ code: r.code, detail: r.detail ?? null })),
      });
    }
    if (page.nextBeforeId === null) break;
    beforeId = page.nextBeforeId;
  }
  return points.sort((a, b) => a.at.localeCompare(b.at));
}
