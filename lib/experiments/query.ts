import type { Kysely } from 'kysely';
import type { Database, Experiment, Proposal } from '../db/schema.ts';

/** An experiment's row with the facts of the proposal it tests: what every reader of an experiment needs. */
export type ExperimentRow = Experiment &
  Pick<
    Proposal,
    | 'session_id'
    | 'risk_tier'
    | 'auto_eligible'
    | 'baseline_version_id'
    | 'candidate_version_id'
    | 'risk_reasons'
    | 'change'
  >;

/**
 * experiments ⋈ proposals as ExperimentRows (tables aliased `e` and `p`): the one query for an experiment. Callers
 * add what they select by, the order, a limit or a lock (`.forUpdate('e')`).
 */
export function selectExperiments(db: Kysely<Database>) {
  return db
    .selectFrom('experiments as e')
    .innerJoin('proposals as p', 'p.id', 'e.proposal_id')
    .selectAll('e')
    .select([
      'p.session_id',
      'p.risk_tier',
      'p.auto_eligible',
      'p.baseline_version_id',
      'p.candidate_version_id',
      'p.risk_reasons',
      'p.change',
    ]);
}
