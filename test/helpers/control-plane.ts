import type { Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { physicalNameFor } from '../../lib/config.ts';
import { createToken } from '../../lib/db/repositories/tokens.ts';
import { tokenRoles, type Database, type TokenRole } from '../../lib/db/schema.ts';
import { createLogger } from '../../lib/logging.ts';
import { startControlPlane, type RunningControlPlane } from '../../services/control-plane/control-plane.ts';
import { testClients } from './clients.ts';

export interface ApiAnswer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TestControlPlane extends RunningControlPlane {
  url: string;
  /** One token per role, held by `<role>-person`. */
  tokens: Record<TokenRole, string>;
  /** A request as `role` (or with a raw Authorization header, or none); the body is sent as JSON unless it is a string. */
  call<T = any>(as: TokenRole | { authorization?: string }, method: string, path: string, body?: unknown): Promise<ApiAnswer<T>>;
}

/** The control plane in this process on a free port, its events under `prefix`, with a token for each role. */
export async function startTestControlPlane(db: Kysely<Database>, databaseUrl: string, prefix: string, options: { now?: () => Date } = {}): Promise<TestControlPlane> {
  const { kafka, serde } = testClients('control-plane-test');
  const running = await startControlPlane({
    db,
    databaseUrl,
    kafka,
    serde,
    physicalName: physicalNameFor(prefix),
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 16_384,
    logger: createLogger({ level: 'warn', write: (line) => process.stderr.write(line) }),
    metrics: new Registry(),
    ...(options.now ? { now: options.now } : {}),
  });
  const tokens = {} as Record<TokenRole, string>;
  for (const role of tokenRoles) tokens[role] = (await createToken(db, { name: `${role}-person`, role, created_by: 'test' })).token;
  const url = `http://127.0.0.1:${running.port}`;
  return {
    ...running,
    url,
    tokens,
    async call(as, method, path, body) {
      const authorization = typeof as === 'string' ? `Bearer ${tokens[as]}` : as.authorization;
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { ...(authorization ? { authorization } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text === '' ? null : JSON.parse(text), headers: response.headers };
    },
  };
}
