import { describe, expect, it } from 'vitest';
import { avroType } from '../../../lib/contracts/schemas.ts';
import {
  experimentActors,
  experimentStateEvent,
  runCounts,
  type ExperimentStateFacts,
} from '../../../lib/experiments/state.pure.ts';
import { experimentState } from '../../helpers/router.ts';

function facts(overrides: Partial<ExperimentStateFacts> = {}): ExperimentStateFacts {
  const { eventId: _id, arms: _arms, deadlineAt: _deadline, ...rest } = experimentState();
  return { ...rest, baselineVersionId: 'v-base', candidateVersionId: 'v-cand', ...overrides };
}

describe('the experiment state event', () => {
  it('has one id per experiment version, whoever publishes it', () => {
    const a = experimentStateEvent(facts({ experimentId: 'exp-1', version: 3, changedBy: experimentActors.judge }));
    const b = experimentStateEvent(
      facts({ experimentId: 'exp-1', version: 3, changedBy: experimentActors.controlPlane }),
    );
    expect(a.eventId).toBe('exp-1:state:3');
    expect(b.eventId).toBe(a.eventId);
  });

  it('names the arms by mode and ends at the start plus the maximum duration, a valid Avro record', () => {
    const startedAt = new Date('2026-03-01T00:00:00Z');
    const base = facts({ startedAt });
    const ab = experimentStateEvent(base);
    const shadow = experimentStateEvent(facts({ mode: 'shadow', startedAt }));
    expect(ab.arms).toEqual([
      { arm: 'baseline', versionId: 'v-base' },
      { arm: 'candidate', versionId: 'v-cand' },
    ]);
    expect(shadow.arms.map((a) => a.arm)).toEqual(['baseline', 'shadow']);
    expect(ab.deadlineAt.getTime()).toBe(startedAt.getTime() + base.policy.maxDurationMs);
    expect(avroType('learning.experiment.state.v1').isValid(ab)).toBe(true);
    expect(Object.keys(ab)).not.toContain('baselineVersionId');
  });

  it('counts the runs of the other arm as the candidate in ab mode and as the shadow in shadow mode', () => {
    expect(runCounts('ab', 10, 7)).toEqual({ baseline: 10, candidate: 7, shadow: 0 });
    expect(runCounts('shadow', 10, 7)).toEqual({ baseline: 10, candidate: 0, shadow: 7 });
  });
});
