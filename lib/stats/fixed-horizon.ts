import { normalQuantile } from './normal.ts';

/**
 * The classical sample size per arm for a two-sided two-sample z-test at level α with the given power to detect
 * `effect` between two arms of standard deviation `sd`: n = 2 (z_{1−α/2} + z_{power})² sd² / effect². The yardstick
 * the sequential test is compared with (bench/judge.ts): it is what one would need if one looked only once.
 */
export function fixedHorizonSampleSize(effect: number, sd: number, alpha: number, power: number): number {
  if (!(effect > 0) || !(sd > 0)) throw new RangeError('effect and sd must be positive');
  const z = normalQuantile(1 - alpha / 2) + normalQuantile(power);
  return Math.ceil((2 * z * z * sd * sd) / (effect * effect));
}
