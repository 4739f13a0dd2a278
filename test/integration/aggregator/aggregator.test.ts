import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { putPolicy } from '../../../lib/db/repositories/policies.ts';
import { registerAgent } from '../../../lib/db/repositories/agents.ts';
import { openSession } from '../../../lib/db/repositories/sessions.ts';
import { produceRuns, runCompleted } from '../../helpers/kafka-topics.ts';
import { startService, type ServiceProcess } from '../../helpers/service-process.ts';
import { watchTopic } from '../../helpers/watch-topic.ts';
import type { SessionTriggered } from '../../../lib/contracts/types.generated.ts';
import { testClients } from '../../helpers/clients.ts';
import { useCleanups } from '../../helpers/cleanups.ts';
import { isolated as isolatedStack } from '../../helpers/isolated.ts';

const { kafka, serde } = testClients('aggregator-test');

const cleanup = useCleanups();

/** Its own topics, database and service environment, with the scheduler ticking every 300 ms. */
const isolated = (label: string) => isolatedStack(kafka, label, cleanup, { LEARNLOOP_AGGREGATOR_TICK_MS: '300' });

async function aggregator(env: NodeJS.ProcessEnv): Promise<ServiceProcess> {
  const service = await startService('signal-aggregator', env);
  cleanup(() => service.stop());
  return service;
}

describe('signal-aggregator on the real stack', () => {
  it('a burst of failing runs opens exactly one session within 2 s, and a healthy agent in the same stream none', async () => {
    const { prefix, env } = await isolated('agg-burst');
    // Thresholds only: the runs' event times are fixed, so once the default daily slot has passed them the backstop
    // would rightly open a session for the healthy agent too.
    await aggregator({ ...env, LEARNLOOP_AGGREGATOR_TICK_MS: '3600000' });
    const triggers = await watchTopic<SessionTriggered>(kafka, serde, `${prefix}.learning.session.triggered.v1`);
    cleanup(() => triggers.stop());

    const runs = Array.from({ length: 120 }, (_, i) =>
      i % 2 === 0 ? runCompleted('agent-failing', i, { status: 'failed' }) : runCompleted('agent-healthy', i),
    );
    await produceRuns(kafka, serde, prefix, runs);
    const produced = Date.now();
    await triggers.waitFor(1, 10_000);
    const [first] = triggers.seen;
    expect(first!.at - produced).toBeLessThan(2000);
    await sleep(3000);
    expect(triggers.seen).toHaveLength(1);
    expect(first!.event).toMatchObject({ agentId: 'agent-failing', trigger: 'threshold', agentVersionId: 'v1' });
    expect(first!.event.thresholdsCrossed).toEqual([
      { metric: 'failure_rate', direction: 'above', threshold: 0.2, observed: 1 },
    ]);
    expect(first!.event.window.runCount).toBeGreaterThanOrEqual(50);
  });

  it('a scheduled slot opens a session for an agent with none open, and not for one whose session is open', async () => {
    const { prefix, database, env } = await isolated('agg-slot');
    // Every minute, and few runs needed: the slot of the current minute is due at once.
    for (const agentId of ['agent-idle', 'agent-busy']) {
      await registerAgent(database.db, { id: agentId, name: agentId });
      await putPolicy(database.db, {
        agent_id: agentId,
        policy: { schedule: { cron: '* * * * *' }, trigger: { minRuns: 5 } },
        created_by: 'test',
      });
    }
    const busy = await openSession(database.db, {
      agent_id: 'agent-busy',
      trigger: 'manual',
      signals: {},
      started_by: 'someone',
    });
    expect(busy.ok).toBe(true);
    const triggers = await watchTopic<SessionTriggered>(kafka, serde, `${prefix}.learning.session.triggered.v1`);
    cleanup(() => triggers.stop());
    await produceRuns(kafka, serde, prefix, [
      ...Array.from({ length: 10 }, (_, i) => runCompleted('agent-idle', i)),
      ...Array.from({ length: 10 }, (_, i) => runCompleted('agent-busy', 100 + i)),
    ]);
    await aggregator(env);
    await triggers.waitFor(1, 15_000);
    await sleep(2000);
    expect(triggers.seen.map((t) => [t.event.agentId, t.event.trigger])).toEqual([['agent-idle', 'scheduled']]);
    const sessions = await database.db
      .selectFrom('sessions')
      .select(['agent_id', 'trigger', 'slot'])
      .orderBy('agent_id')
      .execute();
    expect(sessions.map((s) => [s.agent_id, s.trigger])).toEqual([
      ['agent-busy', 'manual'],
      ['agent-idle', 'scheduled'],
    ]);
    expect(sessions[1]!.slot).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d UTC$/);
  });

  it('two aggregator processes open one session per agent and slot', async () => {
    const { prefix, database, env } = await isolated('agg-two');
    const agents = Array.from({ length: 8 }, (_, i) => `agent-${i}`);
    for (const agentId of agents) {
      await registerAgent(database.db, { id: agentId, name: agentId });
      await putPolicy(database.db, {
        agent_id: agentId,
        policy: { schedule: { cron: '* * * * *' }, trigger: { minRuns: 5 } },
        created_by: 'test',
      });
    }
    const triggers = await watchTopic<SessionTriggered>(kafka, serde, `${prefix}.learning.session.triggered.v1`);
    cleanup(() => triggers.stop());
    await Promise.all([aggregator(env), aggregator(env)]);
    await produceRuns(
      kafka,
      serde,
      prefix,
      agents.flatMap((agentId, a) => Array.from({ length: 10 }, (_, i) => runCompleted(agentId, a * 100 + i))),
    );
    await triggers.waitFor(agents.length, 20_000);
    await sleep(3000);
    const perAgent = await database.db.selectFrom('sessions').select(['agent_id', 'slot']).execute();
    expect(perAgent.map((s) => s.agent_id).sort()).toEqual(agents);
    expect(triggers.seen.map((t) => t.event.agentId).sort()).toEqual(agents);
  });
});
