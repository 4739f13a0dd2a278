import { BUCKETS } from '../../lib/experiments/buckets.pure.ts';

/**
 * The unit's bucket: MurmurHash3 x86 32-bit (seed 0) of the UTF-8 bytes of `salt + ":" + unit`, modulo 10,000.
 *
 * Why MurmurHash3 and not FNV-1a: FNV-1a's low bits depend only on the low bits of the input bytes (xor and multiply
 * carry upwards only), and `h mod 10000` keeps the low four bits of h, so ids that differ in the high nibble of a byte
 * collide there; GrowthBook hashes twice to work around it. MurmurHash3's finaliser mixes every input bit into every
 * output bit, so one pass is enough and the result is the same in every language that has the reference function.
 *
 * Why our own UTF-8 encoder: hashing UTF-16 code units (what a JS string holds) or only the low byte of each char would
 * disagree with every UTF-8 implementation on non-ASCII ids. This writes the same bytes as `TextEncoder` (an unpaired
 * surrogate becomes U+FFFD, EF BF BD) into a reused buffer, which keeps the hot path free of allocations.
 */

let scratch = new Uint8Array(256);

/** Writes `text` as UTF-8 into `out` from `at`; returns the end. `out` must have 3 bytes per UTF-16 unit free. */
function writeUtf8(text: string, out: Uint8Array, at: number): number {
  let i = at;
  const n = text.length;
  for (let k = 0; k < n; k++) {
    let c = text.charCodeAt(k);
    if (c < 0x80) {
      out[i++] = c;
    } else if (c < 0x800) {
      out[i++] = 0xc0 | (c >> 6);
      out[i++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = k + 1 < n ? text.charCodeAt(k + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          k++;
          out[i++] = 0xf0 | (cp >> 18);
          out[i++] = 0x80 | ((cp >> 12) & 0x3f);
          out[i++] = 0x80 | ((cp >> 6) & 0x3f);
          out[i++] = 0x80 | (cp & 0x3f);
          continue;
        }
        c = 0xfffd;
      }
      out[i++] = 0xe0 | (c >> 12);
      out[i++] = 0x80 | ((c >> 6) & 0x3f);
      out[i++] = 0x80 | (c & 0x3f);
    }
  }
  return i;
}

/** The UTF-8 bytes of `text`, as TextEncoder gives them (kept for tests and documentation). */
export function utf8(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 3);
  return out.slice(0, writeUtf8(text, out, 0));
}

/** MurmurHash3_x86_32 of bytes[0, length) (Austin Appleby's reference, public domain), as an unsigned 32-bit integer. */
export function murmur3x86_32(bytes: Uint8Array, length: number, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed | 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = length & 3;
  if (tail > 0) {
    // The last 1 to 3 bytes, little-endian, as the reference's fall-through switch reads them.
    let k = bytes[blocks]!;
    if (tail > 1) k ^= bytes[blocks + 1]! << 8;
    if (tail > 2) k ^= bytes[blocks + 2]! << 16;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A function from unit to bucket for one salt: the salt's bytes and the ":" are encoded once, the unit's on each call.
 * 2^32 mod 10000 = 7296, so buckets below 7296 are 1 + 1/429496 times as likely as the others: far below anything a
 * sample-ratio check could see.
 */
export function bucketer(salt: string): (unit: string) => number {
  const prefix = utf8(`${salt}:`);
  return (unit: string) => {
    const need = prefix.length + unit.length * 3;
    if (scratch.length < need) scratch = new Uint8Array(Math.max(need, scratch.length * 2));
    scratch.set(prefix, 0);
    const end = writeUtf8(unit, scratch, prefix.length);
    return murmur3x86_32(scratch, end, 0) % BUCKETS;
  };
}

/** The bucket of `unit` under `salt`, in [0, 10000). */
export function bucketOf(salt: string, unit: string): number {
  return bucketer(salt)(unit);
}
