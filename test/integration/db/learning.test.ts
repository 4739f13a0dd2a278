import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAgent, registerAgentVersion } from '../../../lib/db/repositories/agents.ts';
import {
  decideApproval,
  getApproval,
  recordAutoApproval,
  requestApproval,
} from '../../../lib/db/repositories/approvals.ts';
import { getActiveExperiment, insertExperiment, updateExperiment } from '../../../lib/db/repositories/experiments.ts';
import { getProposal, insertProposal } from '../../../lib/db/repositories/proposals.ts';
import { closeSession, getOpenSession, openSession, setSessionStatus } from '../../../lib/db/repositories/sessions.ts';
import type { Db } from '../../../lib/db/schema.ts';
import { freshDatabase, type FreshDatabase } from '../../setup/database.ts';

let fresh: FreshDatabase;
let db: Db;
beforeAll(async () => {
  fresh = await freshDatabase();
  db = fresh.db;
});
afterAll(() => fresh.drop());

/** A registered agent with a baseline and a candidate version. */
async function agentWithVersions(): Promise<{ agentId: string; baseline: string; candidate: string }> {
  const agentId = `agent-${randomUUID()}`;
  await registerAgent(db, { id: agentId, name: 'support bot' });
  const baseline = await registerAgentVersion(db, {
    agent_id: agentId,
    config: { model: 'm1', instructions: 'be kind' },
  });
  const candidate = await registerAgentVersion(db, {
    agent_id: agentId,
    config: { model: 'm1', instructions: 'be kind and brief' },
  });
  return { agentId, baseline: baseline.version.id, candidate: candidate.version.id };
}

/** An agent with a session and a proposal, ready for an experiment. */
async function proposalFor(): Promise<{ agentId: string; sessionId: string; proposalId: string }> {
  const { agentId, baseline, candidate } = await agentWithVersions();
  const opened = await openSession(db, { agent_id: agentId, trigger: 'threshold', signals: { failureRate: 0.3 } });
  if (!opened.ok) throw new Error('could not open a session');
  const proposal = await insertProposal(db, {
    session_id: opened.session.id,
    agent_id: agentId,
    baseline_version_id: baseline,
    candidate_version_id: candidate,
    change: { kind: 'instructions', diff: '+ and brief' },
    risk_tier: 'low',
    auto_eligible: true,
    risk_reasons: ['instruction_only'],
    generator: 'test',
  });
  return { agentId, sessionId: opened.session.id, proposalId: proposal.id };
}

const experimentInput = (agentId: string, proposalId: string) => ({
  agent_id: agentId,
  proposal_id: proposalId,
  mode: 'ab' as const,
  traffic_split: { baseline: 0.95, candidate: 0.05 },
  salt: randomUUID(),
  candidate_share: 0.05,
});

describe('sessions: single flight', () => {
  it('a second open session for the same agent is refused with a typed result, and allowed once the first is closed', async () => {
    const { agentId } = await agentWithVersions();
    const first = await openSession(db, {
      agent_id: agentId,
      trigger: 'threshold',
      signals: { score: 0.4 },
      reason: 'score fell',
    });
    expect(first).toMatchObject({
      ok: true,
      session: { agent_id: agentId, status: 'open', trigger: 'threshold', signals: { score: 0.4 } },
    });
    if (!first.ok) return;
    const second = await openSession(db, { agent_id: agentId, trigger: 'manual', signals: {}, started_by: 'alice' });
    expect(second).toEqual({ ok: false, reason: 'session_open', openSessionId: first.session.id });

    // Moving along keeps it the open one; ending it frees the agent.
    expect(await setSessionStatus(db, first.session.id, 'experimenting')).toMatchObject({
      ok: true,
      session: { status: 'experimenting' },
    });
    expect(await openSession(db, { agent_id: agentId, trigger: 'manual', signals: {} })).toMatchObject({
      ok: false,
      reason: 'session_open',
    });
    const closed = await closeSession(db, first.session.id, { status: 'failed', reason: 'no proposal' });
    expect(closed).toMatchObject({
      ok: true,
      session: { status: 'failed', close_reason: 'no proposal', closed_at: expect.any(Date) },
    });
    expect(await closeSession(db, first.session.id)).toMatchObject({
      ok: false,
      reason: 'already_closed',
      session: { status: 'failed' },
    });
    expect(await setSessionStatus(db, first.session.id, 'open')).toMatchObject({ ok: false, reason: 'already_closed' });
    expect(await openSession(db, { agent_id: agentId, trigger: 'manual', signals: {} })).toMatchObject({ ok: true });
  });

  it('a refusal does not abort the caller’s transaction', async () => {
    const { agentId } = await agentWithVersions();
    await openSession(db, { agent_id: agentId, trigger: 'threshold', signals: {} });
    const after = await db.transaction().execute(async (trx) => {
      expect(await openSession(trx, { agent_id: agentId, trigger: 'threshold', signals: {} })).toMatchObject({
        ok: false,
      });
      return (await sql<{ one: number }>`SELECT 1 AS one`.execute(trx)).rows[0]?.one;
    });
    expect(after).toBe(1);
  });

  it('5 concurrent opens for one scheduled slot open exactly one session, and the slot is never reopened', async () => {
    const { agentId } = await agentWithVersions();
    const slot = '2026-03-01T06:00Z';
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        db.transaction().execute(async (trx) => {
          const result = await openSession(trx, {
            agent_id: agentId,
            trigger: 'scheduled',
            slot,
            signals: { replica: i },
          });
          await sql`SELECT pg_sleep(0.02)`.execute(trx);
          return result;
        }),
      ),
    );
    const opened = results.filter((r) => r.ok);
    expect(opened).toHaveLength(1);
    for (const refused of results.filter((r) => !r.ok))
      expect(['session_open', 'slot_taken']).toContain(refused.reason);
    const rows = await db.selectFrom('sessions').selectAll().where('agent_id', '=', agentId).execute();
    expect(rows).toHaveLength(1);

    await closeSession(db, rows[0]!.id);
    expect(await openSession(db, { agent_id: agentId, trigger: 'scheduled', slot, signals: {} })).toEqual({
      ok: false,
      reason: 'slot_taken',
      sessionId: rows[0]!.id,
    });
    expect(
      await openSession(db, { agent_id: agentId, trigger: 'scheduled', slot: '2026-03-02T06:00Z', signals: {} }),
    ).toMatchObject({ ok: true });
  });

  it('concurrent opens for one agent without a slot also open exactly one', async () => {
    const { agentId } = await agentWithVersions();
    const results = await Promise.all(
      Array.from({ length: 6 }, () => openSession(db, { agent_id: agentId, trigger: 'threshold', signals: {} })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).every((r) => r.reason === 'session_open')).toBe(true);
    expect((await getOpenSession(db, agentId))?.id).toBe(results.find((r) => r.ok)?.session.id);
  });

  it('the database enforces the status, trigger and slot rules', async () => {
    const { agentId } = await agentWithVersions();
    await expect(openSession(db, { agent_id: agentId, trigger: 'cron' as 'manual', signals: {} })).rejects.toThrow(
      /check constraint/,
    );
    await expect(openSession(db, { agent_id: agentId, trigger: 'manual', slot: 'x', signals: {} })).rejects.toThrow(
      /check constraint/,
    );
    await expect(openSession(db, { agent_id: 'nobody', trigger: 'manual', signals: {} })).rejects.toThrow(
      /foreign key/,
    );
  });
});

describe('proposals', () => {
  it('are stored with their risk fields, and auto-eligibility is refused above the low tier', async () => {
    const { proposalId, agentId } = await proposalFor();
    expect(await getProposal(db, proposalId)).toMatchObject({
      agent_id: agentId,
      risk_tier: 'low',
      auto_eligible: true,
      risk_reasons: ['instruction_only'],
    });
    const { sessionId } = await proposalFor();
    const { baseline, candidate, agentId: other } = await agentWithVersions();
    const session = await openSession(db, { agent_id: other, trigger: 'manual', signals: {} });
    if (!session.ok) throw new Error('no session');
    const high = {
      session_id: session.session.id,
      agent_id: other,
      baseline_version_id: baseline,
      candidate_version_id: candidate,
      change: {},
      risk_reasons: ['model_change'],
      generator: 't',
    };
    await expect(insertProposal(db, { ...high, risk_tier: 'high', auto_eligible: true })).rejects.toThrow(
      /check constraint/,
    );
    expect(await insertProposal(db, { ...high, risk_tier: 'high', auto_eligible: false })).toMatchObject({
      risk_tier: 'high',
    });
    // A version of another agent cannot be a baseline.
    await expect(
      insertProposal(db, {
        ...high,
        session_id: sessionId,
        agent_id: agentId,
        risk_tier: 'high',
        auto_eligible: false,
      }),
    ).rejects.toThrow(/foreign key/);
  });
});

describe('experiments', () => {
  it('start at version 1; a second active experiment for the agent is refused with a typed result', async () => {
    const { agentId, proposalId } = await proposalFor();
    const first = await insertExperiment(db, experimentInput(agentId, proposalId));
    expect(first).toMatchObject({
      ok: true,
      experiment: { version: 1, status: 'running', shadow_run_count: 0, decision: null },
    });
    if (!first.ok) return;
    expect(await insertExperiment(db, experimentInput(agentId, proposalId))).toEqual({
      ok: false,
      reason: 'experiment_active',
      activeExperimentId: first.experiment.id,
    });
    expect((await getActiveExperiment(db, agentId))?.id).toBe(first.experiment.id);
  });

  it('two updates with the same expected version: exactly one wins, the other learns the current version', async () => {
    const { agentId, proposalId } = await proposalFor();
    const inserted = await insertExperiment(db, experimentInput(agentId, proposalId));
    if (!inserted.ok) throw new Error('no experiment');
    const id = inserted.experiment.id;
    const results = await Promise.all(
      [0.1, 0.25].map((share) =>
        db.transaction().execute(async (trx) => {
          const result = await updateExperiment(trx, id, 1, {
            candidate_share: share,
            traffic_split: { candidate: share },
          });
          await sql`SELECT pg_sleep(0.05)`.execute(trx);
          return result;
        }),
      ),
    );
    const winners = results.filter((r) => r.ok);
    expect(winners).toHaveLength(1);
    expect(results.find((r) => !r.ok)).toEqual({ ok: false, reason: 'version_conflict', currentVersion: 2 });
    const winner = winners[0]!;
    if (!winner.ok) return;
    expect(winner.experiment.version).toBe(2);
    expect(winner.experiment.updated_at.getTime()).toBeGreaterThanOrEqual(inserted.experiment.updated_at.getTime());

    // The loser re-reads and retries at the current version; a stale version stays refused.
    expect(await updateExperiment(db, id, 1, { status: 'paused' })).toMatchObject({
      ok: false,
      reason: 'version_conflict',
      currentVersion: 2,
    });
    const ended = await updateExperiment(db, id, 2, {
      status: 'promoted',
      decision: { verdict: 'promote', lift: 0.04 },
    });
    expect(ended).toMatchObject({
      ok: true,
      experiment: {
        version: 3,
        status: 'promoted',
        ended_at: expect.any(Date),
        decision: { verdict: 'promote', lift: 0.04 },
      },
    });
    expect(await updateExperiment(db, 'no-such-experiment', 1, { status: 'closed' })).toEqual({
      ok: false,
      reason: 'not_found',
    });
    // Ended, it no longer blocks the next experiment.
    expect(await insertExperiment(db, experimentInput(agentId, proposalId))).toMatchObject({ ok: true });
  });

  it('the database refuses a version that does not increase', async () => {
    const { agentId, proposalId } = await proposalFor();
    const inserted = await insertExperiment(db, experimentInput(agentId, proposalId));
    if (!inserted.ok) throw new Error('no experiment');
    await expect(
      db.updateTable('experiments').set({ status: 'paused' }).where('id', '=', inserted.experiment.id).execute(),
    ).rejects.toThrow(/version must increase/);
  });
});

describe('approvals', () => {
  it('are decided once: a second decision returns the first, unchanged', async () => {
    const { agentId, proposalId } = await proposalFor();
    const experiment = await insertExperiment(db, experimentInput(agentId, proposalId));
    if (!experiment.ok) throw new Error('no experiment');
    const requested = await requestApproval(db, {
      experiment_id: experiment.experiment.id,
      proposal_id: proposalId,
      expires_at: new Date(Date.now() + 86_400_000),
    });
    expect(requested).toMatchObject({
      created: true,
      approval: { decision: null, auto_approved: false, decided_at: null },
    });
    const again = await requestApproval(db, { experiment_id: experiment.experiment.id, proposal_id: proposalId });
    expect(again).toEqual({ created: false, approval: requested.approval });

    const id = requested.approval.id;
    const [first, second] = await Promise.all([
      decideApproval(db, id, { decision: 'approved', approver: 'alice', reason: 'looks good' }),
      decideApproval(db, id, { decision: 'rejected', approver: 'bob', reason: 'not sure' }),
    ]);
    const applied = [first, second].filter((r) => r.ok && r.applied);
    expect(applied).toHaveLength(1);
    const stored = await getApproval(db, id);
    for (const result of [first, second]) expect(result).toMatchObject({ ok: true, approval: stored });
    const late = await decideApproval(db, id, {
      decision: stored!.decision === 'approved' ? 'rejected' : 'approved',
      approver: 'carol',
    });
    expect(late).toEqual({ ok: true, applied: false, approval: stored });
    expect(await decideApproval(db, 'no-such-approval', { decision: 'approved', approver: 'x' })).toEqual({
      ok: false,
      reason: 'not_found',
    });
    await expect(db.updateTable('approvals').set({ reason: 'edited' }).where('id', '=', id).execute()).rejects.toThrow(
      /already decided/,
    );
  });

  it('records an auto-approval as decided by the system', async () => {
    const { agentId, proposalId } = await proposalFor();
    const experiment = await insertExperiment(db, experimentInput(agentId, proposalId));
    if (!experiment.ok) throw new Error('no experiment');
    const approval = await recordAutoApproval(db, {
      experiment_id: experiment.experiment.id,
      proposal_id: proposalId,
      reason: 'low risk, passed',
    });
    expect(approval).toMatchObject({
      decision: 'auto_approved',
      auto_approved: true,
      approver: 'learnloop',
      decided_at: expect.any(Date),
    });
    await expect(
      db
        .insertInto('approvals')
        .values({
          id: randomUUID(),
          experiment_id: experiment.experiment.id,
          proposal_id: proposalId,
          decision: 'approved',
          auto_approved: true,
          decided_at: new Date(),
        })
        .execute(),
    ).rejects.toThrow(/check constraint/);
  });
});
