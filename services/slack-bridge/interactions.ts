import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Kysely } from 'kysely';
import { slackApproverName } from '../../lib/db/repositories/slack-approvers.ts';
import type { Database } from '../../lib/db/schema.ts';
import { mayDecide } from '../../lib/experiments/four-eyes.pure.ts';
import { readBody } from '../../lib/http.ts';
import type { EventOutbox } from '../../lib/kafka/outbox.ts';
import type { Logger } from '../../lib/logging.ts';
import { actionIds, outcomeText, reasonModal } from './blocks.pure.ts';
import { decideFromSlack } from './decide.ts';
import { parseInteraction, type Interaction, type ModalMetadata } from './interaction.pure.ts';
import { findMessage, showOutcome, type Messages } from './messages.ts';
import type { InteractionOutcome } from './metrics.ts';
import { verifySlackSignature } from './signature.pure.ts';

export interface InteractionDeps extends Messages {
  db: Kysely<Database>;
  signingSecret: string;
  outbox: EventOutbox;
  logger: Logger;
  now: () => Date;
}

const maxBodyBytes = 65_536;

/**
 * `POST /slack/interactions`, Slack's interactivity request URL. Refuses (401) a request whose signature or timestamp
 * does not verify, before reading anything in it; otherwise answers 200 at once (Slack wants an answer within 3 s) and
 * then does the work: the allow-list, the four-eyes rule, a modal for a reason, the decision. Whatever refuses a click
 * is told to the person who clicked, privately (chat.postEphemeral).
 */
export function interactionsRoute(deps: InteractionDeps) {
  const { logger, metrics } = deps;
  const count = (outcome: InteractionOutcome) => metrics.interactions.inc({ outcome });
  const work = new Set<Promise<void>>();

  async function tell(userId: string, channel: string | null, text: string): Promise<void> {
    await deps.slack.postEphemeral(channel ?? deps.channel, userId, text);
  }

  async function handle(interaction: Exclude<Interaction, { kind: 'other' }>): Promise<void> {
    const approvalId = interaction.kind === 'click' ? interaction.approvalId : interaction.metadata.approvalId;
    const channel = interaction.kind === 'click' ? interaction.channel : interaction.metadata.channel;
    const approver = await slackApproverName(deps.db, interaction.userId);
    if (approver === null) {
      count('refused_allow_list');
      return tell(
        interaction.userId,
        channel,
        `You are not on learnloop's approvers list, so your click decided nothing. An admin can add you: \`learnloop slack approvers add ${interaction.userId} <your learnloop name>\`.`,
      );
    }
    const row = await findMessage(deps.db, approvalId);
    if (!row) {
      count('invalid');
      return tell(interaction.userId, channel, `learnloop knows no approval request ${approvalId}.`);
    }
    if (row.state !== 'pending' || row.expiresAt.getTime() <= deps.now().getTime()) {
      count('stale');
      const what = row.outcome ? outcomeText(row.outcome) : 'This request has expired.';
      return tell(interaction.userId, channel, `Nothing to decide any more. ${what}`);
    }
    if (!mayDecide(row.sessionStartedBy, approver)) {
      count('refused_four_eyes');
      return tell(
        interaction.userId,
        channel,
        `You (${approver}) started this learning session by hand, so another approver must decide it (the four-eyes rule).`,
      );
    }
    if (interaction.kind === 'click' && interaction.action !== actionIds.approve) {
      const decision = interaction.action === actionIds.reject ? 'rejected' : 'approved';
      const metadata: ModalMetadata = { approvalId, decision, channel, responseUrl: interaction.responseUrl };
      await deps.slack.openView(interaction.triggerId, reasonModal(decision, JSON.stringify(metadata)));
      count('modal_opened');
      return;
    }
    const decision = interaction.kind === 'click' ? 'approved' : interaction.metadata.decision;
    const reason = interaction.kind === 'submit' ? interaction.reason : null;
    if (decision === 'rejected' && reason === null) {
      count('invalid');
      return tell(interaction.userId, channel, 'A rejection needs a reason; nothing was decided.');
    }
    const decided = await decideFromSlack(deps, {
      approvalId,
      decision,
      approver,
      slackUserId: interaction.userId,
      reason,
    });
    if (!decided.ok) {
      count(decided.reason === 'unknown' ? 'invalid' : 'duplicate');
      if (decided.reason === 'stale' && decided.row.outcome)
        await tell(interaction.userId, channel, `Nothing to decide any more. ${outcomeText(decided.row.outcome)}`);
      return;
    }
    count('decided');
    logger.info('approval decided in Slack', { approvalId, decision, approver });
    await showOutcome(deps, decided.row);
  }

  function after(interaction: Exclude<Interaction, { kind: 'other' }>): void {
    const job = handle(interaction).catch((err: unknown) =>
      // The decision, if any, is committed; a failed update is retried by the sync loop (sync.ts).
      logger.error('handling a Slack interaction failed', { err, userId: interaction.userId }),
    );
    work.add(job);
    void job.finally(() => work.delete(job));
  }

  const route = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/slack/interactions') return false;
    if (req.method !== 'POST') {
      req.resume();
      res.writeHead(405, { allow: 'POST' }).end();
      return true;
    }
    readBody(req, maxBodyBytes, (body) => {
      if (!body.ok) {
        count('invalid');
        res.writeHead(400, { 'content-type': 'text/plain' }).end(body.error);
        return;
      }
      const header = (name: string) => {
        const value = req.headers[name];
        return Array.isArray(value) ? value[0] : value;
      };
      const check = verifySlackSignature({
        signingSecret: deps.signingSecret,
        timestamp: header('x-slack-request-timestamp'),
        signature: header('x-slack-signature'),
        rawBody: body.text,
        nowSeconds: Math.floor(deps.now().getTime() / 1000),
      });
      if (!check.ok) {
        count('refused_signature');
        logger.warn('refused a Slack interaction: signature', { reason: check.reason });
        res.writeHead(401, { 'content-type': 'text/plain' }).end(`x-slack-signature: ${check.reason}`);
        return;
      }
      const parsed = parseInteraction(body.text);
      if (!parsed.ok) {
        count('invalid');
        res.writeHead(400, { 'content-type': 'text/plain' }).end(parsed.error);
        return;
      }
      // An empty 200 acknowledges a click and closes a modal; the work follows.
      res.writeHead(200).end();
      if (parsed.interaction.kind === 'other') count('ignored');
      else after(parsed.interaction);
    });
    return true;
  };
  return { route, settled: () => Promise.allSettled([...work]).then(() => undefined) };
}
