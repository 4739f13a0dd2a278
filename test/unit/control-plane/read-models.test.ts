import { describe, expect, it } from 'vitest';
import type { ExperimentVerdict } from '../../../lib/contracts/types.generated.ts';
import {
  emptyWindowSummary,
  foldVerdict,
  foldWindow,
  storedWindowSummary,
  verdictRecord,
  verdictSequence,
} from '../../../services/control-plane/read-models/fold.pure.ts';
import { emptyWindow, summarise } from '../../../services/signal-aggregator/window.pure.ts';
import { sampleEvents } from '../../fixtures/events.ts';

const verdict = (overrides: Partial<ExperimentVerdict> = {}): ExperimentVerdict => ({
  ...sampleEvents()['learning.experiment.verdict.v1'],
  eventId: 'exp-1:verdict:3',
  ...overrides,
});

describe("the control plane's read models: what one event makes of a row", () => {
  it('numbers a verdict by its sequence, or by its event id when it was written before verdicts carried one', () => {
    expect(verdictSequence({ sequence: 7, eventId: 'exp-1:verdict:3' })).toBe(7);
    expect(verdictSequence({ sequence: 0, eventId: 'exp-1:verdict:3' })).toBe(3);
    expect(verdictSequence({ sequence: 0, eventId: 'something-else' })).toBeNull();
    expect(verdictRecord(verdict({ sequence: 0, eventId: 'x' }))).toBeNull();
    expect(verdictRecord(verdict({ sequence: 3 }))).toMatchObject({
      experimentId: 'exp-1',
      sequence: 3,
      eventId: 'exp-1:verdict:3',
      experimentVersion: 4,
    });
  });

  it('keeps the latest verdict by sequence: a verdict read again or late never takes the view back', () => {
    const third = verdictRecord(verdict({ sequence: 3 }))!;
    const first = foldVerdict(undefined, third)!;
    expect(first).toMatchObject({
      experimentId: 'exp-1',
      verdictSequence: 3,
      decision: { action: 'ramp', reasons: [{ code: 'ramp_step_complete', detail: 'step 1 of 2' }] },
      runCounts: { baseline: 600, candidate: 600, shadow: 0 },
    });
    expect(first.policy).toEqual(third.verdict.policy);
    expect(foldVerdict(first, third)).toBeNull();
    expect(foldVerdict(first, verdictRecord(verdict({ sequence: 2 }))!)).toBeNull();
    expect(
      foldVerdict(first, verdictRecord(verdict({ sequence: 4, decision: 'promote', reasons: [] }))!),
    ).toMatchObject({ verdictSequence: 4, decision: { action: 'promote', reasons: [] } });
  });

  it('counts runs from the statistics for a verdict written before verdicts carried run counts', () => {
    const old = verdict({ sequence: 3, runCounts: null });
    const arms = old.statistics.arms.map((a) => [a.arm, a.failure.n] as const);
    const folded = foldVerdict(undefined, verdictRecord(old)!)!;
    for (const [arm, n] of arms) expect(folded.runCounts[arm]).toBe(n);
    expect(folded.runCounts.shadow).toBe(0);
  });

  it('keeps the newer window; an older announcement changes nothing', () => {
    const event = sampleEvents()['learning.agent.window.v1'];
    const now = foldWindow(undefined, event)!;
    expect(now).toEqual({
      agentId: event.agentId,
      agentVersionId: event.agentVersionId,
      updatedAt: event.updatedAt,
      window: event.window,
      topFailureCategories: event.topFailureCategories,
    });
    expect(foldWindow(now, { ...event, updatedAt: new Date(event.updatedAt.getTime() - 1) })).toBeNull();
    expect(foldWindow(now, { ...event, agentVersionId: 'v-13' })).toMatchObject({ agentVersionId: 'v-13' });
  });

  it("reads a stored window back with its times as Dates, and has the aggregator's empty window for an agent it never announced", () => {
    const { window } = sampleEvents()['learning.agent.window.v1'];
    expect(storedWindowSummary(JSON.parse(JSON.stringify(window)))).toEqual(window);
    const settings = { lengthMs: 3_600_000, bucketMs: 300_000, graceMs: 300_000 };
    expect(emptyWindowSummary(settings.lengthMs)).toEqual(summarise(emptyWindow(), settings));
  });
});
