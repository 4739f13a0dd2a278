import { describe, expect, it } from 'vitest';
import { produceRuns, runCompleted } from '../../helpers/kafka-topics.ts';
import { waitUntilDrained } from '../../helpers/runtime.ts';
import { startService } from '../../helpers/service-process.ts';
import { watchTopic } from '../../helpers/watch-topic.ts';
import type { SessionTriggered } from '../../../lib/contracts/types.generated.ts';
import { testClients } from '../../helpers/clients.ts';
import { useCleanups } from '../../helpers/cleanups.ts';
import { isolated as isolatedStack } from '../../helpers/isolated.ts';

const { kafka, serde } = testClients('aggregator-crash-test');

const cleanup = useCleanups();

const AGENTS = 200;
const RUNS_PER_AGENT = 200;

/** Failing agents (every run fails), agents whose every run hits a guardrail, and healthy ones, interleaved. */
const stream = Array.from({ length: AGENTS * RUNS_PER_AGENT }, (_, i) => {
  const a = i % AGENTS;
  const agentId = `agent-${a}`;
  if (a % 10 === 0) return runCompleted(agentId, i, { status: 'failed' });
  if (a % 10 === 1) return runCompleted(agentId, i, { guardrailHits: [{ rule: 'pii', severity: 'high' }] });
  return runCompleted(agentId, i);
});

async function run(label: string, kills: number): Promise<{ triggers: string[]; killedAt: number[] }> {
  // Thresholds only: the runs' event times are fixed, so once the default daily slot has passed them the backstop
  // would open sessions for the healthy agents, at times that differ between the two runs.
  const { prefix, database, env } = await isolatedStack(kafka, label, cleanup, {
    LEARNLOOP_AGGREGATOR_TICK_MS: '3600000',
  });
  const watcher = await watchTopic<SessionTriggered>(kafka, serde, `${prefix}.learning.session.triggered.v1`);
  cleanup(() => watcher.stop());
  await produceRuns(kafka, serde, prefix, stream);

  const group = `${prefix}.signal-aggregator`;
  const progress = async () =>
    Number(
      (
        await database.db
          .selectFrom('consumer_offsets')
          .select((eb) => eb.fn.sum<string>('next_offset').as('n'))
          .where('group_id', '=', group)
          .executeTakeFirst()
      )?.n ?? 0,
    );
  const killedAt: number[] = [];
  for (let k = 0; k < kills; k++) {
    const service = await startService('signal-aggregator', env);
    const before = await progress();
    const deadline = Date.now() + 20_000;
    while ((await progress()) === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await service.stop('SIGKILL');
    killedAt.push(await progress());
  }
  const last = await startService('signal-aggregator', env);
  cleanup(() => last.stop());
  await waitUntilDrained(kafka, database.db, group, `${prefix}.agent.run.completed.v1`, 180_000);
  await new Promise((r) => setTimeout(r, 1000));
  const triggers = watcher.seen
    .map(
      ({ event }) =>
        `${event.agentId}:${event.trigger}:${event.thresholdsCrossed
          .map((c) => c.metric)
          .sort()
          .join('+')}`,
    )
    .sort();
  return { triggers, killedAt };
}

describe('signal-aggregator killed with SIGKILL mid-stream', () => {
  it('ends with the same triggers as a clean run', async () => {
    const clean = await run('agg-clean', 0);
    const crashed = await run('agg-crashed', 3);
    expect(crashed.killedAt.at(-1)!).toBeLessThan(stream.length);
    expect(crashed.killedAt[0]!).toBeGreaterThan(0);
    const expected = Array.from({ length: AGENTS }, (_, a) => a)
      .filter((a) => a % 10 <= 1)
      .map((a) => `agent-${a}:threshold:${a % 10 === 0 ? 'failure_rate' : 'guardrail_hit_rate'}`)
      .sort();
    expect(clean.triggers).toEqual(expected);
    expect(crashed.triggers).toEqual(clean.triggers);
    process.stderr.write(
      `aggregator crash test: progress at each kill ${crashed.killedAt.join(', ')} of ${stream.length}\n`,
    );
  }, 400_000);
});
