import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUCKETS } from '../../../lib/experiments/buckets.pure.ts';
import { bucketOf, bucketer, murmur3x86_32, utf8 } from '../../../services/router-sidecar/hash.pure.ts';

const hashText = (text: string, seed = 0) => {
  const bytes = new TextEncoder().encode(text);
  return murmur3x86_32(bytes, bytes.length, seed);
};

interface HashVectors {
  murmur3: Array<{ text: string; seed: string; hash: string }>;
  utf8: Array<{ text: string; hex: string }>;
  buckets: Array<{ salt: string; unit: string; keyHex: string; hash: string; bucket: number }>;
}

/** The documented vectors (docs/router.md), shared with the Python client's tests (clients/python/tests). */
const vectors = JSON.parse(
  readFileSync(new URL('../../fixtures/router/hash-vectors.json', import.meta.url), 'utf8'),
) as HashVectors;
const hex32 = (text: string) => Number.parseInt(text, 16);

describe('MurmurHash3 x86 32-bit', () => {
  it('matches the reference implementation on the published vectors', () => {
    expect(vectors.murmur3).toHaveLength(8);
    for (const v of vectors.murmur3)
      expect(hashText(v.text, hex32(v.seed)), JSON.stringify(v.text)).toBe(hex32(v.hash));
  });

  it('reads only the first `length` bytes (the scratch buffer holds leftovers)', () => {
    const bytes = new TextEncoder().encode('Hello, world!XYZ');
    expect(murmur3x86_32(bytes, 13, 0x9747b28c)).toBe(0x24884cba);
  });
});

describe('UTF-8 encoding', () => {
  it('writes the bytes TextEncoder writes, for any code points', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        expect(Buffer.from(utf8(text)).equals(Buffer.from(new TextEncoder().encode(text)))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('replaces unpaired surrogates with U+FFFD as TextEncoder does', () => {
    const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(
        fc.array(anyUnit, { maxLength: 12 }).map((a) => a.join('')),
        (text) => {
          expect(Buffer.from(utf8(text)).equals(Buffer.from(new TextEncoder().encode(text)))).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
    expect(vectors.utf8).toHaveLength(2);
    for (const v of vectors.utf8) expect(Buffer.from(utf8(v.text)).toString('hex')).toBe(v.hex);
  });
});

describe('bucketOf', () => {
  it('gives the documented vectors, non-ASCII and emoji ids included', () => {
    expect(vectors.buckets).toHaveLength(10);
    for (const v of vectors.buckets) {
      expect(Buffer.from(utf8(`${v.salt}:${v.unit}`)).toString('hex'), v.unit).toBe(v.keyHex);
      expect(hashText(`${v.salt}:${v.unit}`), v.unit).toBe(hex32(v.hash));
      expect(bucketOf(v.salt, v.unit), v.unit).toBe(v.bucket);
      expect(hex32(v.hash) % BUCKETS).toBe(v.bucket);
    }
  });

  it('hashes UTF-8, not UTF-16 code units or low bytes', () => {
    // Both would give "José" and "Jos\u00e9"'s low byte the same single unit; UTF-8 makes é two bytes.
    const lowBytes = Uint8Array.from('salt-1:José', (c) => c.charCodeAt(0) & 0xff);
    expect(murmur3x86_32(lowBytes, lowBytes.length) % BUCKETS).not.toBe(bucketOf('salt-1', 'José'));
  });

  it('is the same through a prepared bucketer, whatever was hashed before (the scratch buffer is reused)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }),
        fc.string({ unit: 'binary', maxLength: 300 }),
        (salt, unit, before) => {
          const b = bucketer(salt);
          b(before);
          const bytes = new TextEncoder().encode(`${salt}:${unit}`);
          const expected = murmur3x86_32(bytes, bytes.length) % BUCKETS;
          expect(b(unit)).toBe(expected);
          expect(expected).toBeGreaterThanOrEqual(0);
          expect(expected).toBeLessThan(BUCKETS);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

/** Pearson's statistic of observed counts against equal expected counts. */
function chiSquare(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, o) => sum + (o - expected) ** 2 / expected, 0);
}

// Upper 0.1% points of the chi-square distribution (jStat.chisquare.inv(0.999, df)). The ids are fixed, so each
// test is deterministic; a fair hash fails one of them with probability 0.001.
const CHI2_999_DF99 = 148.23;
const CHI2_999_DF9999 = 10441.71;
const CHI2_999_DF81 = 126.08;

const idSets: Record<string, (i: number) => string> = {
  sequential: (i) => `user-${i}`,
  'zero-padded': (i) => `run-${String(i).padStart(8, '0')}`,
  'uuid-like': (i) =>
    `${((i * 2654435761) >>> 0).toString(16).padStart(8, '0')}-4a1b-9c2d-${String(i).padStart(12, '0')}`,
  'non-ASCII': (i) => `usuário-${i}-日本-🦊`,
};

describe('uniformity over 100,000 ids', () => {
  for (const [name, idOf] of Object.entries(idSets)) {
    it(`spreads ${name} ids evenly: 100 bins (df 99) and all 10,000 buckets (df 9999)`, () => {
      const b = bucketer('uniformity-salt');
      const bins = new Array<number>(100).fill(0);
      const buckets = new Array<number>(BUCKETS).fill(0);
      for (let i = 0; i < 100_000; i++) {
        const bucket = b(idOf(i));
        bins[Math.floor(bucket / 100)]! += 1;
        buckets[bucket]! += 1;
      }
      expect(chiSquare(bins)).toBeLessThan(CHI2_999_DF99);
      expect(chiSquare(buckets)).toBeLessThan(CHI2_999_DF9999);
      // And the arms: a 5% candidate range gets about 5% of the ids.
      const candidate = buckets.slice(0, 500).reduce((a, c) => a + c, 0);
      expect(Math.abs(candidate - 5000)).toBeLessThan(5000 * 0.05);
    });
  }
});

describe('independence across salts', () => {
  it('places ids under two salts independently: a 10×10 contingency table (df 81)', () => {
    const a = bucketer('experiment-a');
    const b = bucketer('experiment-b');
    const table = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
    for (let i = 0; i < 100_000; i++) {
      const id = `user-${i}`;
      table[Math.floor(a(id) / 1000)]![Math.floor(b(id) / 1000)]! += 1;
    }
    const rows = table.map((r) => r.reduce((x, y) => x + y, 0));
    const cols = table[0]!.map((_, j) => table.reduce((x, r) => x + r[j]!, 0));
    let stat = 0;
    for (let i = 0; i < 10; i++) {
      for (let j = 0; j < 10; j++) {
        const expected = (rows[i]! * cols[j]!) / 100_000;
        stat += (table[i]![j]! - expected) ** 2 / expected;
      }
    }
    expect(stat).toBeLessThan(CHI2_999_DF81);
  });

  it('puts the candidates of one experiment into the other in proportion (no overlap bias)', () => {
    const a = bucketer('experiment-a');
    const b = bucketer('experiment-b');
    let inA = 0;
    let inBoth = 0;
    for (let i = 0; i < 100_000; i++) {
      const id = `user-${i}`;
      if (a(id) < 1000) {
        inA++;
        if (b(id) < 1000) inBoth++;
      }
    }
    // 10% of A's candidates should be B's candidates too: 1000 of 10,000, binomial sd 30.
    expect(Math.abs(inBoth - inA * 0.1)).toBeLessThan(150);
  });
});
