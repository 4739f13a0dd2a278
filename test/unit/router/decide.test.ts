import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { experimentStatusSymbols, type ExperimentState } from '../../../lib/contracts/types.generated.ts';
import { decide, type Conditions } from '../../../services/router-sidecar/decide.pure.ts';
import { abArm, BASELINE_START, inShadowSample } from '../../../lib/experiments/buckets.pure.ts';
import { experimentProblem } from '../../../services/router-sidecar/experiment.pure.ts';
import { bucketOf } from '../../../services/router-sidecar/hash.pure.ts';
import { applyExperimentState, applyPromotion, type AgentView } from '../../../services/router-sidecar/table.pure.ts';
import { experimentState, promotion, shadowState } from '../../helpers/router.ts';

const ok: Conditions = {
  nowMs: 1_000_000,
  ready: true,
  stateAgeMs: 100,
  maxStateAgeMs: 30_000,
  taggingAvailable: true,
  tagRoom: 100,
};
const viewOf = (state: ExperimentState, current?: AgentView) => applyExperimentState(current, state).view;
const request = (runId: string, unitId: string | null = null) => ({ agentId: 'agent-1', runId, unitId });

/** A unit id whose bucket under `salt` satisfies `predicate`. */
function unitWhere(salt: string, predicate: (bucket: number) => boolean): string {
  for (let i = 0; ; i++) if (predicate(bucketOf(salt, `u-${i}`))) return `u-${i}`;
}

describe('bucket ranges', () => {
  it('candidate [0, C), measured baseline [5000, 5000 + B), the rest unmeasured', () => {
    expect(abArm(0, 500, 500)).toBe('candidate');
    expect(abArm(499, 500, 500)).toBe('candidate');
    expect(abArm(500, 500, 500)).toBeNull();
    expect(abArm(4999, 500, 500)).toBeNull();
    expect(abArm(5000, 500, 500)).toBe('baseline');
    expect(abArm(5499, 500, 500)).toBe('baseline');
    expect(abArm(5500, 500, 500)).toBeNull();
    expect(abArm(9999, 5000, 5000)).toBe('baseline');
    expect(abArm(4999, 5000, 5000)).toBe('candidate');
    expect(abArm(0, 0, 0)).toBeNull();
    expect(inShadowSample(999, 1000)).toBe(true);
    expect(inShadowSample(1000, 1000)).toBe(false);
  });

  it('ramp property: for any schedule of shares, no bucket is ever in both measured arms', () => {
    const share = fc.integer({ min: 0, max: 5000 });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }),
        fc.array(fc.tuple(share, share), { minLength: 1, maxLength: 20 }),
        (bucket, schedule) => {
          const arms = new Set(schedule.map(([c, b]) => abArm(bucket, c, b)).filter((a) => a !== null));
          expect(arms.size).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('raising the candidate share keeps every candidate a candidate, and raising the sample keeps every sampled unit sampled', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 5000 }),
        (bucket, x, y, b) => {
          const [low, high] = x <= y ? [x, y] : [y, x];
          if (abArm(bucket, low, b) === 'candidate') expect(abArm(bucket, high, b)).toBe('candidate');
          if (abArm(bucket, b, low) === 'baseline') expect(abArm(bucket, b, high)).toBe('baseline');
          if (inShadowSample(bucket, low)) expect(inShadowSample(bucket, high)).toBe(true);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('ramp property end to end: units keep their measured arm through any schedule of published states', () => {
    const step = fc.record({
      c: fc.integer({ min: 0, max: 5000 }),
      b: fc.integer({ min: 0, max: 5000 }),
      status: fc.constantFrom(...experimentStatusSymbols),
    });
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 30 }),
        fc.array(step, { minLength: 1, maxLength: 8 }),
        (units, steps) => {
          const seen = new Map<string, Set<string>>();
          let view: AgentView | undefined;
          steps.forEach((s, i) => {
            view = viewOf(
              experimentState({
                version: i + 1,
                status: s.status,
                trafficSplit: { candidateBasisPoints: s.c, baselineBasisPoints: s.b, shadowSampleBasisPoints: 0 },
              }),
              view,
            );
            for (const unit of units) {
              const { assignment } = decide(view, request(`run-${i}`, unit), ok);
              if (assignment.arm === null) continue;
              const arms = seen.get(unit) ?? new Set();
              arms.add(assignment.arm);
              seen.set(unit, arms);
            }
          });
          for (const arms of seen.values()) expect(arms.size).toBe(1);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('decide', () => {
  const running = viewOf(
    experimentState({
      trafficSplit: { candidateBasisPoints: 2000, baselineBasisPoints: 2000, shadowSampleBasisPoints: 0 },
    }),
  );
  const candidateUnit = unitWhere('salt-1', (b) => b < 2000);
  const baselineUnit = unitWhere('salt-1', (b) => b >= BASELINE_START && b < BASELINE_START + 2000);
  const unmeasuredUnit = unitWhere('salt-1', (b) => b >= 2000 && b < BASELINE_START);

  it('enrols a candidate unit: the candidate version, the arm, one tag with what the caller got', () => {
    const d = decide(running, request('run-1', candidateUnit), ok);
    expect(d.assignment).toEqual({
      agentId: 'agent-1',
      runId: 'run-1',
      versionId: 'v-cand',
      experimentId: 'exp-1',
      arm: 'candidate',
      shadow: null,
    });
    expect(d.outcome).toBe('candidate');
    expect(d.tags).toEqual([
      {
        runId: 'run-1',
        agentId: 'agent-1',
        unitId: candidateUnit,
        bucket: bucketOf('salt-1', candidateUnit),
        experimentId: 'exp-1',
        experimentVersion: 1,
        mode: 'ab',
        arm: 'candidate',
        versionId: 'v-cand',
        assignedAtMs: ok.nowMs,
      },
    ]);
  });

  it('enrols a measured baseline unit with the baseline version, and serves unmeasured units the live version untagged', () => {
    const base = decide(running, request('run-2', baselineUnit), ok);
    expect(base.assignment).toMatchObject({
      versionId: 'v-base',
      experimentId: 'exp-1',
      arm: 'baseline',
      shadow: null,
    });
    expect(base.tags).toHaveLength(1);
    const none = decide(running, request('run-3', unmeasuredUnit), ok);
    expect(none.assignment).toEqual({
      agentId: 'agent-1',
      runId: 'run-3',
      versionId: 'v-base',
      experimentId: null,
      arm: null,
      shadow: null,
    });
    expect(none.outcome).toBe('not_enrolled');
    expect(none.tags).toEqual([]);
  });

  it('is sticky per unit, and hashes the runId when there is no unit', () => {
    const answers = new Set(
      Array.from({ length: 20 }, (_, i) => decide(running, request(`run-${i}`, candidateUnit), ok).assignment.arm),
    );
    expect([...answers]).toEqual(['candidate']);
    const runAsUnit = unitWhere('salt-1', (b) => b < 2000);
    expect(decide(running, request(runAsUnit, null), ok).assignment.arm).toBe('candidate');
    expect(decide(running, request(runAsUnit, null), ok).tags[0]!.unitId).toBeNull();
  });

  it('assigns traffic only while running or awaiting approval; every other status serves the live version untagged', () => {
    for (const status of experimentStatusSymbols) {
      const view = viewOf(
        experimentState({
          status,
          trafficSplit: { candidateBasisPoints: 5000, baselineBasisPoints: 5000, shadowSampleBasisPoints: 0 },
        }),
      );
      const d = decide(view, request('run-x', candidateUnit), ok);
      if (status === 'running' || status === 'awaiting_approval') {
        expect(d.assignment.arm, status).toBe('candidate');
      } else {
        expect(d.assignment.arm, status).toBeNull();
        expect(d.tags, status).toEqual([]);
        expect(d.outcome, status).toBe('not_enrolled');
        // A promoted experiment's candidate is the live version; otherwise the baseline is.
        expect(d.assignment.versionId, status).toBe(status === 'promoted' ? 'v-cand' : 'v-base');
      }
    }
  });

  it('shadow mode: serves the baseline, shadows the candidate for the sampled units, and tags both runs of the pair', () => {
    const view = viewOf(
      shadowState({ trafficSplit: { candidateBasisPoints: 0, baselineBasisPoints: 0, shadowSampleBasisPoints: 1000 } }),
    );
    const sampled = unitWhere('salt-1', (b) => b < 1000);
    const notSampled = unitWhere('salt-1', (b) => b >= 1000);
    const d = decide(view, request('run-s', sampled), ok);
    expect(d.assignment).toEqual({
      agentId: 'agent-1',
      runId: 'run-s',
      versionId: 'v-base',
      experimentId: 'exp-1',
      arm: 'baseline',
      shadow: { versionId: 'v-cand', experimentId: 'exp-1' },
    });
    expect(d.outcome).toBe('shadow');
    expect(d.tags.map((t) => [t.arm, t.versionId, t.mode])).toEqual([
      ['baseline', 'v-base', 'shadow'],
      ['shadow', 'v-cand', 'shadow'],
    ]);
    const n = decide(view, request('run-n', notSampled), ok);
    expect(n.assignment).toMatchObject({ versionId: 'v-base', experimentId: null, arm: null, shadow: null });
    expect(n.tags).toEqual([]);
  });

  it('a promotion makes the promoted version the one served to every run the experiment does not take', () => {
    const promoted = applyPromotion(
      viewOf(experimentState({ status: 'promoted' })),
      promotion({ promotedVersionId: 'v-cand' }),
    ).view;
    expect(decide(promoted, request('run-p', unmeasuredUnit), ok).assignment.versionId).toBe('v-cand');
    expect(decide(promoted, request('run-p', candidateUnit), ok).assignment).toMatchObject({
      versionId: 'v-cand',
      arm: null,
    });
  });
});

describe('fail-safe', () => {
  const view = viewOf(
    experimentState({
      trafficSplit: { candidateBasisPoints: 5000, baselineBasisPoints: 5000, shadowSampleBasisPoints: 0 },
    }),
  );
  const live = { versionId: 'v-base', experimentId: null, arm: null, shadow: null };

  const cases: Array<[string, Partial<Conditions>, string]> = [
    ['no state read yet', { ready: false, stateAgeMs: Number.POSITIVE_INFINITY }, 'no_state'],
    ['state older than the limit', { stateAgeMs: 30_001 }, 'stale_state'],
    ['state age unknown', { stateAgeMs: Number.NaN }, 'stale_state'],
    ['Kafka down for tags', { taggingAvailable: false }, 'tagging_unavailable'],
    ['tag buffer full', { tagRoom: 0 }, 'tag_buffer_full'],
  ];
  for (const [what, conditions, reason] of cases) {
    it(`${what}: the live version, no tag, reason ${reason}`, () => {
      for (let i = 0; i < 50; i++) {
        const d = decide(view, request(`run-${i}`), { ...ok, ...conditions });
        expect(d.assignment).toMatchObject(live);
        expect(d.tags).toEqual([]);
        expect(d.outcome).toBe('fail_safe');
        expect(d.reason).toBe(reason);
      }
    });
  }

  it('at exactly the limit the state still counts as fresh', () => {
    const unit = unitWhere('salt-1', (b) => b < 5000);
    expect(decide(view, request('r', unit), { ...ok, stateAgeMs: 30_000 }).assignment.arm).toBe('candidate');
  });

  it('a shadow pair needs room for both its tags', () => {
    const shadow = viewOf(
      shadowState({
        trafficSplit: { candidateBasisPoints: 0, baselineBasisPoints: 0, shadowSampleBasisPoints: 10_000 },
      }),
    );
    expect(decide(shadow, request('r'), { ...ok, tagRoom: 1 }).reason).toBe('tag_buffer_full');
    expect(decide(shadow, request('r'), { ...ok, tagRoom: 2 }).tags).toHaveLength(2);
  });

  it('unenrolled runs are not affected by the tagging state (they need no tag)', () => {
    const paused = viewOf(experimentState({ status: 'paused' }));
    const d = decide(paused, request('r'), { ...ok, taggingAvailable: false, tagRoom: 0 });
    expect(d.outcome).toBe('not_enrolled');
    expect(d.reason).toBeNull();
  });

  it('an experiment state the router cannot assign by serves the live version, counted as invalid_state', () => {
    const bad = viewOf(
      experimentState({
        trafficSplit: { candidateBasisPoints: 6000, baselineBasisPoints: 4000, shadowSampleBasisPoints: 0 },
      }),
    );
    const d = decide(bad, request('r'), ok);
    expect(d).toMatchObject({ outcome: 'fail_safe', reason: 'invalid_state', tags: [] });
    expect(d.assignment.versionId).toBe('v-base');
  });

  it('a status or mode from a later schema version assigns nothing', () => {
    const futureStatus = viewOf({ ...experimentState(), status: 'warming_up' } as unknown as ExperimentState);
    expect(decide(futureStatus, request('r'), ok)).toMatchObject({ outcome: 'not_enrolled', tags: [] });
    const futureMode = viewOf({ ...experimentState(), mode: 'interleaved' } as unknown as ExperimentState);
    expect(futureMode.experiment?.problem).toMatch(/unknown mode "interleaved"/);
    expect(decide(futureMode, request('r'), ok)).toMatchObject({
      outcome: 'fail_safe',
      reason: 'invalid_state',
      tags: [],
    });
  });

  it('with no view of the agent at all, the live version is unknown: null, for the runtime to serve its default', () => {
    expect(decide(undefined, request('r'), ok).assignment).toEqual({
      agentId: 'agent-1',
      runId: 'r',
      versionId: null,
      experimentId: null,
      arm: null,
      shadow: null,
    });
    expect(decide(undefined, request('r'), { ...ok, ready: false }).reason).toBe('no_state');
  });
});

describe('experimentProblem', () => {
  it('accepts the states the proposer and judge write', () => {
    expect(experimentProblem(experimentState())).toBeNull();
    expect(experimentProblem(shadowState())).toBeNull();
    expect(
      experimentProblem(
        experimentState({
          trafficSplit: { candidateBasisPoints: 5000, baselineBasisPoints: 5000, shadowSampleBasisPoints: 10_000 },
        }),
      ),
    ).toBeNull();
    // A shadow experiment that calls its unserved arm "candidate" is understood too.
    expect(experimentProblem(experimentState({ mode: 'shadow' }))).toBeNull();
  });

  it('names what makes a state unusable', () => {
    const split = (c: number, b: number, s = 0) =>
      experimentState({
        trafficSplit: { candidateBasisPoints: c, baselineBasisPoints: b, shadowSampleBasisPoints: s },
      });
    expect(experimentProblem(split(5001, 0))).toMatch(/candidateBasisPoints 5001 is outside \[0, 5000\]/);
    expect(experimentProblem(split(0, -1))).toMatch(/baselineBasisPoints -1/);
    expect(experimentProblem(split(0, 0, 10_001))).toMatch(/shadowSampleBasisPoints/);
    expect(experimentProblem(experimentState({ salt: '' }))).toMatch(/salt/);
    expect(experimentProblem(experimentState({ arms: [{ arm: 'candidate', versionId: 'v' }] }))).toMatch(/baseline/);
    expect(experimentProblem(experimentState({ arms: [{ arm: 'baseline', versionId: 'v' }] }))).toMatch(/candidate/);
    expect(
      experimentProblem(
        experimentState({
          arms: [
            { arm: 'baseline', versionId: 'v' },
            { arm: 'candidate', versionId: 'w' },
            { arm: 'candidate', versionId: 'x' },
          ],
        }),
      ),
    ).toMatch(/exactly one candidate/);
    expect(
      experimentProblem(
        experimentState({
          arms: [
            { arm: 'baseline', versionId: '' },
            { arm: 'candidate', versionId: 'w' },
          ],
        }),
      ),
    ).toMatch(/empty versionId/);
  });
});
