import { canonicalJson, sha256Hex } from './canonical.ts';

/** The prev_hash of the first audit row. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields of an audit row that its hash covers, as they are stored (snake_case, like the table). */
export interface AuditContent {
  id: number;
  at: Date;
  actor: string;
  action: string;
  agent_id: string | null;
  subject_type: string;
  subject_id: string;
  payload: unknown;
}

export interface AuditRecord extends AuditContent {
  prev_hash: string;
  hash: string;
}

/**
 * The exact text that is hashed: canonical JSON of the content fields plus prev_hash, with `at` as an ISO 8601 UTC
 * string with milliseconds (the column keeps milliseconds, so this is what any reader gets back).
 */
export function hashInput(content: AuditContent, prevHash: string): string {
  if (!Number.isSafeInteger(content.id)) throw new TypeError(`audit id ${content.id} is not a safe integer`);
  return canonicalJson({
    id: content.id,
    at: content.at.toISOString(),
    actor: content.actor,
    action: content.action,
    agent_id: content.agent_id,
    subject_type: content.subject_type,
    subject_id: content.subject_id,
    payload: content.payload,
    prev_hash: prevHash,
  });
}

/** sha256 hex of hashInput: each row's hash commits to its content and, through prevHash, to every row before it. */
export function auditHash(content: AuditContent, prevHash: string): string {
  return sha256Hex(hashInput(content, prevHash));
}

export type ChainBreakReason = 'prev_hash_mismatch' | 'hash_mismatch' | 'head_mismatch';

/**
 * The first row where the chain does not hold. prev_hash_mismatch: the row does not follow the row before it (a row
 * was deleted, inserted or reordered), expected = the predecessor's hash; hash_mismatch: the row's content was changed,
 * expected = the recomputed hash; head_mismatch: the chain does not end at the recorded head (rows cut off the end, or
 * the head moved), expected = the head's hash, actual = the hash the chain ends with.
 */
export interface ChainBreak {
  firstBrokenId: number;
  reason: ChainBreakReason;
  expected: string;
  actual: string;
}

export type ChainVerdict = { ok: true; rows: number; lastHash: string } | ({ ok: false; rows: number } & ChainBreak);

export interface ChainVerifier {
  /** Checks the next row in id order; returns the break, if this row is the first broken one. */
  check(row: AuditRecord): ChainBreak | undefined;
  /** Rows checked so far. */
  readonly rows: number;
  /** The hash the next row must name as its prev_hash. */
  readonly lastHash: string;
}

/** An incremental verifier, so that a long log can be checked page by page without holding it in memory. */
export function chainVerifier(prevHash: string = GENESIS_HASH): ChainVerifier {
  let lastHash = prevHash;
  let rows = 0;
  return {
    check(row) {
      rows += 1;
      if (row.prev_hash !== lastHash) {
        return { firstBrokenId: row.id, reason: 'prev_hash_mismatch', expected: lastHash, actual: row.prev_hash };
      }
      const recomputed = auditHash(row, row.prev_hash);
      if (recomputed !== row.hash)
        return { firstBrokenId: row.id, reason: 'hash_mismatch', expected: recomputed, actual: row.hash };
      lastHash = row.hash;
      return undefined;
    },
    get rows() {
      return rows;
    },
    get lastHash() {
      return lastHash;
    },
  };
}

/** Verifies rows given in id order, from the genesis. */
export function verifyChain(rows: Iterable<AuditRecord>): ChainVerdict {
  const verifier = chainVerifier();
  for (const row of rows) {
    const broken = verifier.check(row);
    if (broken) return { ok: false, rows: verifier.rows, ...broken };
  }
  return { ok: true, rows: verifier.rows, lastHash: verifier.lastHash };
}
