import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSleeper } from '../../lib/sleeper.ts';

/** Whether the promise has settled once pending callbacks ran (timers are fake: only wake-ups can end a sleep). */
async function settled(promise: Promise<void>): Promise<boolean> {
  let done = false;
  void promise.then(() => {
    done = true;
  });
  await Promise.resolve();
  await Promise.resolve();
  return done;
}

describe('the sleeper', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sleeps its time unless woken, and a wake ends every sleep in progress', async () => {
    const sleeper = createSleeper();
    const timed = sleeper.sleep(1000);
    expect(sleeper.sleeping).toBe(true);
    expect(await settled(timed)).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await settled(timed)).toBe(true);

    const a = sleeper.sleep(60_000);
    const b = sleeper.sleep(Number.POSITIVE_INFINITY);
    sleeper.wake();
    expect([await settled(a), await settled(b)]).toEqual([true, true]);
    expect(sleeper.sleeping).toBe(false);
  });

  it('keeps a wake-up that arrives while nobody sleeps for the next sleep only, unless reset', async () => {
    const sleeper = createSleeper();
    sleeper.wake();
    expect(await settled(sleeper.sleep(60_000))).toBe(true);
    expect(await settled(sleeper.sleep(60_000))).toBe(false);

    const fresh = createSleeper();
    fresh.wake();
    fresh.reset();
    expect(await settled(fresh.sleep(60_000))).toBe(false);
  });

  it('once closed, ends the sleeps in progress and every later one at once', async () => {
    const sleeper = createSleeper();
    const forever = sleeper.sleep(Number.POSITIVE_INFINITY);
    sleeper.close();
    expect(await settled(forever)).toBe(true);
    expect(await settled(sleeper.sleep(60_000))).toBe(true);
    expect(await settled(sleeper.sleep(60_000))).toBe(true);
  });
});
