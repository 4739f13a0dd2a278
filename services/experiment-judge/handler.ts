import { appendAudit } from '../../lib/db/repositories/audit.ts';
import { isActive } from '../../lib/experiments/status.pure.ts';
import type { BatchHandler } from '../../lib/kafka/batch.ts';
import type { Logger } from '../../lib/logging.ts';
import { carryOut } from './actions.ts';
import { applyEvent, newFold } from './fold.pure.ts';
import type { JudgeMetrics } from './metrics.ts';
import { loadWorld, saveJudges, saveRunsAndUnits } from './store.ts';

/**
 * The judge on the consumer runtime: load and lock what the batch names, fold the events in (statistics and decision
 * after every event, fold.pure.ts), write back the join state, carry out the decisions, save the judge state, append the
 * audit entries; the runtime commits all of it with the offsets and the events returned.
 */
export function judgeHandler(deps: { metrics: JudgeMetrics; logger: Logger }): BatchHandler {
  const { metrics, logger } = deps;
  return async (trx, events) => {
    const { world, problems, frozen } = await loadWorld(trx, events);
    for (const problem of problems) {
      metrics.invalidExperiments.inc();
      logger.error('experiment has an invalid stored policy or ramp schedule; not judged', { ...problem });
    }
    const started = process.hrtime.bigint();
    const fold = newFold(world);
    for (const id of frozen) fold.changes.judges.add(id);
    for (const event of events) applyEvent(fold, event);
    metrics.analysis.observe(Number(process.hrtime.bigint() - started) / 1e9);
    for (const [key, n] of fold.tally) {
      const [kind, outcome] = key.split(':') as [string, string];
      metrics.events.inc({ kind, outcome }, n);
    }

    // Rows of experiments that ended in this batch are dropped by carryOut; writing them first keeps that simple.
    await saveRunsAndUnits(trx, world, fold.changes);
    const { emitted, audits } = await carryOut(trx, fold, metrics);
    await saveJudges(trx, world, fold.changes.judges);
    for (const entry of audits) await appendAudit(trx, entry);
    for (const outcome of fold.outcomes) {
      const { decision } = outcome.judgement;
      if (decision.action === 'continue' && isActive(outcome.after.status)) continue;
      logger.info('experiment decision', {
        experimentId: outcome.experimentId,
        decision: decision.action,
        status: outcome.after.status,
        reasons: decision.reasons.map((r) => r.code),
        version: outcome.after.version,
      });
    }
    return emitted;
  };
}
