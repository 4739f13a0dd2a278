import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { ExperimentVerdict } from '../../../lib/contracts/types.generated.ts';
import type { Database } from '../../../lib/db/schema.ts';
import { experimentActors, runCounts } from '../../../lib/experiments/state.pure.ts';
import { main } from '../../../cli/main.ts';
import { armSummaries } from '../../../services/experiment-judge/events.pure.ts';
import type { DecisionAuditPayload } from '../../../services/experiment-judge/replay.pure.ts';
import { startTestControlPlane, type TestControlPlane } from '../../helpers/control-plane.ts';
import {
  abRuns,
  eventually,
  hour,
  judgeSettled,
  minute,
  produceRuns,
  readEvents,
  seedExperiment,
  shadowRuns,
  testPolicy,
  type SeededExperiment,
} from '../../helpers/judge.ts';
import { startJudgeInProcess } from '../../helpers/judge-service.ts';
import { testClients } from '../../helpers/clients.ts';
import { useCleanups } from '../../helpers/cleanups.ts';
import { isolated, type Isolated } from '../../helpers/isolated.ts';
import { startService } from '../../helpers/service-process.ts';

/**
 * The control plane's read models are built from the learning topics alone: emptied and rebuilt by replaying them
 * (`learnloop control-plane rebuild`), the API answers as it did before. And the verdicts they are built from carry
 * the figures of the judge's audit entry for the same decision.
 */

const { kafka, serde } = testClients('cp-rebuild');
const cleanup = useCleanups();

let world: Isolated;
let promoted: SeededExperiment;
let shadow: SeededExperiment;
let cp: TestControlPlane | undefined;
let verdicts: ExperimentVerdict[];

const readModels = async (db: Kysely<Database>) => ({
  experiments: (
    await sql`SELECT experiment_id, agent_id, verdict_sequence, decided_at, decision, statistics, run_counts, policy
      FROM cp_experiments ORDER BY experiment_id`.execute(db)
  ).rows,
  verdicts: (await sql`SELECT * FROM cp_verdicts ORDER BY experiment_id, sequence`.execute(db)).rows,
  windows: (await sql`SELECT * FROM cp_agent_windows ORDER BY agent_id`.execute(db)).rows,
});

/** What a reader of the API sees of the two experiments: lists, status pages and verdict histories. */
async function answers(api: TestControlPlane) {
  const seen: Record<string, unknown> = {};
  for (const e of [promoted, shadow]) {
    seen[`experiments ${e.agentId}`] = (
      await api.call('viewer', 'GET', `/api/agents/${e.agentId}/learning/experiments`)
    ).body;
    seen[`status ${e.agentId}`] = (await api.call('viewer', 'GET', `/api/agents/${e.agentId}/learning/status`)).body;
    seen[`verdicts ${e.experimentId}`] = (
      await api.call('viewer', 'GET', `/api/experiments/${e.experimentId}/verdicts`)
    ).body;
  }
  return seen;
}

/** Two experiments judged to their end (one promoted, one in shadow mode awaiting approval), the control plane reading. */
async function judgedWorld(): Promise<void> {
  world = await isolated(kafka, 'cp-rebuild', cleanup);
  const { database, prefix, env } = world;
  const step = (bp: number) => ({ candidateBasisPoints: bp, minDurationMs: 10 * minute, minRunsPerArm: 30 });
  promoted = await seedExperiment(database.db, {
    riskTier: 'low',
    policy: testPolicy({ minRunsPerArm: 250 }),
    startedAt: new Date(Date.now() - 24 * hour),
    split: { candidateBasisPoints: 1000, baselineBasisPoints: 1000, shadowSampleBasisPoints: 0 },
    rampSchedule: [step(1000), step(2500), step(5000)],
  });
  shadow = await seedExperiment(database.db, {
    riskTier: 'high',
    policy: null,
    mode: 'shadow',
    split: { candidateBasisPoints: 0, baselineBasisPoints: 0, shadowSampleBasisPoints: 1000 },
    startedAt: new Date(Date.now() - 4 * 24 * hour),
  });
  cp = await startTestControlPlane(database.db, database.url, prefix);
  cleanup(async () => cp?.stop());
  const judge = await startJudgeInProcess(env);
  cleanup(() => judge.stop());
  // The aggregator announces the agents' windows (it opens no session: thresholds far away, the backstop an hour off).
  const aggregator = await startService('signal-aggregator', { ...env, LEARNLOOP_AGGREGATOR_TICK_MS: '3600000' });
  cleanup(() => aggregator.stop());

  const winner = { baseline: { scoreMean: 0.6, failureRate: 0.02 }, candidate: { scoreMean: 0.72, failureRate: 0.02 } };
  await produceRuns(kafka, serde, prefix, abRuns(promoted, 800, winner, { seed: 11, intervalMs: 20_000 }));
  await produceRuns(kafka, serde, prefix, shadowRuns(shadow, 1200, 0.05, { seed: 5, intervalMs: 3 * 60_000 }));
  expect(await judgeSettled(database.db, prefix, promoted.experimentId, ['promoted', 'failed', 'inconclusive'])).toBe(
    'promoted',
  );
  expect(
    await judgeSettled(database.db, prefix, shadow.experimentId, ['awaiting_approval', 'failed', 'inconclusive']),
  ).toBe('awaiting_approval');
  await judge.stop();
  await aggregator.stop();
  await eventually('the aggregator to publish its outbox', async () => {
    const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM outbox`.execute(database.db);
    return Number(rows[0]!.n) === 0 ? true : undefined;
  });
  verdicts = await readEvents(kafka, serde, prefix, 'learning.experiment.verdict.v1');
  const windows = await readEvents(kafka, serde, prefix, 'learning.agent.window.v1');
  const agents = new Set(windows.map((w) => w.agentId));
  expect([...agents].sort()).toEqual([promoted.agentId, shadow.agentId].sort());
  // The control plane has read everything: one history row per verdict, one window per agent.
  await eventually(
    'the read models to catch up',
    async () => {
      const models = await readModels(database.db);
      return models.verdicts.length === verdicts.length && models.windows.length === agents.size ? true : undefined;
    },
    60_000,
  );
}

describe('the control plane rebuilt from the topics', () => {
  it("answers the same after its read models are emptied and replayed; each verdict carries its audit entry's figures", async () => {
    await judgedWorld();

    // The verdicts the read models are built from: the figures of the judge's audit entry for the same decision.
    const audit = await world.database.db
      .selectFrom('audit_log')
      .select(['payload'])
      .where('actor', '=', experimentActors.judge)
      .where('subject_type', '=', 'experiment')
      .execute();
    const entryOf = new Map(
      audit
        .map((a) => a.payload as unknown as DecisionAuditPayload)
        .filter((p) => p.verdictEventId !== null)
        .map((p) => [p.verdictEventId!, p]),
    );
    expect(verdicts.length).toBeGreaterThan(5);
    expect(verdicts.some((v) => v.mode === 'shadow' && v.pairs !== null)).toBe(true);
    for (const v of verdicts) {
      const entry = entryOf.get(v.eventId);
      expect(entry, v.eventId).toBeDefined();
      const s = entry!.inputs.statistics;
      expect(v.eventId).toBe(`${v.experimentId}:verdict:${v.sequence}`);
      expect(v.decision).toBe(entry!.decision.action);
      expect(v.primaryDetail).toEqual(entry!.primaryDetail);
      expect(v.statistics).toEqual(JSON.parse(JSON.stringify(entry!.statistics)));
      expect(v.runCounts).toEqual(runCounts(v.mode, s.baseline.failure.n, s.candidate.failure.n));
      expect(v.after).toBe(s.baseline.failure.n + s.candidate.failure.n);
      expect(v.armSummaries).toEqual(armSummaries(entry!.statistics));
      expect(v.pairs).toEqual(v.mode === 'shadow' ? s.scorePairs : null);
    }

    // The read models rebuilt from the topics alone.
    const { database, prefix, env } = world;
    const before = await answers(cp!);
    const modelsBefore = await readModels(database.db);
    // The history has the judge's verdicts, in order, ending in the promotion; a growth verdict among them.
    const history = before[`verdicts ${promoted.experimentId}`] as Array<{ sequence: number; decision: string }>;
    expect(history.map((v) => v.sequence)).toEqual(history.map((_, i) => i + 1));
    expect(history.at(-1)!.decision).toBe('promote');
    expect(history.filter((v) => v.decision === 'continue').length).toBeGreaterThan(0);
    expect(before[`experiments ${promoted.agentId}`]).toMatchObject([
      { status: 'promoted', decision: { action: 'promote' }, statistics: { primary: { outcome: 'better' } } },
    ]);
    expect(before[`experiments ${shadow.agentId}`]).toMatchObject([
      { status: 'awaiting_approval', latestApproval: { status: 'pending' } },
    ]);

    await cp!.stop();
    cp = undefined;
    // Damaged on purpose, so that a rebuild that did nothing would show.
    await database.db.deleteFrom('cp_verdicts').where('experiment_id', '=', promoted.experimentId).execute();
    await database.db.updateTable('cp_agent_windows').set({ agent_version_id: 'wrong' }).execute();

    const exit = await main(['control-plane', 'rebuild', '--timeout-ms', '120000'], env);
    expect(exit).toBe(0);
    expect(await readModels(database.db)).toEqual(modelsBefore);

    cp = await startTestControlPlane(database.db, database.url, prefix);
    expect(await answers(cp)).toEqual(before);

    // Not while the control plane runs: its projection would race the replay.
    await eventually('the projection to have its partitions', async () => (cp!.readModelsReady() ? true : undefined));
    expect(await main(['control-plane', 'rebuild'], env)).toBe(1);
  }, 400_000);
});
