import { describe, expect, it } from 'vitest';
import {
  auditHash,
  chainVerifier,
  GENESIS_HASH,
  hashInput,
  verifyChain,
  type AuditContent,
  type AuditRecord,
} from '../../../lib/audit/chain.ts';
import { sha256Hex } from '../../../lib/audit/canonical.ts';

const content = (id: number, payload: unknown = { n: id }): AuditContent => ({
  id,
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, id)),
  actor: 'experiment-judge',
  action: 'experiment.ramped',
  agent_id: 'agent-1',
  subject_type: 'experiment',
  subject_id: 'exp-1',
  payload,
});

/** A valid chain of `n` rows with ids 1..n. */
function chain(n: number): AuditRecord[] {
  const rows: AuditRecord[] = [];
  let prev = GENESIS_HASH;
  for (let id = 1; id <= n; id++) {
    const c = content(id);
    const hash = auditHash(c, prev);
    rows.push({ ...c, prev_hash: prev, hash });
    prev = hash;
  }
  return rows;
}

describe('audit hash', () => {
  it('is sha256 over the canonical JSON of the content and the previous hash, with at as an ISO string', () => {
    const c = content(7, { b: 2, a: 1 });
    const input = hashInput(c, GENESIS_HASH);
    expect(input).toBe(
      '{"action":"experiment.ramped","actor":"experiment-judge","agent_id":"agent-1","at":"2026-01-01T00:00:00.007Z","id":7,' +
        `"payload":{"a":1,"b":2},"prev_hash":"${GENESIS_HASH}","subject_id":"exp-1","subject_type":"experiment"}`,
    );
    expect(auditHash(c, GENESIS_HASH)).toBe(sha256Hex(input));
    expect(auditHash(c, GENESIS_HASH)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('the genesis is 64 zeros', () => {
    expect(GENESIS_HASH).toBe('0'.repeat(64));
    expect(chain(1)[0]!.prev_hash).toBe(GENESIS_HASH);
  });

  it('changes when any covered field changes, or the previous hash does', () => {
    const base = content(3);
    const original = auditHash(base, GENESIS_HASH);
    const variants: AuditContent[] = [
      { ...base, id: 4 },
      { ...base, at: new Date(base.at.getTime() + 1) },
      { ...base, actor: 'control-plane' },
      { ...base, action: 'experiment.paused' },
      { ...base, agent_id: null },
      { ...base, agent_id: 'agent-2' },
      { ...base, subject_type: 'proposal' },
      { ...base, subject_id: 'exp-2' },
      { ...base, payload: { n: 4 } },
      { ...base, payload: { n: 3, extra: null } },
    ];
    for (const variant of variants) expect(auditHash(variant, GENESIS_HASH)).not.toBe(original);
    expect(auditHash(base, 'f'.repeat(64))).not.toBe(original);
  });

  it('does not depend on the payload key order', () => {
    expect(auditHash(content(1, { a: 1, b: { c: 2, d: 3 } }), GENESIS_HASH)).toBe(
      auditHash(content(1, { b: { d: 3, c: 2 }, a: 1 }), GENESIS_HASH),
    );
  });

  it('refuses an id that is not a safe integer', () => {
    expect(() => auditHash({ ...content(1), id: 2 ** 53 }, GENESIS_HASH)).toThrow(/safe integer/);
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain, and an empty one', () => {
    const rows = chain(10);
    expect(verifyChain(rows)).toEqual({ ok: true, rows: 10, lastHash: rows[9]!.hash });
    expect(verifyChain([])).toEqual({ ok: true, rows: 0, lastHash: GENESIS_HASH });
  });

  it('names a row whose payload was modified', () => {
    const rows = chain(10);
    rows[4] = { ...rows[4]!, payload: { n: 999 } };
    const result = verifyChain(rows);
    expect(result).toMatchObject({ ok: false, firstBrokenId: 5, reason: 'hash_mismatch', actual: rows[4]!.hash });
    if (!result.ok) expect(result.expected).toBe(auditHash(rows[4]!, rows[4]!.prev_hash));
  });

  it('names a row whose stored hash was replaced', () => {
    const rows = chain(5);
    rows[2] = { ...rows[2]!, hash: 'a'.repeat(64) };
    expect(verifyChain(rows)).toMatchObject({
      ok: false,
      firstBrokenId: 3,
      reason: 'hash_mismatch',
      actual: 'a'.repeat(64),
    });
  });

  it('names the row after a deleted middle row', () => {
    const rows = chain(10);
    const deleted = rows.splice(5, 1)[0]!;
    expect(verifyChain(rows)).toEqual({
      ok: false,
      rows: 6,
      firstBrokenId: 7,
      reason: 'prev_hash_mismatch',
      expected: rows[4]!.hash,
      actual: deleted.hash,
    });
  });

  it('names the first row of a reordered pair', () => {
    const rows = chain(10);
    [rows[3], rows[4]] = [rows[4]!, rows[3]!];
    expect(verifyChain(rows)).toMatchObject({
      ok: false,
      firstBrokenId: 5,
      reason: 'prev_hash_mismatch',
      expected: rows[2]!.hash,
    });
  });

  it('names the first row when the chain does not start at the genesis', () => {
    const rows = chain(4).slice(1);
    expect(verifyChain(rows)).toMatchObject({
      ok: false,
      firstBrokenId: 2,
      reason: 'prev_hash_mismatch',
      expected: GENESIS_HASH,
    });
  });

  it('a rehashed modification still breaks at the next row', () => {
    const rows = chain(6);
    const forged = { ...rows[2]!, payload: { n: -1 } };
    forged.hash = auditHash(forged, forged.prev_hash);
    rows[2] = forged;
    expect(verifyChain(rows)).toMatchObject({ ok: false, firstBrokenId: 4, reason: 'prev_hash_mismatch' });
  });

  it('reports only the first break', () => {
    const rows = chain(10);
    rows[7] = { ...rows[7]!, actor: 'mallory' };
    rows[2] = { ...rows[2]!, actor: 'mallory' };
    expect(verifyChain(rows)).toMatchObject({ ok: false, firstBrokenId: 3 });
  });

  it('the incremental verifier gives the same verdict page by page', () => {
    const rows = chain(25);
    const verifier = chainVerifier();
    for (let i = 0; i < rows.length; i += 7) {
      for (const row of rows.slice(i, i + 7)) expect(verifier.check(row)).toBeUndefined();
    }
    expect(verifier.rows).toBe(25);
    expect(verifier.lastHash).toBe(rows[24]!.hash);
  });
});
