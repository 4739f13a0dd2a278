import { createHash, randomBytes } from 'node:crypto';

/**
 * API tokens: 32 random bytes behind a recognisable prefix (so that a leaked one is easy to spot in logs and secret
 * scanners). Only the SHA-256 is stored: the token has 256 bits of entropy, so a fast hash is enough to make the stored
 * value useless to whoever reads the database, and it can be looked up by an index.
 */
export const tokenPrefix = 'llt_';

export function generateToken(): string {
  return `${tokenPrefix}${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A token as sent in `Authorization: Bearer <token>`, or null when the header is absent or not a bearer token. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match ? match[1]! : null;
}
