import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addToSketch,
  emptySketch,
  mergeSketches,
  quantile,
  sketchCount,
} from '../../../services/signal-aggregator/sketch.pure.ts';

function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

describe('the latency sketch', () => {
  it('answers every quantile within 2% of the exact value', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 2, max: 3_600_000, noNaN: true }), { minLength: 1, maxLength: 400 }),
        fc.constantFrom(0.5, 0.9, 0.95, 0.99),
        (values, q) => {
          const sketch = emptySketch();
          for (const v of values) addToSketch(sketch, v);
          const exact = exactQuantile(values, q);
          expect(Math.abs(quantile(sketch, q)! - exact) / exact).toBeLessThanOrEqual(0.0201);
        },
      ),
    );
  });

  it('merges into the same sketch as adding everything to one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 100_000, noNaN: true })),
        fc.array(fc.double({ min: 0, max: 100_000, noNaN: true })),
        (a, b) => {
          const one = emptySketch();
          const left = emptySketch();
          const right = emptySketch();
          for (const v of a) addToSketch(left, v);
          for (const v of b) addToSketch(right, v);
          for (const v of [...a, ...b]) addToSketch(one, v);
          mergeSketches(left, right);
          expect(left).toEqual(one);
          expect(sketchCount(left)).toBe(a.length + b.length);
        },
      ),
    );
  });

  it('is null when empty and counts sub-millisecond values at 1 ms', () => {
    expect(quantile(emptySketch(), 0.5)).toBeNull();
    const sketch = emptySketch();
    addToSketch(sketch, 0);
    addToSketch(sketch, 0.4);
    expect(quantile(sketch, 0.95)).toBe(1);
  });

  it('stays small: an hour of latencies from 1 ms to 1 h uses a few hundred bins at most', () => {
    const sketch = emptySketch();
    for (let v = 1.5; v < 3_600_000; v *= 1.001) addToSketch(sketch, v);
    expect(Object.keys(sketch.bins).length).toBeLessThan(420);
  });
});
