import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { createLogger, type Logger } from '../logging.ts';
import type { Database } from './schema.ts';

export interface DbOptions {
  url: string;
  /** Where errors of idle pooled connections are reported (a database restart cuts them all); stderr when absent. */
  logger?: Logger;
  /** Pool size: each service needs few connections, and the schema registry and tests share the server. */
  max?: number;
}

const INT8_OID = 20;
const DATE_OID = 1082;

/** bigint as number: ids, versions, counts and offsets stay far below 2^53; one that does not is an error, not a rounding. */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`bigint ${text} does not fit a JavaScript number`);
  return value;
}

/** A date column stays 'YYYY-MM-DD': pg would make it a Date at local midnight, a day off west of UTC. */
const parseDate = (text: string): string => text;

// Per pool rather than pg.types.setTypeParser, so that other pg users in the process keep pg's defaults.
const types = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === INT8_OID) return parseInt8;
    if (oid === DATE_OID) return parseDate;
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** A kysely handle over a pg pool; `DB` is the table map, learnloop's by default (lib/db/schema.ts). */
export function createDb<DB = Database>(options: DbOptions): Kysely<DB> {
  const pool = new pg.Pool({ connectionString: options.url, max: options.max ?? 10, types });
  // A connection whose server goes away emits 'error'; unheard, that crashes the process. pg-pool listens only while a
  // client is idle (it removes its listener at checkout), and a transaction holds its client while the handler runs,
  // so every client gets a listener of its own. The query in flight fails on its own and is retried by the caller.
  const logger = options.logger ?? createLogger({ level: 'warn', write: (line) => process.stderr.write(line) });
  pool.on('connect', (client) =>
    client.on('error', (err) => logger.warn('database connection lost', { err: err.message })),
  );
  pool.on('error', (err) => logger.debug('idle database connection removed from the pool', { err: err.message }));
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}
