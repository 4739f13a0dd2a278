import type { Logger } from './logging.ts';

export type ShutdownHook = { name: string; run: () => Promise<void> };

export interface Shutdown {
  /** Registers work to do on shutdown; hooks run in reverse order of registration (last started, first stopped). */
  add(name: string, run: () => Promise<void>): void;
  /** Runs every hook once, even if one fails; resolves to true when all finished cleanly within the timeout. */
  run(reason: string): Promise<boolean>;
}

export function createShutdown(logger: Logger, timeoutMs: number): Shutdown {
  const hooks: ShutdownHook[] = [];
  let running: Promise<boolean> | undefined;

  const runHooks = async (reason: string): Promise<boolean> => {
    logger.info('shutting down', { reason, hooks: hooks.length });
    let clean = true;
    for (const hook of [...hooks].reverse()) {
      try {
        await hook.run();
      } catch (err) {
        clean = false;
        logger.error('shutdown hook failed', { hook: hook.name, err });
      }
    }
    return clean;
  };

  return {
    add: (name, run) => {
      hooks.push({ name, run });
    },
    run: (reason) => {
      running ??= (async () => {
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<boolean>((resolve) => {
          timer = setTimeout(() => {
            logger.error('shutdown timed out', { timeoutMs });
            resolve(false);
          }, timeoutMs);
        });
        try {
          return await Promise.race([runHooks(reason), timedOut]);
        } finally {
          clearTimeout(timer);
        }
      })();
      return running;
    },
  };
}

/**
 * SIGTERM or SIGINT: stop consuming, let the batch in flight finish and commit (the hooks do that), then exit 0, or
 * 1 when a hook failed or the timeout passed. A second signal exits at once.
 */
export function exitOnSignals(shutdown: Shutdown, logger: Logger): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      logger.warn('second signal, exiting now', { signal });
      process.exit(130);
    }
    signalled = true;
    void shutdown.run(signal).then((clean) => process.exit(clean ? 0 : 1));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
