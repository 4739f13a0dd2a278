import jStat from 'jstat';

/** Φ(x), the standard normal distribution function. */
export function normalCdf(x: number): number {
  // jstat's erfc is 1 − erf: accurate to about 1e-16 absolute, so tail probabilities below ~1e-15 read as 0. The
  // decisions compare p-values with thresholds like 0.001, far above that; the sequences themselves need no Φ.
  return 0.5 * jStat.erfc(-x / Math.SQRT2);
}

/** Φ⁻¹(p). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`a probability in (0, 1) is needed, not ${p}`);
  return jStat.normal.inv(p, 0, 1);
}
