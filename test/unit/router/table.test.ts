import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ExperimentState } from '../../../lib/contracts/types.generated.ts';
import { supersedes } from '../../../services/router-sidecar/experiment.pure.ts';
import {
  applyExperimentState,
  applyPromotion,
  liveVersion,
  removeExperiment,
  type AgentView,
} from '../../../services/router-sidecar/table.pure.ts';
import { experimentState, promotion } from '../../helpers/router.ts';

const applyAll = (states: readonly ExperimentState[]) => {
  let view: AgentView | undefined;
  const results: string[] = [];
  for (const s of states) {
    const r = applyExperimentState(view, s);
    view = r.view;
    results.push(r.result);
  }
  return { view, results };
};

describe('applying experiment states (the version check)', () => {
  it('applies a newer version of the same experiment and ignores an older or equal one', () => {
    const v1 = experimentState({ version: 1, status: 'running' });
    const v2 = experimentState({ version: 2, status: 'paused' });
    const v3 = experimentState({
      version: 3,
      status: 'running',
      trafficSplit: { candidateBasisPoints: 1000, baselineBasisPoints: 1000, shadowSampleBasisPoints: 0 },
    });
    const { view, results } = applyAll([v1, v3, v2, v3]);
    expect(results).toEqual(['applied', 'applied', 'superseded', 'superseded']);
    expect(view?.experiment).toMatchObject({ version: 3, status: 'running', candidateBasisPoints: 1000 });
  });

  it('a relay publishing out of order cannot roll a pause back', () => {
    const paused = experimentState({ version: 5, status: 'paused' });
    const olderRunning = experimentState({ version: 4, status: 'running' });
    expect(applyAll([paused, olderRunning]).view?.experiment?.status).toBe('paused');
  });

  it('a later experiment of the agent replaces the previous one even though its version starts at 1 again', () => {
    const old = experimentState({ experimentId: 'exp-1', version: 14, status: 'failed', startedAt: new Date(1000) });
    const next = experimentState({ experimentId: 'exp-2', version: 1, status: 'running', startedAt: new Date(2000) });
    expect(applyAll([old, next]).view?.experiment).toMatchObject({ experimentId: 'exp-2', version: 1 });
    // The old experiment's late final state does not bring it back.
    expect(applyAll([next, old]).view?.experiment).toMatchObject({ experimentId: 'exp-2', version: 1 });
  });

  it('settles on the same state whatever order the records arrive in', () => {
    const states = [
      experimentState({ experimentId: 'a', version: 1, startedAt: new Date(1000) }),
      experimentState({ experimentId: 'a', version: 2, startedAt: new Date(1000), status: 'failed' }),
      experimentState({ experimentId: 'b', version: 1, startedAt: new Date(2000) }),
      experimentState({ experimentId: 'b', version: 2, startedAt: new Date(2000), status: 'paused' }),
      experimentState({ experimentId: 'b', version: 3, startedAt: new Date(2000), status: 'running' }),
      experimentState({ experimentId: 'c', version: 1, startedAt: new Date(2000) }),
    ];
    fc.assert(
      fc.property(fc.shuffledSubarray(states, { minLength: states.length, maxLength: states.length }), (order) => {
        expect(applyAll(order).view?.experiment).toMatchObject({ experimentId: 'c', version: 1 });
      }),
      { numRuns: 300 },
    );
  });

  it('supersedes() is a strict order: never both ways, never for itself', () => {
    const key = fc.record({
      experimentId: fc.constantFrom('a', 'b', 'c'),
      version: fc.integer({ min: 1, max: 4 }),
      startedAtMs: fc.constantFrom(1, 2),
    });
    fc.assert(
      fc.property(key, key, (x, y) => {
        expect(supersedes(x, x)).toBe(false);
        const same = x.experimentId === y.experimentId && x.version === y.version && x.startedAtMs === y.startedAtMs;
        if (!same && x.experimentId !== y.experimentId) expect(supersedes(x, y)).not.toBe(supersedes(y, x));
        if (x.experimentId === y.experimentId && x.version !== y.version)
          expect(supersedes(x, y)).not.toBe(supersedes(y, x));
      }),
    );
  });

  it('a tombstone deletes the experiment and keeps the promotion', () => {
    const withBoth = applyPromotion(applyAll([experimentState()]).view, promotion({ promotedVersionId: 'v-9' })).view;
    const removed = removeExperiment(withBoth, 'agent-1');
    expect(removed.experiment).toBeNull();
    expect(removed.liveVersionId).toBe('v-9');
    expect(removeExperiment(undefined, 'agent-2')).toMatchObject({
      agentId: 'agent-2',
      experiment: null,
      liveVersionId: null,
    });
  });
});

describe('the live version', () => {
  it('is the newest promotion; without one, the experiment implies it; with neither, null', () => {
    const running = applyAll([experimentState({ status: 'running' })]).view!;
    expect(running).toMatchObject({ liveVersionId: 'v-base', liveSource: 'experiment' });
    const promoted = applyAll([experimentState({ status: 'promoted' })]).view!;
    expect(promoted).toMatchObject({ liveVersionId: 'v-cand', liveSource: 'experiment' });
    const withPromotion = applyPromotion(running, promotion({ promotedVersionId: 'v-other' })).view;
    expect(withPromotion).toMatchObject({ liveVersionId: 'v-other', liveSource: 'promotion' });
    expect(liveVersion(null, null)).toEqual({ versionId: null, source: null });
  });

  it('takes the newest promotion by promotedAt, in any arrival order', () => {
    const p1 = promotion({ promotedVersionId: 'v1', promotedAt: new Date(1000) });
    const p2 = promotion({ promotedVersionId: 'v2', promotedAt: new Date(2000) });
    const p3 = promotion({ promotedVersionId: 'v3', promotedAt: new Date(3000) });
    fc.assert(
      fc.property(fc.shuffledSubarray([p1, p2, p3], { minLength: 3, maxLength: 3 }), (order) => {
        let view: AgentView | undefined;
        for (const p of order) view = applyPromotion(view, p).view;
        expect(view?.liveVersionId).toBe('v3');
      }),
    );
    const first = applyPromotion(undefined, p3).view;
    expect(applyPromotion(first, p1).result).toBe('superseded');
  });

  it('keeps the promotion when a new experiment state arrives, and the experiment when a promotion arrives', () => {
    const promoted = applyPromotion(undefined, promotion({ promotedVersionId: 'v2' })).view;
    const next = applyExperimentState(
      promoted,
      experimentState({
        experimentId: 'exp-2',
        arms: [
          { arm: 'baseline', versionId: 'v2' },
          { arm: 'candidate', versionId: 'v3' },
        ],
      }),
    ).view;
    expect(next).toMatchObject({ liveVersionId: 'v2', liveSource: 'promotion' });
    expect(next.experiment?.experimentId).toBe('exp-2');
  });
});
