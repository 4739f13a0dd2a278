import { createSleeper } from '../../lib/sleeper.ts';
import type { Logger } from '../../lib/logging.ts';
import { backoffDelay } from '../../lib/kafka/retry.ts';
import { SlackRefused } from './slack-api.ts';
import { expiredMessages, recordOutcome, showOutcome, unshownMessages, type Messages } from './messages.ts';

/**
 * Keeps messages true when no event will: a request past its expiry says so at once (the judge records an expiry
 * only when it next judges the experiment, and publishes no decision for it), and a message whose update failed (Slack
 * down when a decision was clicked) is updated again. Every `intervalMs`, or sooner after `wake()`.
 */
export function startSync(m: Messages, options: { intervalMs: number; logger: Logger; now: () => Date }) {
  const sleeper = createSleeper();
  let stopping = false;
  let failures = 0;

  async function once(): Promise<void> {
    const now = options.now();
    for (const approvalId of await expiredMessages(m.db, now, 100)) {
      const changed = await m.db.transaction().execute(async (trx) => {
        const current = await trx
          .selectFrom('slack_messages')
          .select(['experiment_id', 'agent_id', 'expires_at'])
          .where('approval_id', '=', approvalId)
          .executeTakeFirstOrThrow();
        return recordOutcome(
          trx,
          { approvalId, experimentId: current.experiment_id, agentId: current.agent_id, at: current.expires_at },
          { kind: 'expired', by: null, at: current.expires_at.toISOString(), reason: null },
        );
      });
      if (changed) options.logger.info('approval request expired undecided', { approvalId });
    }
    for (const row of await unshownMessages(m.db, 100)) {
      try {
        await showOutcome(m, row);
      } catch (err) {
        if (!(err instanceof SlackRefused)) throw err;
        // Slack will never take this update (the message was deleted, say): stop retrying it, loudly.
        options.logger.error('Slack refuses to update a message; leaving it as it is', {
          approvalId: row.approvalId,
          err,
        });
        await m.db
          .updateTable('slack_messages')
          .set({ shown: true })
          .where('approval_id', '=', row.approvalId)
          .execute();
      }
    }
  }

  const loop = (async () => {
    while (!stopping) {
      sleeper.reset();
      try {
        await once();
        failures = 0;
        await sleeper.sleep(options.intervalMs);
      } catch (err) {
        failures += 1;
        options.logger.warn('keeping Slack messages current failed; will retry', { err, attempt: failures });
        await sleeper.sleep(Math.max(options.intervalMs, backoffDelay(failures, 500, 30_000)));
      }
    }
  })();

  return {
    wake: () => sleeper.wake(),
    stop: async () => {
      stopping = true;
      sleeper.close();
      await loop;
    },
  };
}
