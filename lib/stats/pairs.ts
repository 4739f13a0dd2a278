/**
 * Shadow pairs: the candidate and the baseline ran on the same input, so each pair is one comparison. Besides the
 * mean difference (pairedDifference in confidence-sequence.ts) the share of pairs the candidate wins is reported:
 * the plan's "win rate", easy to read, with ties counted as half a win (the probabilistic index).
 */
export interface PairTally {
  wins: number;
  losses: number;
  ties: number;
}

export function tallyPair(tally: PairTally, candidate: number, baseline: number): PairTally {
  if (candidate > baseline) return { ...tally, wins: tally.wins + 1 };
  if (candidate < baseline) return { ...tally, losses: tally.losses + 1 };
  return { ...tally, ties: tally.ties + 1 };
}

/** (wins + ties / 2) / pairs; NaN with no pair. */
export function winRate(tally: PairTally): number {
  const n = tally.wins + tally.losses + tally.ties;
  return n > 0 ? (tally.wins + tally.ties / 2) / n : Number.NaN;
}
