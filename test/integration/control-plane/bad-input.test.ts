import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, revokeToken } from '../../../lib/db/repositories/tokens.ts';
import type { TokenRole } from '../../../lib/db/schema.ts';
import { testClients } from '../../helpers/clients.ts';
import {
  databaseSnapshot,
  seedPendingApproval,
  startTestControlPlane,
  type ApiAnswer,
  type TestControlPlane,
} from '../../helpers/control-plane.ts';
import { createCatalogTopics, topicPrefix } from '../../helpers/kafka-topics.ts';
import { useFreshDatabase } from '../../setup/database.ts';

/**
 * Every refusal: its status, a JSON error naming the field at fault, and nothing written (every table the API writes,
 * and the outbox, compared row by row before and after).
 */

const database = useFreshDatabase();
const { kafka } = testClients('cp-bad-input');
let cp: TestControlPlane;

interface Fixture {
  /** An agent with a live version and policy version 1. */
  agentId: string;
  /** A version of another agent. */
  foreignVersionId: string;
  pausedApprovalId: string;
  expiredApprovalId: string;
  /** An agent whose experiment is active, and its candidate version. */
  busyAgentId: string;
  busyCandidateId: string;
  revokedToken: string;
}
let f: Fixture;

beforeAll(async () => {
  const prefix = topicPrefix('cp-bad-input');
  await createCatalogTopics(kafka, prefix);
  const db = database().db;
  cp = await startTestControlPlane(db, database().url, prefix);
  const config = (instructions: string) => ({ model: 'm1', instructions });
  expect((await cp.call('operator', 'PUT', '/api/agents/steady', { name: 'Steady' })).status).toBe(201);
  expect(
    (await cp.call('operator', 'POST', '/api/agents/steady/versions', { config: config('be steady'), live: true }))
      .body,
  ).toMatchObject({ live: true });
  expect(
    (await cp.call('operator', 'POST', '/api/agents/steady/learning/policy', { policy: { trigger: { minRuns: 80 } } }))
      .body,
  ).toMatchObject({ version: 1 });
  expect((await cp.call('operator', 'PUT', '/api/agents/neighbour', {})).status).toBe(201);
  const foreign = await cp.call('operator', 'POST', '/api/agents/neighbour/versions', {
    config: config('be neighbourly'),
  });
  expect(foreign.status).toBe(201);
  const paused = await seedPendingApproval(db, { experimentStatus: 'paused' });
  const expired = await seedPendingApproval(db, { expiresAt: new Date(Date.now() - 60_000) });
  const revoked = await createToken(db, { name: 'former-operator', role: 'operator', created_by: 'test' });
  await revokeToken(db, revoked.row.id);
  f = {
    agentId: 'steady',
    foreignVersionId: foreign.body.id,
    pausedApprovalId: paused.approvalId,
    expiredApprovalId: expired.approvalId,
    busyAgentId: expired.agentId,
    busyCandidateId: expired.candidateVersionId,
    revokedToken: revoked.token,
  };
});
afterAll(async () => {
  await cp?.stop();
});

interface Refusal {
  what: string;
  as: TokenRole | 'nobody' | 'a wrong token' | 'a basic credential' | 'a revoked token';
  method: string;
  path: (f: Fixture) => string;
  body?: unknown | ((f: Fixture) => unknown);
  status: number;
  /** The field the error names; none for refusals of the whole request (403, 405). */
  field?: string;
}

const policyPath = (f: Fixture) => `/api/agents/${f.agentId}/learning/policy`;
const policy = (p: object) => ({ policy: p });

const refusals: Refusal[] = [
  // The body as a whole.
  {
    what: 'malformed JSON',
    as: 'operator',
    method: 'POST',
    path: policyPath,
    body: '{"policy": {"trigger": ',
    status: 400,
    field: 'body',
  },
  {
    what: 'a JSON array for a body',
    as: 'operator',
    method: 'POST',
    path: policyPath,
    body: '[{"policy": {}}]',
    status: 400,
    field: 'body',
  },
  {
    what: 'a JSON string for a body',
    as: 'operator',
    method: 'POST',
    path: (f) => `/api/agents/${f.agentId}/learning/pause`,
    body: '"now"',
    status: 400,
    field: 'body',
  },
  {
    what: 'JSON null for a body',
    as: 'operator',
    method: 'PUT',
    path: (f) => `/api/agents/${f.agentId}`,
    body: 'null',
    status: 400,
    field: 'body',
  },
  {
    what: 'a body over the 16384-byte limit',
    as: 'operator',
    method: 'PUT',
    path: (f) => `/api/agents/${f.agentId}`,
    body: { name: 'x'.repeat(17_000) },
    status: 400,
    field: 'body',
  },
  // Fields of the body.
  {
    what: 'an unknown field of an agent',
    as: 'operator',
    method: 'PUT',
    path: (f) => `/api/agents/${f.agentId}`,
    body: { name2: 'Steadier' },
    status: 400,
    field: 'name2',
  },
  {
    what: 'an unknown field of a policy',
    as: 'operator',
    method: 'POST',
    path: policyPath,
    body: policy({ trigger: { surprise: 1 } }),
    status: 400,
    field: 'policy.trigger.surprise',
  },
  {
    what: 'a failure rate threshold above 1',
    as: 'operator',
    method: 'POST',
    path: policyPath,
    body: policy({ trigger: { failureRateAbove: 1.5 } }),
    status: 400,
    field: 'policy.trigger.failureRateAbove',
  },
  {
    what: 'a minimum of 0 runs',
    as: 'operator',
    method: 'POST',
    path: policyPath,
    body: policy({ trigger: { minRuns: 0 } }),
    status: 400,
    field: 'policy.trigger.minRuns',
  },
  {
    what: 'a cron expression that does not parse',
    as: 'operator',
    method: 'POST',
    path: policyPath,
    body: policy({ schedule: { cron: 'every day at noon' } }),
    status: 400,
    field: 'policy.schedule.cron',
  },
  {
    what: 'an unknown time zone',
    as: 'operator',
    method: 'POST',
    path: policyPath,
    body: policy({ schedule: { timezone: 'Mars/Olympus' } }),
    status: 400,
    field: 'policy.schedule.timezone',
  },
  {
    what: 'a risk rule looser than the central one',
    as: 'operator',
    method: 'POST',
    path: policyPath,
    body: policy({ risk: { lowRiskMaxEditRatio: 0.5 } }),
    status: 400,
    field: 'policy.risk.lowRiskMaxEditRatio',
  },
  {
    what: 'paused set through the policy',
    as: 'operator',
    method: 'POST',
    path: policyPath,
    body: policy({ paused: true }),
    status: 400,
    field: 'policy.paused',
  },
  {
    what: 'a policy that is not an object',
    as: 'operator',
    method: 'POST',
    path: policyPath,
    body: { policy: [1, 2] },
    status: 400,
    field: 'policy',
  },
  {
    what: 'a negative expectedVersion',
    as: 'operator',
    method: 'POST',
    path: policyPath,
    body: { policy: {}, expectedVersion: -1 },
    status: 400,
    field: 'expectedVersion',
  },
  {
    what: 'a version without a model',
    as: 'operator',
    method: 'POST',
    path: (f) => `/api/agents/${f.agentId}/versions`,
    body: { config: { instructions: 'x' } },
    status: 400,
    field: 'config.model',
  },
  {
    what: 'a pause without a reason',
    as: 'operator',
    method: 'POST',
    path: (f) => `/api/agents/${f.agentId}/learning/pause`,
    body: {},
    status: 400,
    field: 'reason',
  },
  {
    what: 'a decision that is neither approved nor rejected',
    as: 'approver',
    method: 'POST',
    path: (f) => `/api/approvals/${f.expiredApprovalId}/decision`,
    body: { decision: 'maybe' },
    status: 400,
    field: 'decision',
  },
  {
    what: 'a token of an unknown role',
    as: 'admin',
    method: 'POST',
    path: () => '/api/tokens',
    body: { name: 'root', role: 'superuser' },
    status: 400,
    field: 'role',
  },
  // What JSON can say and Postgres cannot store, or a plain object cannot hold.
  {
    what: 'a NUL character in a name',
    as: 'operator',
    method: 'PUT',
    path: (f) => `/api/agents/${f.agentId}`,
    body: { name: 'A\u0000B' },
    status: 400,
    field: 'name',
  },
  {
    what: 'a NUL character deep in a configuration',
    as: 'operator',
    method: 'POST',
    path: (f) => `/api/agents/${f.agentId}/versions`,
    body: { config: { model: 'm', instructions: 'x', tools: [{ name: 'a\u0000' }] } },
    status: 400,
    field: 'config.tools.0.name',
  },
  {
    what: 'a NUL character in a reason',
    as: 'operator',
    method: 'POST',
    path: (f) => `/api/agents/${f.agentId}/learning/pause`,
    body: { reason: 'x\u0000y' },
    status: 400,
    field: 'reason',
  },
  {
    what: 'a NUL character in a token holder',
    as: 'admin',
    method: 'POST',
    path: () => '/api/tokens',
    body: { name: 'a\u0000', role: 'viewer' },
    status: 400,
    field: 'name',
  },
  {
    what: 'a __proto__ key in a policy',
    as: 'operator',
    method: 'POST',
    path: policyPath,
    body: '{"policy": {"__proto__": {"paused": true}}}',
    status: 400,
    field: 'policy.__proto__',
  },
  // The query and the path.
  {
    what: 'a NUL character in a path segment',
    as: 'viewer',
    method: 'GET',
    path: () => '/api/agents/%00',
    status: 400,
    field: 'agentId',
  },
  {
    what: 'a NUL character in a query parameter',
    as: 'viewer',
    method: 'GET',
    path: () => '/api/audit?agentId=%00',
    status: 400,
    field: 'agentId',
  },
  {
    what: 'a policy version beyond the column',
    as: 'viewer',
    method: 'GET',
    path: (f) => `${policyPath(f)}?version=3000000000`,
    status: 400,
    field: 'version',
  },
  {
    what: 'an unknown query parameter',
    as: 'viewer',
    method: 'GET',
    path: () => '/api/audit?surprise=1',
    status: 400,
    field: 'surprise',
  },
  {
    what: 'a query parameter on a route that takes none',
    as: 'viewer',
    method: 'GET',
    path: (f) => `/api/agents/${f.agentId}?verbose=1`,
    status: 400,
    field: 'verbose',
  },
  {
    what: 'an unknown approval status',
    as: 'viewer',
    method: 'GET',
    path: () => '/api/approvals?status=maybe',
    status: 400,
    field: 'status',
  },
  {
    what: 'a query parameter given twice',
    as: 'viewer',
    method: 'GET',
    path: () => '/api/audit?limit=1&limit=2',
    status: 400,
    field: 'limit',
  },
  {
    what: 'a path segment that is not percent-encoded UTF-8',
    as: 'operator',
    method: 'PUT',
    path: () => '/api/agents/%E0%A4%A',
    body: {},
    status: 400,
    field: 'agentId',
  },
  // Unknown things.
  {
    what: 'an unknown agent',
    as: 'viewer',
    method: 'GET',
    path: () => '/api/agents/ghost',
    status: 404,
    field: 'agentId',
  },
  {
    what: 'a policy for an unknown agent',
    as: 'operator',
    method: 'POST',
    path: () => '/api/agents/ghost/learning/policy',
    body: policy({}),
    status: 404,
    field: 'agentId',
  },
  {
    what: 'pausing an unknown agent',
    as: 'operator',
    method: 'POST',
    path: () => '/api/agents/ghost/learning/pause',
    body: { reason: 'r' },
    status: 404,
    field: 'agentId',
  },
  {
    what: 'the status of an unknown agent',
    as: 'viewer',
    method: 'GET',
    path: () => '/api/agents/ghost/learning/status',
    status: 404,
    field: 'agentId',
  },
  {
    what: 'an unknown version made live',
    as: 'operator',
    method: 'POST',
    path: (f) => `/api/agents/${f.agentId}/live`,
    body: { versionId: 'no-such-version' },
    status: 404,
    field: 'versionId',
  },
  {
    what: "another agent's version made live",
    as: 'operator',
    method: 'POST',
    path: (f) => `/api/agents/${f.agentId}/live`,
    body: (f: Fixture) => ({ versionId: f.foreignVersionId }),
    status: 404,
    field: 'versionId',
  },
  {
    what: 'an unknown policy version',
    as: 'viewer',
    method: 'GET',
    path: (f) => `${policyPath(f)}?version=7`,
    status: 404,
    field: 'version',
  },
  {
    what: 'an unknown approval',
    as: 'approver',
    method: 'POST',
    path: () => '/api/approvals/no-such-approval/decision',
    body: { decision: 'approved' },
    status: 404,
    field: 'approvalId',
  },
  {
    what: 'revoking an unknown token',
    as: 'admin',
    method: 'DELETE',
    path: () => '/api/tokens/no-such-token',
    status: 404,
    field: 'tokenId',
  },
  // Who is asking.
  {
    what: 'no token',
    as: 'nobody',
    method: 'POST',
    path: policyPath,
    body: policy({}),
    status: 401,
    field: 'authorization',
  },
  {
    what: 'a token that was never issued',
    as: 'a wrong token',
    method: 'POST',
    path: policyPath,
    body: policy({}),
    status: 401,
    field: 'authorization',
  },
  {
    what: 'credentials that are not a bearer token',
    as: 'a basic credential',
    method: 'GET',
    path: () => '/api/approvals',
    status: 401,
    field: 'authorization',
  },
  {
    what: 'a revoked token',
    as: 'a revoked token',
    method: 'POST',
    path: policyPath,
    body: policy({}),
    status: 401,
    field: 'authorization',
  },
  {
    what: 'a viewer registering an agent',
    as: 'viewer',
    method: 'PUT',
    path: () => '/api/agents/newcomer',
    body: {},
    status: 403,
  },
  {
    what: 'an operator deciding an approval',
    as: 'operator',
    method: 'POST',
    path: (f) => `/api/approvals/${f.expiredApprovalId}/decision`,
    body: { decision: 'approved' },
    status: 403,
  },
  {
    what: 'an approver changing a policy',
    as: 'approver',
    method: 'POST',
    path: policyPath,
    body: policy({}),
    status: 403,
  },
  // Methods.
  { what: 'DELETE of an agent', as: 'admin', method: 'DELETE', path: (f) => `/api/agents/${f.agentId}`, status: 405 },
  { what: 'PUT of the token list', as: 'admin', method: 'PUT', path: () => '/api/tokens', body: {}, status: 405 },
  // The state forbids it.
  {
    what: 'deciding the approval of a paused experiment',
    as: 'approver',
    method: 'POST',
    path: (f) => `/api/approvals/${f.pausedApprovalId}/decision`,
    body: { decision: 'approved' },
    status: 409,
    field: 'approvalId',
  },
  {
    what: 'deciding an expired approval',
    as: 'approver',
    method: 'POST',
    path: (f) => `/api/approvals/${f.expiredApprovalId}/decision`,
    body: { decision: 'approved' },
    status: 409,
    field: 'approvalId',
  },
  {
    what: 'a policy written over a stale version',
    as: 'operator',
    method: 'POST',
    path: policyPath,
    body: { policy: {}, expectedVersion: 0 },
    status: 409,
    field: 'expectedVersion',
  },
  {
    what: 'a session started during an experiment',
    as: 'operator',
    method: 'POST',
    path: (f) => `/api/agents/${f.busyAgentId}/learning/sessions`,
    body: { reason: 'try again' },
    status: 409,
    field: 'agentId',
  },
  {
    what: 'a live version set during an experiment',
    as: 'operator',
    method: 'POST',
    path: (f) => `/api/agents/${f.busyAgentId}/live`,
    body: (f: Fixture) => ({ versionId: f.busyCandidateId }),
    status: 409,
    field: 'versionId',
  },
];

function send(r: Refusal): Promise<ApiAnswer> {
  const body = typeof r.body === 'function' ? r.body(f) : r.body;
  const as =
    r.as === 'nobody'
      ? {}
      : r.as === 'a wrong token'
        ? { authorization: 'Bearer llt_not-a-token-anyone-was-given' }
        : r.as === 'a basic credential'
          ? { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` }
          : r.as === 'a revoked token'
            ? { authorization: `Bearer ${f.revokedToken}` }
            : r.as;
  return cp.call(as, r.method, r.path(f), body);
}

describe('bad input is refused with its status, the field at fault, and nothing written', () => {
  it.each(refusals)('$what: $status', async (r) => {
    const before = await databaseSnapshot(database().db);
    const answer = await send(r);
    expect(answer.status).toBe(r.status);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.body.error).toEqual(expect.any(String));
    if (r.field !== undefined) expect(answer.body.field).toBe(r.field);
    if (r.status === 400 && answer.body.problems)
      expect(answer.body.problems.map((p: { field: string }) => p.field)).toContain(r.field);
    if (r.status === 401) expect(answer.headers.get('www-authenticate')).toBe('Bearer');
    if (r.status === 403) expect(answer.body.error).toContain(`role ${r.as} may not`);
    if (r.status === 405) expect(answer.headers.get('allow')).toBe(r.method === 'DELETE' ? 'GET, PUT' : 'GET, POST');
    expect(await databaseSnapshot(database().db)).toEqual(before);
  });

  it('a streamed body over the limit, without a declared length: 400 body', async () => {
    const before = await databaseSnapshot(database().db);
    const chunk = new TextEncoder().encode(JSON.stringify({ name: 'y'.repeat(20_000) }));
    const response = await fetch(`${cp.url}/api/agents/streamed`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${cp.tokens.operator}`, 'content-type': 'application/json' },
      body: new ReadableStream({ start: (c) => (c.enqueue(chunk), c.close()) }),
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ field: 'body' });
    expect(await databaseSnapshot(database().db)).toEqual(before);
  });

  it('the refusals left every fixture as it was: the policy at version 1, both approvals pending', async () => {
    const db = database().db;
    expect(await db.selectFrom('policies').select('version').where('agent_id', '=', 'steady').execute()).toEqual([
      { version: 1 },
    ]);
    const approvals = await db
      .selectFrom('approvals')
      .select('decision')
      .where('id', 'in', [f.pausedApprovalId, f.expiredApprovalId])
      .execute();
    expect(approvals).toEqual([{ decision: null }, { decision: null }]);
    expect(
      await db.selectFrom('agents').select('id').where('id', 'in', ['newcomer', 'streamed', 'ghost']).execute(),
    ).toEqual([]);
  });
});
