// The statistics of learnloop: pure functions over plain numbers (docs/statistics.md has the formulas and references).
export * from './moments.ts';
export * from './confidence-sequence.ts';
export * from './bayes.ts';
export * from './srm.ts';
export * from './pairs.ts';
export * from './fixed-horizon.ts';
export * from './normal.ts';
