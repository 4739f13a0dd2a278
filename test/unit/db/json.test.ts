import { describe, expect, it } from 'vitest';
import { parseMigrateArgs } from '../../../cli/db.ts';
import { asStored, jsonb } from '../../../lib/db/json.ts';
import { agentVersionId } from '../../../lib/db/repositories/agents.ts';

describe('jsonb', () => {
  it('writes JSON text, arrays included (pg would send a JS array as a Postgres array)', () => {
    expect(jsonb(['a', 1])).toBe('["a",1]');
    expect(jsonb({ a: undefined, b: new Date('2026-01-01T00:00:00Z') })).toBe('{"b":"2026-01-01T00:00:00.000Z"}');
  });

  it('refuses what JSON cannot hold instead of storing null or {}', () => {
    expect(() => jsonb({ x: NaN })).toThrow(/JSON cannot hold/);
    expect(() => jsonb({ m: new Map([[1, 2]]) })).toThrow(/Map/);
    expect(() => jsonb(undefined)).toThrow(/undefined/);
  });

  it('asStored is the value as jsonb gives it back', () => {
    expect(asStored({ b: [undefined], a: undefined })).toEqual({ b: [null] });
  });
});

describe('agentVersionId', () => {
  it('is the same for the same config in any key order, and differs between agents', () => {
    expect(agentVersionId('a', { x: 1, y: { p: 1, q: 2 } })).toBe(agentVersionId('a', { y: { q: 2, p: 1 }, x: 1 }));
    expect(agentVersionId('a', { x: 1 })).not.toBe(agentVersionId('b', { x: 1 }));
    expect(agentVersionId('a', { x: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('learnloop db migrate arguments', () => {
  it('parse --down with an optional count or all', () => {
    expect(parseMigrateArgs([])).toEqual({ ok: true });
    expect(parseMigrateArgs(['--down'])).toEqual({ ok: true, down: 1 });
    expect(parseMigrateArgs(['--down', '3'])).toEqual({ ok: true, down: 3 });
    expect(parseMigrateArgs(['--down', 'all'])).toEqual({ ok: true, down: 'all' });
    for (const bad of [['--down', '0'], ['--down', '-1'], ['--down', '1.5'], ['--up'], ['--down', '1', 'x']]) {
      expect(parseMigrateArgs(bad).ok, bad.join(' ')).toBe(false);
    }
  });
});
