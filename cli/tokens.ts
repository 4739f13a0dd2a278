import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { appendAudit } from '../lib/db/repositories/audit.ts';
import { createToken, listTokens, revokeToken } from '../lib/db/repositories/tokens.ts';
import { tokenRoles, type TokenRole } from '../lib/db/schema.ts';
import { openDb } from './open-db.ts';

export const tokensHelp = `learnloop tokens create --role <role> --name <holder> | list | revoke <id>   (API tokens, at DATABASE_URL)

  create   make a token for the control plane's API and print it, once: only its hash is stored
  list     every token (id, holder, role, created, revoked); never a secret
  revoke   revoke a token at once; its next request gets 401

Roles: viewer (read), operator (policies, pause/resume, agents), approver (approval decisions), admin (tokens, and all
of the above). The holder's name is the actor in the audit log, and the identity the four-eyes rule compares: an
approver may not decide the approval of a session they started by hand.
Works on the database directly, so that the first admin token can be made before any exists.
Exit codes: 0 done, 1 failed, 2 usage.`;

function usage(message: string): number {
  process.stderr.write(`learnloop tokens: ${message}\n`);
  return 2;
}

export async function tokensCommand(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${tokensHelp}\n`);
    return command === undefined ? 2 : 0;
  }
  if (!['create', 'list', 'revoke'].includes(command))
    return usage(`unknown command "${command}" (create, list, revoke)`);
  let parsed: ReturnType<
    typeof parseArgs<{
      options: { role: { type: 'string' }; name: { type: 'string' } };
      allowPositionals: true;
      strict: true;
    }>
  >;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { role: { type: 'string' }, name: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    return usage(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (command === 'create') {
    if (positionals.length > 0) return usage(`create takes no positional arguments (got ${positionals.join(' ')})`);
    if (!values.role || !(tokenRoles as readonly string[]).includes(values.role))
      return usage(`--role must be one of ${tokenRoles.join(', ')}`);
    if (!values.name || values.name.trim() === '')
      return usage('--name is required: who holds the token (the actor in the audit log)');
  } else if (command === 'revoke') {
    if (positionals.length !== 1) return usage('usage: learnloop tokens revoke <id>');
  } else if (positionals.length > 0 || values.role || values.name) {
    return usage('list takes no arguments');
  }
  const db = openDb(env);
  if (!db) return 1;
  // Who ran the command, as far as this machine knows: the tokens themselves are the API's identities.
  const actor = `cli:${userInfo().username}`;
  try {
    if (command === 'create') {
      const { token, row } = await db.transaction().execute(async (trx) => {
        const created = await createToken(trx, {
          name: values.name!.trim(),
          role: values.role as TokenRole,
          created_by: actor,
        });
        await appendAudit(trx, {
          actor,
          action: 'token.created',
          subject_type: 'token',
          subject_id: created.row.id,
          payload: { name: created.row.name, role: created.row.role },
        });
        return created;
      });
      process.stderr.write(`token ${row.id} for ${row.name} (${row.role}); shown once, store it now:\n`);
      process.stdout.write(`${token}\n`);
      return 0;
    }
    if (command === 'list') {
      for (const t of await listTokens(db)) {
        process.stdout.write(
          `${t.id}  ${t.role.padEnd(8)}  ${t.name}  created ${t.created_at.toISOString()} by ${t.created_by}${t.revoked_at ? `  REVOKED ${t.revoked_at.toISOString()}` : ''}\n`,
        );
      }
      return 0;
    }
    const id = positionals[0]!;
    const result = await db.transaction().execute(async (trx) => {
      const found = await revokeToken(trx, id);
      if (found?.revoked)
        await appendAudit(trx, {
          actor,
          action: 'token.revoked',
          subject_type: 'token',
          subject_id: found.token.id,
          payload: { name: found.token.name, role: found.token.role },
        });
      return found;
    });
    if (!result) {
      process.stderr.write(`learnloop tokens: no token ${JSON.stringify(id)}\n`);
      return 1;
    }
    const { token } = result;
    process.stdout.write(
      `${result.revoked ? 'revoked' : 'already revoked'} ${token.id} (${token.name}, ${token.role})\n`,
    );
    return 0;
  } finally {
    await db.destroy();
  }
}
