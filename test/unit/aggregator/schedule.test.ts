import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../../lib/policy/policy.ts';
import { resolvePolicy } from '../../../lib/policy/resolve.ts';
import { latestSlot, nextSlot, scheduleProblem, slotKey } from '../../../lib/policy/schedule.ts';
import { decideScheduled } from '../../../services/signal-aggregator/schedule.pure.ts';

const free = { paused: false, openSessionId: null, runningExperimentId: null, lastSessionAt: null };
const berlin = { enabled: true, cron: '0 3 * * *', timezone: 'Europe/Berlin' };

describe('cron slots', () => {
  it("takes the latest slot at or before now, in the policy's time zone", () => {
    expect(latestSlot(berlin, new Date('2026-11-24T02:00:00Z'))?.toISOString()).toBe('2026-11-24T02:00:00.000Z');
    expect(latestSlot(berlin, new Date('2026-11-24T01:59:59Z'))?.toISOString()).toBe('2026-11-23T02:00:00.000Z');
    expect(latestSlot({ ...berlin, timezone: 'UTC' }, new Date('2026-11-24T03:00:00Z'))?.toISOString()).toBe(
      '2026-11-24T03:00:00.000Z',
    );
    expect(latestSlot({ ...berlin, enabled: false }, new Date())).toBeNull();
  });

  it('follows the clock change in spring: 03:00 local is 02:00 UTC before and 01:00 UTC after', () => {
    expect(latestSlot(berlin, new Date('2026-03-28T12:00:00Z'))?.toISOString()).toBe('2026-03-28T02:00:00.000Z');
    expect(latestSlot(berlin, new Date('2026-03-29T12:00:00Z'))?.toISOString()).toBe('2026-03-29T01:00:00.000Z');
  });

  it('in autumn, a local time that happens twice is one slot', () => {
    const twice = { ...berlin, cron: '30 2 * * *' };
    const first = latestSlot(twice, new Date('2026-10-25T00:40:00Z'))!;
    const second = latestSlot(twice, new Date('2026-10-25T01:40:00Z'))!;
    expect(first.toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(second.toISOString()).toBe('2026-10-25T01:30:00.000Z');
    expect(slotKey(first, twice.timezone)).toBe(slotKey(second, twice.timezone));
    expect(slotKey(first, twice.timezone)).toBe('2026-10-25T02:30 Europe/Berlin');
  });

  it('after downtime, the missed slots fire once: only the latest one is due', () => {
    const hourly = { enabled: true, cron: '0 * * * *', timezone: 'UTC' };
    const afterOutage = latestSlot(hourly, new Date('2026-11-24T17:20:00Z'));
    expect(afterOutage?.toISOString()).toBe('2026-11-24T17:00:00.000Z');
    expect(latestSlot(hourly, new Date('2026-11-24T17:59:00Z'))?.toISOString()).toBe(afterOutage?.toISOString());
  });

  it('names a bad expression or zone', () => {
    expect(scheduleProblem(berlin)).toBeNull();
    expect(scheduleProblem({ ...berlin, cron: '61 * * * *' })).toMatchObject({
      field: 'cron',
      message: expect.stringMatching(/61/),
    });
    expect(scheduleProblem({ ...berlin, timezone: 'Mars/Olympus' })).toMatchObject({
      field: 'timezone',
      message: expect.stringMatching(/time zone/i),
    });
  });

  it('refuses a policy whose schedule the scheduler could not run, naming the field', () => {
    const bad = resolvePolicy({ schedule: { cron: '61 * * * *' } });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.issues.map((i) => i.field)).toEqual(['schedule.cron']);
    const zone = resolvePolicy({ schedule: { timezone: 'Mars/Olympus' } });
    expect(zone.ok ? [] : zone.issues.map((i) => i.field)).toEqual(['schedule.timezone']);
  });

  it('gives the next slot strictly after now, none when the schedule is off', () => {
    expect(nextSlot(berlin, new Date('2026-11-24T02:00:00Z'))?.toISOString()).toBe('2026-11-25T02:00:00.000Z');
    expect(nextSlot(berlin, new Date('2026-11-24T01:59:59Z'))?.toISOString()).toBe('2026-11-24T02:00:00.000Z');
    expect(nextSlot({ ...berlin, enabled: false }, new Date())).toBeNull();
  });
});

describe('the scheduled backstop', () => {
  const slot = new Date('2026-11-24T03:00:00Z');
  const before = slot.getTime() - 1;
  const active = (runs: number, first: number | null = before) => ({
    runsSinceSession: runs,
    firstRunSinceSession: first,
  });

  it('opens a session with minRuns since the last one, and not with one fewer', () => {
    expect(decideScheduled(active(defaultPolicy.trigger.minRuns), slot, free, defaultPolicy)).toEqual({ open: true });
    expect(decideScheduled(active(defaultPolicy.trigger.minRuns - 1), slot, free, defaultPolicy)).toEqual({
      open: false,
      reason: 'too_few_runs',
    });
  });

  it('covers only agents whose runs began before the slot: one that appeared after waits for the next slot', () => {
    expect(decideScheduled(active(1000, slot.getTime()), slot, free, defaultPolicy)).toEqual({ open: true });
    expect(decideScheduled(active(1000, slot.getTime() + 1), slot, free, defaultPolicy)).toEqual({
      open: false,
      reason: 'no_runs_before_slot',
    });
  });

  it('is blocked by a pause, an open session or a running experiment, but not by the threshold cooldown', () => {
    expect(decideScheduled(active(1000), slot, free, { ...defaultPolicy, paused: true })).toEqual({
      open: false,
      reason: 'paused',
    });
    expect(decideScheduled(active(1000), slot, { ...free, openSessionId: 's' }, defaultPolicy)).toEqual({
      open: false,
      reason: 'session_open',
    });
    expect(decideScheduled(active(1000), slot, { ...free, runningExperimentId: 'x' }, defaultPolicy)).toEqual({
      open: false,
      reason: 'experiment_running',
    });
    expect(decideScheduled(active(1000), slot, { ...free, lastSessionAt: Date.now() }, defaultPolicy)).toEqual({
      open: true,
    });
  });
});
