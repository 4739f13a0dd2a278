import { describe, expect, it } from 'vitest';
import type { StatusView, WindowView } from '../../../lib/api/schemas.ts';
import { thresholdRows, thresholdsCard } from '../../../services/control-plane/page/thresholds.pure.ts';

const thresholds = {
  minRuns: 50,
  failureRateAbove: 0.2,
  meanScoreBelow: 0.6,
  guardrailHitRateAbove: 0.05,
  negativeFeedbackRateAbove: 0.1,
  costIncreasePercentAbove: 25,
  cooldownMs: 3_600_000,
};
const window: WindowView = {
  announcedAt: '2026-12-06T19:00:00.000Z',
  agentVersionId: 'v1',
  windowStart: '2026-12-06T18:00:00.000Z',
  windowEnd: '2026-12-06T19:00:00.000Z',
  runCount: 120,
  evaluatedCount: 100,
  failureRate: 0.15,
  meanScore: 0.55,
  guardrailHitRate: 0.05,
  negativeFeedbackRate: null,
  meanCostUsd: 0.0123,
};
const byKey = (w: WindowView | null) => Object.fromEntries(thresholdRows(thresholds, w).map((r) => [r.key, r]));

describe('the thresholds beside the window', () => {
  it('says how far each figure is from tripping, in its unit, and which are beyond', () => {
    const rows = byKey(window);
    expect(rows['failureRateAbove']).toMatchObject({
      threshold: '20.0%',
      current: '15.0%',
      standing: 'clear',
      distance: '5.0 points from tripping',
    });
    expect(rows['meanScoreBelow']).toMatchObject({
      threshold: '0.600',
      current: '0.550',
      standing: 'tripped',
      distance: 'beyond by 0.050',
    });
    expect(rows['guardrailHitRateAbove']).toMatchObject({
      standing: 'clear',
      distance: expect.stringMatching(/^at the/),
    });
    expect(rows['negativeFeedbackRateAbove']).toMatchObject({ current: null, standing: 'no data' });
    expect(rows['costIncreasePercentAbove']).toMatchObject({ current: '$0.0123', standing: 'not compared' });
    expect(rows['minRuns']).toMatchObject({ current: '120', standing: 'clear', distance: 'enough runs' });
    expect(rows['cooldownMs']).toMatchObject({ threshold: '1 h', current: null, distance: '' });
  });
  it('counts the runs still missing before any threshold counts', () => {
    expect(byKey({ ...window, runCount: 20 })['minRuns']).toMatchObject({
      standing: 'too few runs',
      distance: '30 more runs before any threshold counts',
    });
  });
  it('shows the thresholds alone, in the policy order, before any window is announced', () => {
    const rows = thresholdRows(thresholds, null);
    expect(rows.map((r) => r.key)).toEqual(Object.keys(thresholds));
    expect(rows.every((r) => r.current === null && r.distance === '')).toBe(true);
  });
  it('renders the figures and the distances in the card', () => {
    const status = { thresholds, window } as unknown as StatusView;
    const text = thresholdsCard(status).text;
    expect(text).toContain('<td>15.0%</td>');
    expect(text).toContain('<span class="badge bad">tripped</span> beyond by 0.050');
    expect(text).toContain('announced');
    expect(thresholdsCard({ thresholds, window: null } as unknown as StatusView).text).toContain(
      'No window announced yet.',
    );
  });
});
