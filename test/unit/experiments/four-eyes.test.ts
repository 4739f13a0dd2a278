import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mayDecide, samePerson } from '../../../lib/experiments/four-eyes.pure.ts';

describe('the four-eyes rule', () => {
  it('refuses the person who started the session by hand, however they spell their name', () => {
    expect(mayDecide('ann', 'ann')).toBe(false);
    expect(mayDecide('Ann', ' ann ')).toBe(false);
    expect(mayDecide(' ANN', 'ann')).toBe(false);
  });

  it('lets anyone else decide, and anyone decide a session nobody started by hand', () => {
    expect(mayDecide('ann', 'bob')).toBe(true);
    expect(mayDecide('ann', 'anna')).toBe(true);
    expect(mayDecide(null, 'ann')).toBe(true);
  });

  it('is symmetric and agrees with samePerson for every pair of names', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(samePerson(a, b)).toBe(samePerson(b, a));
        expect(mayDecide(a, b)).toBe(!samePerson(a, b));
        expect(mayDecide(a, `  ${a.toUpperCase()} `)).toBe(!samePerson(a, a.toUpperCase()));
      }),
    );
  });
});
