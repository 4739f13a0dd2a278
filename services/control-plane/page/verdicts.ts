import type { VerdictView } from '../../../lib/api/schemas.ts';
import type { Actor } from '../api.pure.ts';
import type { ApiCall } from '../server.ts';
import type { VerdictPoint } from './experiment.pure.ts';

/**
 * The judge's verdicts on an experiment, oldest first, for the chart: GET /api/experiments/{experimentId}/verdicts,
 * the control plane's verdict read model (a verdict at each decision and every ~10% more data).
 */
export async function verdictHistory(api: ApiCall, actor: Actor, experimentId: string): Promise<VerdictPoint[]> {
  const reply = await api(actor, 'GET', `/api/experiments/${encodeURIComponent(experimentId)}/verdicts`);
  if (reply.status !== 200) {
    const error = (reply.body as { error?: string } | null)?.error ?? `HTTP ${reply.status}`;
    throw new Error(`verdicts of ${experimentId}: ${error}`);
  }
  return (reply.body as VerdictView[]).map((v) => ({
    at: new Date(v.decidedAt).toISOString(),
    estimate: v.primary?.estimate ?? null,
    lower: v.primary?.lower ?? null,
    upper: v.primary?.upper ?? null,
    action: v.decision,
    reasons: v.reasons,
    chanceToWin: v.primaryDetail?.chanceToWin ?? null,
  }));
}
