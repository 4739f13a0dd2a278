import { afterEach, describe, expect, it, vi } from 'vitest';
import { auditReplayCommand } from '../../../cli/audit-replay.ts';
import { appendAudit } from '../../../lib/db/repositories/audit.ts';
import type { DecisionAuditPayload } from '../../../services/experiment-judge/replay.pure.ts';
import { addCompletion, addEvaluation } from '../../../services/experiment-judge/accumulate.pure.ts';
import { emptySufficientStatistics } from '../../../services/experiment-judge/analysis.pure.ts';
import { evaluate, type JudgeInputs } from '../../../services/experiment-judge/evaluate.pure.ts';
import { seededRandom } from '../../helpers/judge-simulation.ts';
import { useFreshDatabase } from '../../setup/database.ts';
import { experiment, memory, policy, t0 } from '../../unit/judge/support.ts';

afterEach(() => vi.restoreAllMocks());

/** Statistics of a clear winner, as an audit entry of the judge would hold them. */
function recordedDecision(): DecisionAuditPayload {
  const statistics = emptySufficientStatistics();
  const rng = seededRandom(5);
  for (let i = 0; i < 3000; i++) {
    for (const side of ['baseline', 'candidate'] as const) {
      addCompletion(statistics, side, {
        failure: rng.uniform() < 0.03 ? 1 : 0,
        guardrailHit: 0,
        costUsd: 0.004,
        latencyMs: 900 + rng.normal(0, 50),
      });
      addEvaluation(statistics, side, { score: rng.normal(side === 'baseline' ? 0.6 : 0.7, 0.15), passed: 1 });
    }
  }
  const inputs: JudgeInputs = {
    experiment,
    memory: { ...memory, primaryBetterSince: t0 },
    policy,
    arms: [
      { arm: 'baseline', versionId: 'v1' },
      { arm: 'candidate', versionId: 'v2' },
    ],
    statistics,
    now: t0 + 48 * 3_600_000,
  };
  const { analysis, decision } = evaluate(inputs);
  return {
    kind: 'judge.decision',
    decision,
    statistics: analysis.statistics,
    primaryDetail: analysis.primaryDetail,
    inputs,
    policyVersion: policy.policyVersion,
    experimentVersion: { before: 1, after: 2 },
    verdictEventId: 'exp-1:verdict:1',
    causeEventId: 'cause',
  };
}

async function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  const code = await auditReplayCommand(args, env);
  vi.restoreAllMocks();
  return { code, out, err };
}

describe('learnloop audit replay <id>', () => {
  const database = useFreshDatabase();

  it('recomputes a recorded decision from its inputs: it matches; a forged one does not; other entries have nothing to replay', async () => {
    const db = database().db;
    const env = { DATABASE_URL: database().url };
    const payload = recordedDecision();
    expect(payload.decision.action).toBe('promote');
    const genuine = await appendAudit(db, {
      actor: 'experiment-judge',
      action: 'experiment.promoted',
      agent_id: 'a',
      subject_type: 'experiment',
      subject_id: 'exp-1',
      payload,
    });
    const forged = await appendAudit(db, {
      actor: 'experiment-judge',
      action: 'experiment.promoted',
      agent_id: 'a',
      subject_type: 'experiment',
      subject_id: 'exp-1',
      // Someone changed the recorded minimum runs after the fact: the recorded decision no longer follows from the inputs.
      payload: { ...payload, inputs: { ...payload.inputs, policy: { ...policy, minRunsPerArm: 5000 } } },
    });
    const other = await appendAudit(db, {
      actor: 'alice',
      action: 'policy.updated',
      subject_type: 'policy',
      subject_id: 'a',
      payload: { x: 1 },
    });

    const ok = await run([String(genuine.id)], env);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/recomputed promote \[primary_better_sustained\]: matches the recorded decision/);

    const bad = await run([String(forged.id)], env);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('DIFFERS');
    expect(bad.out).toContain('decision.action: recorded "promote", recomputed "continue"');

    const json = await run([String(forged.id), '--json'], env);
    expect(JSON.parse(json.out)).toMatchObject({
      matches: false,
      recorded: { action: 'promote' },
      recomputed: { action: 'continue', reasons: ['minimum_runs_not_reached'] },
    });

    expect((await run([String(other.id)], env)).code).toBe(1);
    expect((await run(['999999'], env)).err).toContain('no audit entry 999999');
    expect((await run(['abc'], env)).code).toBe(2);
    expect((await run([], env)).code).toBe(2);
  });
});
