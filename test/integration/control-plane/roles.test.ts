import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAgent, registerAgentVersion, setLiveVersion } from '../../../lib/db/repositories/agents.ts';
import { createToken } from '../../../lib/db/repositories/tokens.ts';
import type { TokenRole } from '../../../lib/db/schema.ts';
import { testClients } from '../../helpers/clients.ts';
import {
  databaseSnapshot,
  seedPendingApproval,
  startTestControlPlane,
  type TestControlPlane,
} from '../../helpers/control-plane.ts';
import { createCatalogTopics, topicPrefix } from '../../helpers/kafka-topics.ts';
import { useFreshDatabase } from '../../setup/database.ts';

/**
 * The role matrix, as documented (docs/control-plane.md): a viewer only reads; an operator also registers agents and
 * versions, sets the live version and the learning policy, pauses, resumes and starts sessions; an approver also
 * decides approvals; an admin does all of it and manages tokens. Written out here, not read from the service, so that a change to the service's grants shows up.
 */
const roles = ['viewer', 'operator', 'approver', 'admin'] as const satisfies readonly TokenRole[];
const action = [
  'read an agent',
  'register an agent',
  'register a version',
  'set the live version',
  'set the learning policy',
  'pause learning',
  'resume learning',
  'start a session',
  'decide an approval',
  'list tokens',
  'create a token',
  'revoke a token',
] as const;
type Action = (typeof action)[number];

const matrix: Record<Action, readonly [viewer: boolean, operator: boolean, approver: boolean, admin: boolean]> = {
  //                           viewer operator approver admin
  'read an agent': [true, true, true, true],
  'register an agent': [false, true, false, true],
  'register a version': [false, true, false, true],
  'set the live version': [false, true, false, true],
  'set the learning policy': [false, true, false, true],
  'pause learning': [false, true, false, true],
  'resume learning': [false, true, false, true],
  'start a session': [false, true, false, true],
  'decide an approval': [false, false, true, true],
  'list tokens': [false, false, false, true],
  'create a token': [false, false, false, true],
  'revoke a token': [false, false, false, true],
};

/** What each role acts on: an agent with a live version and a second one, an idle agent, a token to revoke, a pending approval. */
interface Setup {
  agentId: string;
  /** No session, no experiment, never paused: a session may start. */
  idleAgentId: string;
  nextVersionId: string;
  tokenId: string;
  approvalId: string;
}

const requests: Record<
  Action,
  {
    method: string;
    path: (s: Setup, role: TokenRole) => string;
    body?: (s: Setup, role: TokenRole) => unknown;
    success: number;
  }
> = {
  'read an agent': { method: 'GET', path: (s) => `/api/agents/${s.agentId}`, success: 200 },
  'register an agent': {
    method: 'PUT',
    path: (_s, role) => `/api/agents/new-${role}`,
    body: () => ({ name: 'New' }),
    success: 201,
  },
  'register a version': {
    method: 'POST',
    path: (s) => `/api/agents/${s.agentId}/versions`,
    body: () => ({ config: { model: 'm1', instructions: 'a third way' } }),
    success: 201,
  },
  'set the live version': {
    method: 'POST',
    path: (s) => `/api/agents/${s.agentId}/live`,
    body: (s) => ({ versionId: s.nextVersionId }),
    success: 200,
  },
  'set the learning policy': {
    method: 'POST',
    path: (s) => `/api/agents/${s.agentId}/learning/policy`,
    body: () => ({ policy: { trigger: { minRuns: 70 } } }),
    success: 201,
  },
  'pause learning': {
    method: 'POST',
    path: (s) => `/api/agents/${s.agentId}/learning/pause`,
    body: () => ({ reason: 'role check' }),
    success: 200,
  },
  'resume learning': {
    method: 'POST',
    path: (s) => `/api/agents/${s.agentId}/learning/resume`,
    body: () => ({}),
    success: 200,
  },
  'start a session': {
    method: 'POST',
    path: (s) => `/api/agents/${s.idleAgentId}/learning/sessions`,
    body: () => ({ reason: 'role check' }),
    success: 201,
  },
  'decide an approval': {
    method: 'POST',
    path: (s) => `/api/approvals/${s.approvalId}/decision`,
    body: () => ({ decision: 'approved' }),
    success: 200,
  },
  'list tokens': { method: 'GET', path: () => '/api/tokens', success: 200 },
  'create a token': {
    method: 'POST',
    path: () => '/api/tokens',
    body: (_s, role) => ({ name: `made-by-${role}`, role: 'viewer' }),
    success: 201,
  },
  'revoke a token': { method: 'DELETE', path: (s) => `/api/tokens/${s.tokenId}`, success: 200 },
};

const database = useFreshDatabase();
const { kafka } = testClients('cp-roles');
let cp: TestControlPlane;
const setups = {} as Record<TokenRole, Setup>;
/** The approval the roles that may not decide one try to decide: it must stay pending. */
let bystanderApprovalId: string;

beforeAll(async () => {
  const prefix = topicPrefix('cp-roles');
  await createCatalogTopics(kafka, prefix);
  const db = database().db;
  cp = await startTestControlPlane(db, database().url, prefix);
  bystanderApprovalId = (await seedPendingApproval(db)).approvalId;
  for (const [i, role] of roles.entries()) {
    const agentId = `agent-of-${role}`;
    await registerAgent(db, { id: agentId, name: agentId });
    const live = await registerAgentVersion(db, {
      agent_id: agentId,
      config: { model: 'm1', instructions: 'one way' },
    });
    const next = await registerAgentVersion(db, {
      agent_id: agentId,
      config: { model: 'm1', instructions: 'another way' },
    });
    await setLiveVersion(db, agentId, live.version.id);
    const idleAgentId = `idle-agent-of-${role}`;
    await registerAgent(db, { id: idleAgentId, name: idleAgentId });
    const { row } = await createToken(db, { name: `to-revoke-${role}`, role: 'viewer', created_by: 'test' });
    const approvalId = matrix['decide an approval'][i]
      ? (await seedPendingApproval(db)).approvalId
      : bystanderApprovalId;
    setups[role] = { agentId, idleAgentId, nextVersionId: next.version.id, tokenId: row.id, approvalId };
  }
});
afterAll(async () => {
  await cp?.stop();
});

const cases = roles.flatMap((role, i) =>
  action.map((a) => ({ role, action: a, allowed: matrix[a][i]!, verdict: matrix[a][i] ? 'may' : 'may not' })),
);

describe('what each role may do', () => {
  it.each(cases)('$role $verdict $action', async ({ role, action: a, allowed }) => {
    const request = requests[a];
    const s = setups[role];
    const call = () => cp.call(role, request.method, request.path(s, role), request.body?.(s, role));
    if (allowed) {
      const answer = await call();
      expect(answer.status, JSON.stringify(answer.body)).toBe(request.success);
      return;
    }
    const before = await databaseSnapshot(database().db);
    const answer = await call();
    expect(answer.status).toBe(403);
    expect(answer.body.error).toContain(`role ${role} may not`);
    expect(await databaseSnapshot(database().db)).toEqual(before);
  });

  it('the approval that refused roles tried to decide is still pending', async () => {
    const row = await database()
      .db.selectFrom('approvals')
      .select(['decision', 'approver'])
      .where('id', '=', bystanderApprovalId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ decision: null, approver: null });
  });
});
