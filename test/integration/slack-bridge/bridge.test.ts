import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ApprovalDecided } from '../../../lib/contracts/types.generated.ts';
import { registerAgent } from '../../../lib/db/repositories/agents.ts';
import { putPolicy } from '../../../lib/db/repositories/policies.ts';
import { sampleEvents } from '../../fixtures/events.ts';
import { testClients } from '../../helpers/clients.ts';
import { useCleanups } from '../../helpers/cleanups.ts';
import { isolated } from '../../helpers/isolated.ts';
import { eventually, produce, readEvents } from '../../helpers/judge.ts';
import { allowApprover, approvalRequest, startTestBridge } from '../../helpers/slack-bridge.ts';
import { clickPayload, startSlackServer, submitPayload } from '../../helpers/slack-server.ts';

const { kafka, serde } = testClients('slack-bridge');
const cleanup = useCleanups();

async function world(label: string) {
  const { prefix, database } = await isolated(kafka, label, cleanup);
  const slack = await startSlackServer();
  cleanup(() => slack.close());
  return { prefix, database, slack };
}

/** Messages in the channel (successful posts) about an approval. */
const posts = (slack: { messages: Map<string, { blocks: any[] }> }, approvalId: string) =>
  [...slack.messages.values()].filter((m) => JSON.stringify(m.blocks).includes(approvalId));
const messageText = (slack: { messages: Map<string, { blocks: any[] }> }, ts: string) =>
  JSON.stringify(slack.messages.get(ts)?.blocks ?? []);
const tsOf = async (db: any, approvalId: string) =>
  eventually(`the message of ${approvalId}`, async () => {
    const row = await db
      .selectFrom('slack_messages')
      .select(['ts', 'state'])
      .where('approval_id', '=', approvalId)
      .executeTakeFirst();
    return row?.ts ? (row.ts as string) : undefined;
  });

describe('the slack-bridge on the real stack', () => {
  it('posts each request once, also across a restart mid-way and through a 429 and an outage', async () => {
    const { prefix, database, slack } = await world('slack-post');
    const ids = Array.from({ length: 6 }, () => `appr-${randomUUID()}`);
    const first = await startTestBridge(database, prefix, slack);
    slack.rateLimit('chat.postMessage', 1, 1);
    await produce(kafka, serde, prefix, 'learning.approval.requested.v1', [
      approvalRequest({ approvalId: ids[0]! }),
      approvalRequest({ approvalId: ids[1]! }),
    ]);
    await tsOf(database.db, ids[1]!);
    await first.stop();
    // Redelivered (the same events again) and new ones, to a new bridge, while Slack is down for a moment.
    slack.down = true;
    await produce(kafka, serde, prefix, 'learning.approval.requested.v1', [
      ...ids.slice(0, 2).map((approvalId) => approvalRequest({ approvalId, eventId: randomUUID() })),
      ...ids.slice(2).map((approvalId) => approvalRequest({ approvalId })),
    ]);
    const second = await startTestBridge(database, prefix, slack);
    cleanup(() => second.stop());
    await new Promise((r) => setTimeout(r, 1500));
    slack.down = false;
    for (const id of ids) await tsOf(database.db, id);
    for (const id of ids) expect(posts(slack, id)).toHaveLength(1);
    const text = messageText(slack, await tsOf(database.db, ids[0]!));
    expect(text).toContain('"action_id":"approve"');
    expect(text).toContain('Approval needed');
    expect(await second.metrics.getSingleMetricAsString('learnloop_slack_api_errors_total')).toMatch(
      /code="(http_5xx|unreachable|ratelimited)"/,
    );
  });

  it('decides from a signed click of an allow-listed approver, once for ten retries; refuses forged, old, unknown and four-eyes clicks', async () => {
    const { prefix, database, slack } = await world('slack-click');
    const bridge = await startTestBridge(database, prefix, slack);
    cleanup(() => bridge.stop());
    const url = `${bridge.url}/slack/interactions`;
    const approvalId = `appr-${randomUUID()}`;
    const ownId = `appr-${randomUUID()}`;
    await allowApprover(database.db, 'UBOB', 'bob');
    await allowApprover(database.db, 'UANN', 'Ann');
    await produce(kafka, serde, prefix, 'learning.approval.requested.v1', [
      approvalRequest({ approvalId }),
      approvalRequest({ approvalId: ownId, sessionStartedBy: 'ann' }),
    ]);
    const ts = await tsOf(database.db, approvalId);
    await tsOf(database.db, ownId);
    const click = clickPayload('UBOB', 'approve', approvalId, slack.channel);

    // Nothing but a signed, fresh click by an allow-listed person decides.
    expect(await slack.interact(url, click, { secret: 'not-the-secret-at-all' })).toBe(401);
    expect(await slack.interact(url, click, { timestamp: Math.floor(Date.now() / 1000) - 600 })).toBe(401);
    expect(await slack.interact(url, clickPayload('UEVE', 'approve', approvalId, slack.channel))).toBe(200);
    // Ann started the other session by hand: the four-eyes rule refuses her.
    expect(await slack.interact(url, clickPayload('UANN', 'approve', ownId, slack.channel))).toBe(200);
    await bridge.settled();
    const ephemerals = slack.calls.filter((c) => c.method === 'chat.postEphemeral');
    expect(ephemerals.map((c) => c.args.user).sort()).toEqual(['UANN', 'UEVE']);
    expect(ephemerals.find((c) => c.args.user === 'UEVE')!.args.text).toContain('not on learnloop');
    expect(ephemerals.find((c) => c.args.user === 'UANN')!.args.text).toContain('four-eyes');
    expect(await database.db.selectFrom('slack_decisions').selectAll().execute()).toEqual([]);

    // Slack retries one click ten times: one decision.
    const started = Date.now();
    const statuses = await Promise.all(Array.from({ length: 10 }, () => slack.interact(url, click)));
    expect(statuses).toEqual(Array(10).fill(200));
    // Answered within Slack's 3 s: the bridge acknowledges first and decides after.
    expect(Date.now() - started).toBeLessThan(3000);
    await bridge.settled();
    const decided = await eventually('the decision event', async () => {
      const events = (await readEvents(kafka, serde, prefix, 'learning.approval.decided.v1')) as ApprovalDecided[];
      return events.length > 0 ? events : undefined;
    });
    await new Promise((r) => setTimeout(r, 1000));
    const all = (await readEvents(kafka, serde, prefix, 'learning.approval.decided.v1')) as ApprovalDecided[];
    expect(all).toHaveLength(1);
    expect(decided[0]).toMatchObject({ approvalId, decision: 'approved', approver: 'bob', source: 'slack' });
    const audit = await database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'approval.decided')
      .execute();
    expect(audit.map((a) => [a.actor, a.subject_id])).toEqual([['bob', approvalId]]);
    await eventually('the message to say approved', async () =>
      messageText(slack, ts).includes('Approved by bob') ? true : undefined,
    );
    expect(messageText(slack, ts)).not.toContain('"action_id":"approve"');

    // A click on the stale message answers with what happened.
    const before = slack.calls.filter((c) => c.method === 'chat.postEphemeral').length;
    expect(await slack.interact(url, clickPayload('UANN', 'approve', approvalId, slack.channel))).toBe(200);
    await bridge.settled();
    const stale = slack.calls.filter((c) => c.method === 'chat.postEphemeral').slice(before);
    expect(stale.map((c) => c.args.text)).toEqual([expect.stringContaining('Approved by bob')]);

    // Reject asks for a reason in a modal; its submission decides.
    expect(await slack.interact(url, clickPayload('UBOB', 'reject', ownId, slack.channel, 'trig-9'))).toBe(200);
    await bridge.settled();
    const opened = slack.calls.filter((c) => c.method === 'views.open');
    expect(opened).toHaveLength(1);
    expect(opened[0]!.args.trigger_id).toBe('trig-9');
    const view = typeof opened[0]!.args.view === 'string' ? JSON.parse(opened[0]!.args.view) : opened[0]!.args.view;
    expect(await slack.interact(url, submitPayload('UBOB', JSON.parse(view.private_metadata), 'too risky'))).toBe(200);
    await bridge.settled();
    await eventually('the rejection event', async () => {
      const events = (await readEvents(kafka, serde, prefix, 'learning.approval.decided.v1')) as ApprovalDecided[];
      return events.find((e) => e.approvalId === ownId && e.decision === 'rejected' && e.reason === 'too risky');
    });
    const interactions = await bridge.metrics.getSingleMetricAsString('learnloop_slack_interactions_total');
    for (const outcome of [
      'decided',
      'refused_signature',
      'refused_allow_list',
      'refused_four_eyes',
      'stale',
      'duplicate',
    ])
      expect(interactions).toContain(`outcome="${outcome}"`);
  });

  it('updates the message for a decision made elsewhere, and says so when a request expires', async () => {
    const { prefix, database, slack } = await world('slack-update');
    const bridge = await startTestBridge(database, prefix, slack, { pageUrl: 'https://learn.example' });
    cleanup(() => bridge.stop());
    const viaApi = `appr-${randomUUID()}`;
    const expiring = `appr-${randomUUID()}`;
    await produce(kafka, serde, prefix, 'learning.approval.requested.v1', [
      approvalRequest({ approvalId: viaApi }),
      approvalRequest({ approvalId: expiring, expiresAt: new Date(Date.now() + 3000) }),
    ]);
    const apiTs = await tsOf(database.db, viaApi);
    const expiringTs = await tsOf(database.db, expiring);
    expect(messageText(slack, apiTs)).toContain(`https://learn.example/approvals/${viaApi}`);
    const request = approvalRequest({ approvalId: viaApi });
    await produce(kafka, serde, prefix, 'learning.approval.decided.v1', [
      {
        eventId: `${viaApi}:decided`,
        approvalId: viaApi,
        experimentId: request.experimentId,
        agentId: request.agentId,
        candidateVersionId: request.candidateVersionId,
        decision: 'rejected',
        approver: 'carol',
        source: 'api',
        reason: 'not now',
        decidedAt: new Date(),
      },
    ]);
    await eventually('the API decision on the message', async () =>
      messageText(slack, apiTs).includes('Rejected by carol (api)') ? true : undefined,
    );
    expect(messageText(slack, apiTs)).not.toContain('"action_id":"approve"');
    await eventually('the expiry on the message', async () =>
      messageText(slack, expiringTs).includes('Expired') ? true : undefined,
    );
    expect(messageText(slack, expiringTs)).not.toContain('"action_id":"approve"');
  });

  it('posts a promotion notification only for an agent whose policy asks for it', async () => {
    const { prefix, database, slack } = await world('slack-notify');
    const bridge = await startTestBridge(database, prefix, slack);
    cleanup(() => bridge.stop());
    for (const id of ['agent-loud', 'agent-quiet']) await registerAgent(database.db, { id, name: id });
    await putPolicy(database.db, {
      agent_id: 'agent-loud',
      policy: { notifications: { slack: { promoted: true } } },
      created_by: 'test',
    });
    const promoted = (agentId: string) => ({
      eventId: randomUUID(),
      agentId,
      previousVersionId: 'v1',
      promotedVersionId: `v2-${agentId}`,
      mode: 'auto' as const,
      experimentId: 'exp-1',
      proposalId: 'p-1',
      approvalId: null,
      approvalDecision: null,
      approver: null,
      riskTier: 'low' as const,
      reason: null,
      promotedAt: new Date(),
    });
    await produce(kafka, serde, prefix, 'learning.version.promoted.v1', [
      promoted('agent-quiet'),
      promoted('agent-loud'),
    ]);
    const text = await eventually('the notification', async () =>
      slack.calls.find((c) => c.method === 'chat.postMessage' && String(c.args.text).includes('promoted')),
    );
    expect(text.args.text).toContain('agent-loud');
    await new Promise((r) => setTimeout(r, 1000));
    expect(slack.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(1);
  });

  it('a channel Slack does not know: error metric, readiness false, then posted once when it is fixed; an unrenderable request goes to the DLQ', async () => {
    const { prefix, database, slack } = await world('slack-misconfigured');
    const bridge = await startTestBridge(database, prefix, slack);
    cleanup(() => bridge.stop());
    slack.fail('chat.postMessage', 3, 'not_in_channel');
    const approvalId = `appr-${randomUUID()}`;
    await produce(kafka, serde, prefix, 'learning.approval.requested.v1', [
      approvalRequest({ approvalId: `appr-${randomUUID()}`, summary: '   ' }),
      approvalRequest({ approvalId }),
    ]);
    await eventually('readiness false', async () => (bridge.ready() ? undefined : true));
    expect(await bridge.metrics.getSingleMetricAsString('learnloop_slack_api_errors_total')).toContain(
      'code="not_in_channel"',
    );
    await tsOf(database.db, approvalId);
    expect(bridge.ready()).toBe(true);
    expect(posts(slack, approvalId)).toHaveLength(1);
    const dead = await eventually('the dead letter', async () => {
      const letters = await readEvents(kafka, serde, prefix, 'learning.dlq.v1');
      return letters.length > 0 ? letters : undefined;
    });
    expect(dead).toHaveLength(1);
    expect(JSON.stringify(dead[0])).toContain('summary: is empty');
  });

  it('a pause holds the request without buttons, resuming shows them again, a withdrawal ends it', async () => {
    const { prefix, database, slack } = await world('slack-pause');
    const bridge = await startTestBridge(database, prefix, slack);
    cleanup(() => bridge.stop());
    const approvalId = `appr-${randomUUID()}`;
    const experimentId = `exp-${randomUUID()}`;
    const request = approvalRequest({ approvalId, experimentId });
    await produce(kafka, serde, prefix, 'learning.approval.requested.v1', [request]);
    const ts = await tsOf(database.db, approvalId);
    const base = sampleEvents()['learning.experiment.state.v1'];
    const state = (status: 'paused' | 'awaiting_approval' | 'failed', changedBy: string, reason: string | null) => ({
      ...base,
      eventId: randomUUID(),
      experimentId,
      agentId: request.agentId,
      status,
      changedBy,
      reason,
      changedAt: new Date(),
    });
    await produce(kafka, serde, prefix, 'learning.experiment.state.v1', [state('paused', 'olga', 'incident')]);
    await eventually('the pause on the message', async () =>
      messageText(slack, ts).includes('Paused by olga') ? true : undefined,
    );
    expect(messageText(slack, ts)).not.toContain('"action_id":"approve"');
    await produce(kafka, serde, prefix, 'learning.experiment.state.v1', [
      state('awaiting_approval', 'olga', 'resumed'),
    ]);
    await eventually('the buttons back', async () =>
      messageText(slack, ts).includes('"action_id":"approve"') ? true : undefined,
    );
    await produce(kafka, serde, prefix, 'learning.experiment.state.v1', [
      state('failed', 'experiment-judge', 'guardrail_regressed'),
    ]);
    await eventually('the withdrawal on the message', async () =>
      messageText(slack, ts).includes('Withdrawn by experiment-judge') ? true : undefined,
    );
    expect(messageText(slack, ts)).toContain('guardrail_regressed');
  });
});
