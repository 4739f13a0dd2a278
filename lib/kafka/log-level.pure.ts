export type LevelName = 'error' | 'warn' | 'info' | 'debug';

/**
 * The level a kafkajs log entry deserves in learnloop's log, and whether it reports a retry in progress.
 *
 * kafkajs logs at ERROR every error response ("Response GroupCoordinator …") and every failed attempt of a send it
 * is about to retry (those carry `retryCount`), a relay's CONCURRENT_TRANSACTIONS among them. Nothing is lost by
 * either: the caller sees the error that finally counts and logs it itself. A person needs only that one, so the
 * others are detail (debug), and retries are counted instead (docs/consumer-runtime.md).
 */
export function kafkajsLogLevel(
  level: LevelName,
  message: unknown,
  fields: Readonly<Record<string, unknown>>,
): { level: LevelName; retry: boolean } {
  if (typeof message === 'string' && message.startsWith('Response ')) return { level: 'debug', retry: false };
  if (typeof fields.retryCount === 'number' && (level === 'error' || level === 'warn'))
    return { level: 'debug', retry: true };
  return { level, retry: false };
}
