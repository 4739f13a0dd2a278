import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash, sha256Hex } from '../../../lib/audit/canonical.ts';

describe('canonicalJson', () => {
  it('sorts keys, at every depth, and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 2], c: 'x' } })).toBe('{"a":{"c":"x","d":[1,2]},"b":1}');
    expect(canonicalJson({ a: { c: 'x', d: [1, 2] }, b: 1 })).toBe(canonicalJson({ b: 1, a: { d: [1, 2], c: 'x' } }));
  });

  it('sorts keys by UTF-16 code units, not locale: upper case before lower, digits first', () => {
    expect(canonicalJson({ b: 0, B: 0, a: 0, '1': 0, _: 0, é: 0 })).toBe('{"1":0,"B":0,"_":0,"a":0,"b":0,"é":0}');
    // Code units, as RFC 8785 sorts: '\r' (0x000D) < '€' (0x20AC) < '😀' (a surrogate pair, 0xD83D 0xDE00).
    expect(Object.keys(JSON.parse(canonicalJson({ '😀': 1, '€': 2, '\r': 3 })) as object)).toEqual(['\r', '€', '😀']);
  });

  it('keeps array order and sorts objects inside arrays', () => {
    expect(canonicalJson([3, 1, 2, { z: 1, y: [{ b: 1, a: 2 }] }])).toBe('[3,1,2,{"y":[{"a":2,"b":1}],"z":1}]');
  });

  it('writes strings as JSON.stringify does: unicode as is, control characters and quotes escaped', () => {
    expect(canonicalJson('héllo wörld ✓ 😀')).toBe('"héllo wörld ✓ 😀"');
    expect(canonicalJson('a"b\\c\n\t\u0001')).toBe('"a\\"b\\\\c\\n\\t\\u0001"');
    expect(canonicalJson({ ключ: 'значение' })).toBe('{"ключ":"значение"}');
    expect(canonicalJson('\ud800')).toBe('"\\ud800"');
  });

  it('writes numbers in their shortest round-trip form', () => {
    expect(canonicalJson([0, -0, 1, -1.5, 0.1 + 0.2, 1e21, 1e-7, 123456789012345680000, Number.MAX_SAFE_INTEGER])).toBe(
      '[0,0,1,-1.5,0.30000000000000004,1e+21,1e-7,123456789012345680000,9007199254740991]',
    );
    expect(canonicalJson(1.0)).toBe('1');
  });

  it('refuses numbers JSON cannot hold', () => {
    for (const bad of [NaN, Infinity, -Infinity])
      expect(() => canonicalJson({ x: [bad] })).toThrow(/\$\.x\[0\] is .*which JSON cannot hold/);
  });

  it('writes null, booleans, and empty containers at any depth', () => {
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson([true, false, null])).toBe('[true,false,null]');
    expect(canonicalJson({ a: {}, b: [], c: { d: {}, e: [{}] } })).toBe('{"a":{},"b":[],"c":{"d":{},"e":[{}]}}');
    expect(canonicalJson({ a: null })).toBe('{"a":null}');
  });

  it('drops undefined properties and nulls undefined array items, as what jsonb stores from JSON.stringify', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(canonicalJson([undefined, 1])).toBe('[null,1]');
    const value = { z: [undefined, { y: undefined }], a: new Date('2026-01-02T03:04:05.006Z') };
    expect(canonicalJson(value)).toBe(canonicalJson(JSON.parse(JSON.stringify(value))));
  });

  it('honours toJSON: a Date is its ISO string', () => {
    expect(canonicalJson({ at: new Date('2026-01-02T03:04:05.006Z') })).toBe('{"at":"2026-01-02T03:04:05.006Z"}');
  });

  it('refuses what is not JSON data: bigint, functions, symbols, Maps, class instances, cycles', () => {
    expect(() => canonicalJson({ n: 1n })).toThrow(/\$\.n is a bigint/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/function/);
    expect(() => canonicalJson([Symbol('s')])).toThrow(/symbol/);
    expect(() => canonicalJson({ m: new Map() })).toThrow(/\$\.m is a Map/);
    class Point {
      x = 1;
    }
    expect(() => canonicalJson(new Point())).toThrow(/Point/);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = { back: cyclic };
    expect(() => canonicalJson(cyclic)).toThrow(/refers back to itself/);
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { k: 1 };
    expect(canonicalJson({ a: shared, b: [shared, shared] })).toBe('{"a":{"k":1},"b":[{"k":1},{"k":1}]}');
  });

  it('accepts objects without a prototype', () => {
    const bare = Object.create(null) as Record<string, number>;
    bare['b'] = 2;
    bare['a'] = 1;
    expect(canonicalJson(bare)).toBe('{"a":1,"b":2}');
  });

  it('round-trips: parsing canonical JSON and writing it again gives the same text', () => {
    const value = { x: [1, { q: 'ü', p: null }], a: { c: [], b: {} }, n: -0.000123 };
    const text = canonicalJson(value);
    expect(canonicalJson(JSON.parse(text))).toBe(text);
  });
});

describe('hashes', () => {
  it('sha256Hex is the lower-case hex SHA-256 of the UTF-8 bytes', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('é')).toBe(sha256Hex('\u00e9'));
  });

  it('contentHash ignores key order and sees every value', () => {
    expect(contentHash({ a: 1, b: [1, 2] })).toBe(contentHash({ b: [1, 2], a: 1 }));
    expect(contentHash({ a: 1, b: [1, 2] })).not.toBe(contentHash({ a: 1, b: [2, 1] }));
    expect(contentHash({ a: 1 })).toBe(sha256Hex('{"a":1}'));
  });
});
