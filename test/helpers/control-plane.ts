import { sql, type Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { physicalNameFor } from '../../lib/config.ts';
import { requestApproval } from '../../lib/db/repositories/approvals.ts';
import { updateExperiment } from '../../lib/db/repositories/experiments.ts';
import { createToken } from '../../lib/db/repositories/tokens.ts';
import { tokenRoles, type Database, type TokenRole } from '../../lib/db/schema.ts';
import { createLogger } from '../../lib/logging.ts';
import { startControlPlane, type RunningControlPlane } from '../../services/control-plane/control-plane.ts';
import { testClients } from './clients.ts';
import { seedExperiment, testPolicy, type SeededExperiment } from './judge.ts';

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
  call<T = any>(
    as: TokenRole | { authorization?: string },
    method: string,
    path: string,
    body?: unknown,
  ): Promise<ApiAnswer<T>>;
}

/** The control plane in this process on a free port, its events under `prefix`, with a token for each role. */
export async function startTestControlPlane(
  db: Kysely<Database>,
  databaseUrl: string,
  prefix: string,
  options: { now?: () => Date } = {},
): Promise<TestControlPlane> {
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
  // As a deployment waits for /readyz: until the relay has started, the first events wait for it.
  const deadline = Date.now() + 60_000;
  while (!running.ready()) {
    if (Date.now() > deadline) throw new Error('the control plane did not become ready in 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  const tokens = {} as Record<TokenRole, string>;
  for (const role of tokenRoles)
    tokens[role] = (await createToken(db, { name: `${role}-person`, role, created_by: 'test' })).token;
  const url = `http://127.0.0.1:${running.port}`;
  return {
    ...running,
    url,
    tokens,
    async call(as, method, path, body) {
      const authorization = typeof as === 'string' ? `Bearer ${tokens[as]}` : as.authorization;
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(authorization ? { authorization } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text === '' ? null : JSON.parse(text), headers: response.headers };
    },
  };
}

/**
 * An experiment waiting for a person's decision, with its pending approval, as the judge leaves it. `startedBy`: the
 * session was started by hand by that person (the four-eyes rule); `experimentStatus: 'paused'`: an agent paused while
 * it waited; `expiresAt`: the request's expiry (default: three days from now).
 */
export async function seedPendingApproval(
  db: Kysely<Database>,
  options: { startedBy?: string; experimentStatus?: 'awaiting_approval' | 'paused'; expiresAt?: Date } = {},
): Promise<SeededExperiment & { approvalId: string }> {
  const seeded = await seedExperiment(db, { riskTier: 'high', policy: testPolicy(), startedAt: new Date() });
  if (options.startedBy !== undefined) {
    await db
      .updateTable('sessions')
      .set({ trigger: 'manual', started_by: options.startedBy })
      .where('id', '=', seeded.sessionId)
      .execute();
  }
  const moved = await updateExperiment(db, seeded.experimentId, 1, {
    status: options.experimentStatus ?? 'awaiting_approval',
  });
  if (!moved.ok) throw new Error(`could not move experiment ${seeded.experimentId}: ${moved.reason}`);
  const { approval } = await requestApproval(db, {
    experiment_id: seeded.experimentId,
    proposal_id: seeded.proposalId,
    expires_at: options.expiresAt ?? new Date(Date.now() + 72 * 3_600_000),
  });
  return { ...seeded, approvalId: approval.id };
}

/** The tables the API writes (the outbox with its relay's position: a row published since shows there). */
const snapshotTables = [
  'agents',
  'agent_versions',
  'policies',
  'sessions',
  'proposals',
  'experiments',
  'approvals',
  'audit_log',
  'api_tokens',
  'outbox',
  'outbox_positions',
] as const;

/**
 * Every row of the tables the API writes, as JSON, taken once the outbox relay has published what was pending: two
 * equal snapshots around a request mean it wrote nothing (an event it caused would be in the outbox or its position).
 */
export async function databaseSnapshot(db: Kysely<Database>): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM outbox`.execute(db);
    if (Number(rows[0]!.n) === 0) break;
    if (Date.now() > deadline) throw new Error('databaseSnapshot: the outbox was not published within 30 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  const snapshot: Record<string, unknown> = {};
  for (const table of snapshotTables) {
    const { rows } = await sql<{
      rows: unknown[];
    }>`SELECT coalesce(json_agg(t ORDER BY t::text), '[]'::json) AS rows FROM ${sql.table(table)} t`.execute(db);
    snapshot[table] = rows[0]!.rows;
  }
  return snapshot;
}
