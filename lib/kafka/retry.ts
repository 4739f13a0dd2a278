/**
 * Which failures are worth waiting out: the database, the registry or Kafka being unreachable or restarting. Anything
 * else is a property of the input or a bug, and retrying it would block the partition for ever.
 */
const transientPgCodes = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '53300', // too_many_connections
]);
const transientNodeCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

export function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const { code, name, message } = err as Error & { code?: unknown; retriable?: unknown };
  if (typeof code === 'string' && (transientNodeCodes.has(code) || transientPgCodes.has(code) || code.startsWith('08')))
    return true;
  if (name === 'RegistryUnavailableError' || (err as { retriable?: unknown }).retriable === true) return true;
  if (
    /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
      message,
    )
  ) {
    return true;
  }
  if (err instanceof AggregateError) return err.errors.some(isTransient);
  return err.cause !== undefined && isTransient(err.cause);
}

/** Exponential backoff with jitter in [½, 1] of the step, so that replicas retrying together spread out. */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const step = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt));
  return Math.round(step * (0.5 + random() / 2));
}
