import { describe, expect, it } from 'vitest';
import { bearerToken, generateToken, hashToken, tokenPrefix } from '../../../lib/auth/tokens.ts';

describe('API tokens', () => {
  it('are 32 random bytes behind a recognisable prefix, never the same twice', () => {
    const tokens = Array.from({ length: 200 }, generateToken);
    for (const t of tokens) expect(t).toMatch(new RegExp(`^${tokenPrefix}[A-Za-z0-9_-]{43}$`));
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('are stored as their SHA-256 in hex (the NIST "abc" vector)', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const token = generateToken();
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('are read from a bearer Authorization header only', () => {
    expect(bearerToken('Bearer llt_abc')).toBe('llt_abc');
    expect(bearerToken('bearer  llt_abc ')).toBe('llt_abc');
    expect(bearerToken(undefined)).toBeNull();
    expect(bearerToken('Basic dXNlcjpwYXNz')).toBeNull();
    expect(bearerToken('Bearer ')).toBeNull();
    expect(bearerToken('Bearer a b')).toBeNull();
  });
});
