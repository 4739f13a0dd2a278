import type { Transaction } from 'kysely';
import type { AgentWindowUpdated, ExperimentVerdict } from '../../../lib/contracts/types.generated.ts';
import { jsonb } from '../../../lib/db/json.ts';
import type { Database } from '../../../lib/db/schema.ts';
import type { BatchHandler } from '../../../lib/kafka/batch.ts';
import type { Logger } from '../../../lib/logging.ts';
import { foldVerdict, foldWindow, verdictRecord } from './fold.pure.ts';

type Trx = Transaction<Database>;

/** jsonb of a decoded event's part: avsc decodes records as class instances, which jsonb refuses; their fields are the data. */
const json = (value: unknown): string => jsonb(JSON.parse(JSON.stringify(value)));

/** The tables the projection owns: what a rebuild empties. */
export const readModelTables = ['cp_experiments', 'cp_verdicts', 'cp_agent_windows'] as const;

async function applyVerdict(trx: Trx, verdict: ExperimentVerdict, logger: Logger): Promise<void> {
  const record = verdictRecord(verdict);
  if (!record) {
    logger.warn('verdict without a sequence; not kept', { eventId: verdict.eventId });
    return;
  }
  await trx
    .insertInto('cp_verdicts')
    .values({
      experiment_id: record.experimentId,
      sequence: record.sequence,
      event_id: record.eventId,
      agent_id: record.agentId,
      experiment_version: record.experimentVersion,
      decided_at: record.decidedAt,
      verdict: json(record.verdict),
    })
    .onConflict((oc) => oc.columns(['experiment_id', 'sequence']).doNothing())
    .execute();
  const current = await trx
    .selectFrom('cp_experiments')
    .select('verdict_sequence as verdictSequence')
    .where('experiment_id', '=', record.experimentId)
    .forUpdate()
    .executeTakeFirst();
  const next = foldVerdict(current, record);
  if (!next) return;
  const row = {
    agent_id: next.agentId,
    verdict_sequence: next.verdictSequence,
    decided_at: next.decidedAt,
    decision: json(next.decision),
    statistics: json(next.statistics),
    run_counts: json(next.runCounts),
    policy: json(next.policy),
    updated_at: new Date(),
  };
  await trx
    .insertInto('cp_experiments')
    .values({ experiment_id: next.experimentId, ...row })
    .onConflict((oc) => oc.column('experiment_id').doUpdateSet(row))
    .execute();
}

async function applyWindow(trx: Trx, event: AgentWindowUpdated): Promise<void> {
  const current = await trx
    .selectFrom('cp_agent_windows')
    .select('updated_at as updatedAt')
    .where('agent_id', '=', event.agentId)
    .forUpdate()
    .executeTakeFirst();
  const next = foldWindow(current, event);
  if (!next) return;
  const row = {
    agent_version_id: next.agentVersionId,
    updated_at: next.updatedAt,
    window_summary: json(next.window),
    top_failure_categories: json(next.topFailureCategories),
  };
  await trx
    .insertInto('cp_agent_windows')
    .values({ agent_id: next.agentId, ...row })
    .onConflict((oc) => oc.column('agent_id').doUpdateSet(row))
    .execute();
}

/**
 * The read-model projection on the consumer runtime: each batch's events folded into the control plane's tables, in
 * the batch's transaction (effectively once, docs/consumer-runtime.md). It publishes nothing.
 */
export function readModelHandler(deps: { logger: Logger }): BatchHandler {
  return async (trx, events) => {
    for (const event of events) {
      if (event.topic === 'learning.experiment.verdict.v1')
        await applyVerdict(trx, event.value as ExperimentVerdict, deps.logger);
      else if (event.topic === 'learning.agent.window.v1') await applyWindow(trx, event.value as AgentWindowUpdated);
    }
    return [];
  };
}
