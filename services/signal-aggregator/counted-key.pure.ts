import type { RunCompleted, RunEvaluated } from '../../lib/contracts/types.generated.ts';
import type { ConsumedEvent } from '../../lib/kafka/batch.ts';

/**
 * A run counts once per (runId, arm), an evaluation once per (runId, arm, evaluator): the consumer runtime already
 * drops a repeated eventId, this also drops the same run re-sent under a new one.
 */
export function countedKey(event: ConsumedEvent): string {
  if (event.topic === 'agent.run.completed.v1') {
    const run = event.value as RunCompleted;
    return JSON.stringify(['run', run.runId, run.arm]);
  }
  const evaluation = event.value as RunEvaluated;
  return JSON.stringify(['evaluation', evaluation.runId, evaluation.arm, evaluation.evaluatorId]);
}
