import type { Actor } from '../api.pure.ts';
import type { ApiCall } from '../server.ts';
import type { VerdictPoint } from './experiment.pure.ts';

interface VerdictAnswer {
  decidedAt: string;
  decision: string;
  reasons: { code: string; detail: string | null }[];
  primary: { estimate: number; lower: number; upper: number } | null;
  primaryDetail: { chanceToWin: number } | null;
}

/**
 * The judge's analyses of an experiment, oldest first, for the chart: from GET /api/experiments/{experimentId}/verdicts
 * (the control plane's verdict read model) where the API has that route, else from the audit log's judge entries.
 */
export async function verdictHistory(api: ApiCall, actor: Actor, experimentId: string): Promise<VerdictPoint[]> {
  const reply = await api(actor, 'GET', `/api/experiments/${encodeURIComponent(experimentId)}/verdicts`);
  if (reply.status === 200)
    return (reply.body as VerdictAnswer[]).map((v) => ({
      at: v.decidedAt,
      estimate: v.primary?.estimate ?? null,
      lower: v.primary?.lower ?? null,
      upper: v.primary?.upper ?? null,
      action: v.decision,
      reasons: v.reasons,
      chanceToWin: v.primaryDetail?.chanceToWin ?? null,
    }));
  const error = (reply.body as { error?: string } | null)?.error ?? '';
  if (!(reply.status === 404 && error.startsWith('no route'))) throw new Error(`verdicts of ${experimentId}: ${error}`);
  return fromAudit(api, actor, experimentId);
}

/** The same from the audit log: each judge entry holds its decision and the statistics it was made on. */
async function fromAudit(api: ApiCall, actor: Actor, experimentId: string): Promise<VerdictPoint[]> {
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
        primaryDetail?: { chanceToWin: number } | null;
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
        chanceToWin: payload.primaryDetail?.chanceToWin ?? null,
      });
    }
    if (page.nextBeforeId === null) break;
    beforeId = page.nextBeforeId;
  }
  return points.sort((a, b) => a.at.localeCompare(b.at));
}
