import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../../lib/audit/verify.ts';
import type { JudgeState } from '../../../services/experiment-judge/model.pure.ts';
import { replayAuditEntry } from '../../../services/experiment-judge/replay.pure.ts';
import {
  abRuns,
  eventually,
  experimentStatus,
  hour,
  minute,
  produceRuns,
  readEvents,
  seedExperiment,
  testPolicy,
  type TaggedRuns,
} from '../../helpers/judge.ts';
import { startJudgeProcess, type JudgeProcess } from '../../helpers/judge-service.ts';
import { testClients } from '../../helpers/clients.ts';
import { useCleanups } from '../../helpers/cleanups.ts';
import { isolated as isolatedStack } from '../../helpers/isolated.ts';

const { kafka, serde } = testClients('judge-crash-test');

const cleanup = useCleanups();

const slice = (runs: TaggedRuns, from: number, to: number): TaggedRuns => ({
  assigned: runs.assigned.slice(from, to),
  completed: runs.completed.slice(from, to),
  evaluated: runs.evaluated.slice(from, to),
});

describe('experiment-judge: a crash mid-experiment', () => {
  it('SIGKILL while batches are in flight: every run counted exactly once, each ramp and the promotion decided exactly once', async () => {
    const { prefix, database, env } = await isolatedStack(kafka, 'judge-crash', cleanup);

    // A ramp of three steps, each after 10 minutes and 30 runs per arm; promotion only from 250 runs per arm.
    const step = (bp: number) => ({ candidateBasisPoints: bp, minDurationMs: 10 * minute, minRunsPerArm: 30 });
    const e = await seedExperiment(database.db, {
      riskTier: 'low',
      policy: testPolicy({ minRunsPerArm: 250 }),
      startedAt: new Date(Date.now() - 24 * hour),
      split: { candidateBasisPoints: 1000, baselineBasisPoints: 1000, shadowSampleBasisPoints: 0 },
      rampSchedule: [step(1000), step(2500), step(5000)],
    });
    const runs = abRuns(
      e,
      800,
      { baseline: { scoreMean: 0.6, failureRate: 0.02 }, candidate: { scoreMean: 0.72, failureRate: 0.02 } },
      { seed: 11, intervalMs: 20_000 },
    );

    let judge: JudgeProcess = await startJudgeProcess(env);
    cleanup(() => judge.kill());
    // Phase A, 400 runs (fewer than 250 per arm: no promotion yet) in chunks of 40, with a kill in the middle.
    for (let chunk = 0; chunk < 10; chunk++) {
      await produceRuns(kafka, serde, prefix, slice(runs, chunk * 40, (chunk + 1) * 40));
      if (chunk === 4) {
        await sleep(150);
        await judge.kill();
        judge = await startJudgeProcess(env);
      }
    }
    const expected = { baseline: 0, candidate: 0 };
    for (const a of runs.assigned.slice(0, 400)) expected[a.arm as 'baseline' | 'candidate'] += 1;
    const state = await eventually(
      'every run of phase A counted',
      async () => {
        const row = await sql<{
          state: JudgeState;
        }>`SELECT state FROM judge_experiments WHERE experiment_id = ${e.experimentId}`.execute(database.db);
        const s = row.rows[0]?.state;
        return s &&
          s.statistics.baseline.score.n + s.statistics.candidate.score.n === 400 &&
          s.statistics.baseline.failure.n + s.statistics.candidate.failure.n === 400
          ? s
          : undefined;
      },
      90_000,
    );
    // Exactly once: per arm, as many completions, evaluations and units as were produced.
    expect(state.statistics.baseline.failure.n).toBe(expected.baseline);
    expect(state.statistics.candidate.failure.n).toBe(expected.candidate);
    expect(state.statistics.baseline.score.n).toBe(expected.baseline);
    expect(state.statistics.candidate.score.n).toBe(expected.candidate);
    const units = state.statistics.splitPeriods.reduce(
      (sum, p) => ({ baseline: sum.baseline + p.baseline, candidate: sum.candidate + p.candidate }),
      { baseline: 0, candidate: 0 },
    );
    expect(units).toEqual(expected);
    expect(await experimentStatus(database.db, e.experimentId)).toBe('running');

    // Phase B: the rest, and the promotion.
    await produceRuns(kafka, serde, prefix, slice(runs, 400, 800));
    await eventually(
      'promotion',
      async () => ((await experimentStatus(database.db, e.experimentId)) === 'promoted' ? true : undefined),
      90_000,
    );
    await eventually('outbox published', async () => {
      const { rows } = await sql<{
        n: string;
      }>`SELECT count(*) AS n FROM outbox WHERE producer = ${`${prefix}.experiment-judge`}`.execute(database.db);
      return Number(rows[0]?.n) === 0 ? true : undefined;
    });

    const states = await readEvents(kafka, serde, prefix, 'learning.experiment.state.v1');
    expect(states.map((s) => [s.version, s.status, s.rampStepIndex, s.trafficSplit.candidateBasisPoints])).toEqual([
      [2, 'running', 1, 2500],
      [3, 'running', 2, 5000],
      [4, 'promoted', 2, 0],
    ]);
    expect(await readEvents(kafka, serde, prefix, 'learning.version.promoted.v1')).toHaveLength(1);
    const verdicts = await readEvents(kafka, serde, prefix, 'learning.experiment.verdict.v1');
    expect(new Set(verdicts.map((v) => v.eventId)).size).toBe(verdicts.length);
    expect(verdicts.filter((v) => v.decision !== 'continue').map((v) => v.decision)).toEqual([
      'ramp',
      'ramp',
      'promote',
    ]);
    expect(await readEvents(kafka, serde, prefix, 'learning.dlq.v1')).toEqual([]);
    const approvals = await database.db
      .selectFrom('approvals')
      .selectAll()
      .where('experiment_id', '=', e.experimentId)
      .execute();
    expect(approvals.map((a) => a.decision)).toEqual(['auto_approved']);
    const audit = await database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('subject_id', '=', e.experimentId)
      .orderBy('id')
      .execute();
    expect(audit).toHaveLength(verdicts.length);
    for (const row of audit) expect(replayAuditEntry(row)).toMatchObject({ matches: true });
    expect(await verifyAuditChain(database.db)).toMatchObject({ ok: true });
  }, 240_000);
});
