import { userInfo } from 'node:os';
import {
  addSlackApprover,
  listSlackApprovers,
  removeSlackApprover,
  slackApproverInput,
} from '../lib/db/repositories/slack-approvers.ts';
import { openDb } from './open-db.ts';

export const slackHelp = `learnloop slack approvers add <slackUserId> <name> | remove <slackUserId> | list   (at DATABASE_URL)

  add      allow a Slack user to decide approvals in Slack, as <name> (their learnloop name: the four-eyes rule
           compares it with whoever started a session by hand); adding a listed user again renames them
  remove   take a Slack user off the list; their next click decides nothing
  list     the approvers: Slack user id, name, who added them and when

Every change is audited. The same list is served by the slack-bridge at /api/slack/approvers (docs/slack-bridge.md).
Exit codes: 0 done, 1 failed, 2 usage.`;

function usage(message: string): number {
  process.stderr.write(`learnloop slack: ${message}\n`);
  return 2;
}

/** `learnloop slack approvers add|remove|list`; returns the exit code. */
export async function slackCommand(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [group, command, ...rest] = args;
  if (group === undefined || group === '--help' || group === '-h' || group === 'help' || command === undefined) {
    process.stdout.write(`${slackHelp}\n`);
    return group === undefined || (group === 'approvers' && command === undefined) ? 2 : 0;
  }
  if (group !== 'approvers') return usage(`unknown command "${group}" (approvers)`);
  if (command === 'add' && rest.length !== 2) return usage('usage: learnloop slack approvers add <slackUserId> <name>');
  if (command === 'remove' && rest.length !== 1) return usage('usage: learnloop slack approvers remove <slackUserId>');
  if (command === 'list' && rest.length !== 0) return usage('list takes no arguments');
  if (!['add', 'remove', 'list'].includes(command)) return usage(`unknown command "${command}" (add, remove, list)`);
  let input: { slackUserId: string; approver: string } | undefined;
  if (command === 'add') {
    const parsed = slackApproverInput.safeParse({ slackUserId: rest[0], approver: rest[1] });
    if (!parsed.success) return usage(parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; '));
    input = parsed.data;
  }
  const db = openDb(env);
  if (!db) return 1;
  const actor = `cli:${userInfo().username}`;
  try {
    if (input) {
      const { approver, created } = await addSlackApprover(db, input, actor);
      process.stdout.write(`${created ? 'added' : 'updated'} ${approver.slackUserId} as ${approver.approver}\n`);
      return 0;
    }
    if (command === 'remove') {
      if (await removeSlackApprover(db, rest[0]!, actor)) {
        process.stdout.write(`removed ${rest[0]}\n`);
        return 0;
      }
      process.stderr.write(`learnloop slack: ${rest[0]} is not an approver\n`);
      return 1;
    }
    for (const a of await listSlackApprovers(db))
      process.stdout.write(`${a.slackUserId}  ${a.approver}  added ${a.addedAt} by ${a.addedBy}\n`);
    return 0;
  } finally {
    await db.destroy();
  }
}
