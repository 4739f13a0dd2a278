import type { DifferenceEstimate } from './confidence-sequence.ts';
import { normalCdf } from './normal.ts';

/**
 * The Bayesian chance to win, reported beside the frequentist sequence for readers who think in probabilities: with a
 * flat prior and the normal approximation, the posterior of the difference is N(estimate, SE²), so
 * P(difference > 0 | data) = Φ(estimate / SE). It is not a stopping rule: checked after every event it would promote
 * losers as a naive z-test does (it is the same statistic). `higherIsBetter: false` gives P(difference < 0).
 */
export function chanceToWin(d: DifferenceEstimate, higherIsBetter = true): number {
  const se = Math.sqrt(d.variance);
  const signed = higherIsBetter ? d.estimate : -d.estimate;
  if (se === 0) return signed > 0 ? 1 : signed < 0 ? 0 : 0.5;
  return normalCdf(signed / se);
}
