import type { ExperimentVerdict } from '../../lib/contracts/types.generated.ts';
import { getExperiment } from '../../lib/db/repositories/experiments.ts';
import { verdictView, type VerdictView } from '../../lib/api/schemas.ts';
import { notFound, route } from './api.pure.ts';

/** A verdict as the cp_verdicts read model keeps it: the event as JSON, its times as ISO strings. */
type StoredVerdict = Omit<ExperimentVerdict, 'decidedAt'> & { decidedAt: string };

function verdictOf(sequence: number, v: StoredVerdict): VerdictView {
  return {
    sequence,
    eventId: v.eventId,
    experimentVersion: v.experimentVersion,
    decidedAt: new Date(v.decidedAt).toISOString(),
    decision: v.decision,
    reasons: v.reasons.map((r) => ({ code: r.code, detail: r.detail ?? null })),
    after: v.after ?? 0,
    runCounts: v.runCounts ?? null,
    trafficSplit: v.trafficSplit,
    primary: v.statistics.primary,
    primaryDetail: v.primaryDetail ?? null,
    guardrails: v.statistics.guardrails,
    armSummaries: v.armSummaries ?? [],
    pairs: v.pairs ?? null,
  };
}

export const verdictRoutes = [
  route({
    operationId: 'listVerdicts',
    method: 'GET',
    path: '/api/experiments/{experimentId}/verdicts',
    permission: 'read',
    summary: "the judge's verdicts on an experiment, oldest first: the confidence sequence over time",
    responses: { 200: { description: 'in sequence', schema: verdictView.array() } },
    async handle({ params, ctx }) {
      const experimentId = params['experimentId']!;
      if (!(await getExperiment(ctx.db, experimentId))) throw notFound('experimentId', 'experiment', experimentId);
      const rows = await ctx.db
        .selectFrom('cp_verdicts')
        .select(['sequence', 'verdict'])
        .where('experiment_id', '=', experimentId)
        .orderBy('sequence')
        .execute();
      return { status: 200, body: rows.map((r) => verdictOf(r.sequence, r.verdict as StoredVerdict)) };
    },
  }),
];
