import { describe, expect, it } from 'vitest';
import { getAgent } from '../../../lib/db/repositories/agents.ts';
import { testClients } from '../../helpers/clients.ts';
import { useCleanups } from '../../helpers/cleanups.ts';
import { isolated } from '../../helpers/isolated.ts';
import {
  abRuns,
  eventually,
  hour,
  judgeSettled,
  produceRuns,
  readEvents,
  seedExperiment,
  testPolicy,
} from '../../helpers/judge.ts';
import { startJudgeInProcess } from '../../helpers/judge-service.ts';
import { allowApprover, startTestBridge } from '../../helpers/slack-bridge.ts';
import { clickPayload, startSlackServer } from '../../helpers/slack-server.ts';

const { kafka, serde } = testClients('slack-promotes');
const cleanup = useCleanups();
const winner = { baseline: { scoreMean: 0.6, failureRate: 0.02 }, candidate: { scoreMean: 0.75, failureRate: 0.02 } };

describe('an approval from Slack alone', () => {
  it("the judge's request is posted; the session's starter is refused, another allow-listed approver's click approves it and the judge promotes", async () => {
    const { prefix, database, env } = await isolated(kafka, 'slack-promotes', cleanup);
    const slack = await startSlackServer();
    cleanup(() => slack.close());
    const experiment = await seedExperiment(database.db, {
      riskTier: 'high',
      policy: testPolicy({ autoPromote: false, forbidCostIncrease: false }),
      startedAt: new Date(Date.now() - 24 * hour),
    });
    const bridge = await startTestBridge(database, prefix, slack);
    cleanup(() => bridge.stop());
    const judge = await startJudgeInProcess(env);
    cleanup(() => judge.stop());
    await allowApprover(database.db, 'UBOB', 'bob');
    await allowApprover(database.db, 'UANN', 'ann');
    // Ann started the session by hand: the judge's request names her, and the four-eyes rule keeps her from approving.
    await database.db
      .updateTable('sessions')
      .set({ trigger: 'manual', started_by: 'ann' })
      .where('id', '=', experiment.sessionId)
      .execute();

    await produceRuns(kafka, serde, prefix, abRuns(experiment, 600, winner, { seed: 2, intervalMs: 20_000 }));
    expect(
      await judgeSettled(database.db, prefix, experiment.experimentId, ['awaiting_approval', 'failed', 'inconclusive']),
    ).toBe('awaiting_approval');
    const [request] = await readEvents(kafka, serde, prefix, 'learning.approval.requested.v1');
    expect(request).toMatchObject({ experimentId: experiment.experimentId, sessionStartedBy: 'ann' });
    const ts = await eventually('the request in Slack', async () => {
      const row = await database.db
        .selectFrom('slack_messages')
        .select('ts')
        .where('approval_id', '=', request!.approvalId)
        .executeTakeFirst();
      return row?.ts ?? undefined;
    });
    const posted = JSON.stringify(slack.messages.get(ts)!.blocks);
    expect(posted).toContain(experiment.agentId);
    expect(posted).toContain('"value":"' + request!.approvalId + '"');

    const url = `${bridge.url}/slack/interactions`;
    expect(await slack.interact(url, clickPayload('UANN', 'approve', request!.approvalId, slack.channel))).toBe(200);
    await bridge.settled();
    expect(slack.calls.filter((c) => c.method === 'chat.postEphemeral').map((c) => [c.args.user, c.args.text])).toEqual(
      [['UANN', expect.stringContaining('four-eyes')]],
    );
    expect(await database.db.selectFrom('slack_decisions').selectAll().execute()).toEqual([]);
    expect(await slack.interact(url, clickPayload('UBOB', 'approve', request!.approvalId, slack.channel))).toBe(200);
    expect(
      await judgeSettled(database.db, prefix, experiment.experimentId, ['promoted', 'failed', 'running', 'closed']),
    ).toBe('promoted');
    expect((await getAgent(database.db, experiment.agentId))?.live_version_id).toBe(experiment.candidateVersionId);
    const [promoted] = await readEvents(kafka, serde, prefix, 'learning.version.promoted.v1');
    expect(promoted).toMatchObject({ mode: 'manual', approver: 'bob', approvalId: request!.approvalId });
    await eventually('the message to say approved', async () =>
      JSON.stringify(slack.messages.get(ts)!.blocks).includes('Approved by bob') ? true : undefined,
    );
  });
});
