import type { LogLevel } from './config.ts';

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `bindings` to every line, e.g. the service or partition. */
  child(bindings: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; a service logs to stdout, the CLI to stderr so that its stdout stays machine-readable. */
  write?: (line: string) => void;
  bindings?: LogFields;
  now?: () => Date;
}

/** Errors do not survive JSON.stringify; keep what an operator needs. */
function serialise(value: unknown): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message, stack: value.stack };
    if (value.cause !== undefined) out['cause'] = serialise(value.cause);
    return out;
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** One JSON object per line: time, level, msg, then the bound and given fields. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = rank[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const now = options.now ?? (() => new Date());
  const bindings = options.bindings ?? {};

  const log = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (rank[level] < threshold) return;
    const record: Record<string, unknown> = { time: now().toISOString(), level, msg, ...bindings };
    for (const [key, value] of Object.entries(fields ?? {})) record[key] = serialise(value);
    write(`${JSON.stringify(record, (_k, v: unknown) => serialise(v))}\n`);
  };

  return {
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
    child: (more) => createLogger({ ...options, bindings: { ...bindings, ...more } }),
  };
}
