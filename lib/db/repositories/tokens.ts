import { randomUUID } from 'node:crypto';
import { generateToken, hashToken } from '../../auth/tokens.ts';
import type { ApiToken, Db, TokenRole } from '../schema.ts';

/** A new token: the secret, to show once, and its row (which holds only the hash). */
export async function createToken(
  db: Db,
  input: { name: string; role: TokenRole; created_by: string },
): Promise<{ token: string; row: ApiToken }> {
  const token = generateToken();
  const row = await db
    .insertInto('api_tokens')
    .values({
      id: randomUUID(),
      name: input.name,
      role: input.role,
      token_hash: hashToken(token),
      created_by: input.created_by,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { token, row };
}

/** The unrevoked token with this secret, if any. */
export async function findActiveToken(db: Db, token: string): Promise<ApiToken | undefined> {
  return db
    .selectFrom('api_tokens')
    .selectAll()
    .where('token_hash', '=', hashToken(token))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

export async function listTokens(db: Db): Promise<ApiToken[]> {
  return db.selectFrom('api_tokens').selectAll().orderBy('created_at').orderBy('id').execute();
}

/** Revokes a token: `revoked` says whether this call did (false: it was revoked before). Undefined when there is no such token. */
export async function revokeToken(db: Db, id: string): Promise<{ token: ApiToken; revoked: boolean } | undefined> {
  const revoked = await db
    .updateTable('api_tokens')
    .set({ revoked_at: new Date() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (revoked) return { token: revoked, revoked: true };
  const existing = await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  return existing ? { token: existing, revoked: false } : undefined;
}
