/**
 * A pause that can be cut short: a loop that polls sleeps on it, and whoever has work for the loop (a notification,
 * new data, a stop) wakes it. A wake-up that arrives while nobody sleeps is kept for the next sleep, so that it is
 * never lost between the loop's last look at its work and its next sleep.
 */
export interface Sleeper {
  /**
   * Resolves after `ms` (never, for Infinity), when woken, or at once if a wake-up arrived since the last `reset()`
   * and nobody took it yet, or if the sleeper is closed.
   */
  sleep(ms: number): Promise<void>;
  /** Ends every sleep in progress; with none in progress, the next sleep returns at once. */
  wake(): void;
  /** Forgets a kept wake-up: call it just before looking at the work a wake-up announces. */
  reset(): void;
  /** Every sleep, now and from now on, returns at once (the loop is stopping). */
  close(): void;
  /** Whether a sleep is in progress. */
  readonly sleeping: boolean;
}

export function createSleeper(): Sleeper {
  const sleepers = new Set<() => void>();
  let kept = false;
  let closed = false;
  const wakeAll = () => {
    for (const done of [...sleepers]) done();
  };
  return {
    sleep(ms) {
      if (closed || kept) {
        kept = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
        function done() {
          clearTimeout(timer);
          sleepers.delete(done);
          resolve();
        }
        sleepers.add(done);
      });
    },
    wake() {
      if (sleepers.size === 0) kept = true;
      else wakeAll();
    },
    reset() {
      kept = false;
    },
    close() {
      closed = true;
      wakeAll();
    },
    get sleeping() {
      return sleepers.size > 0;
    },
  };
}
