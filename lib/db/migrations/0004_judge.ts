import { sqlMigration } from './statements.ts';

/**
 * What the experiment judge needs. On experiments: the policy the experiment carries (the ExperimentPolicy of
 * learning.experiment.state.v1, frozen when the proposer opens it, so that a later policy change does not move the
 * goalposts of a running experiment) and its ramp schedule and step; the proposer writes the first two, the judge moves
 * the step. The judge's own state: per experiment its sufficient statistics and memory (plain JSON, loaded and locked
 * per batch); per (experiment, run, arm) the router's assignment and the run's observations, which is how an evaluation
 * is joined to the router's record whichever arrives first, and how a run is counted once; per (experiment, unit) the
 * arm it was first seen in, for the sample-ratio check.
 */
export const judge = sqlMigration(
  [
    `ALTER TABLE experiments ADD COLUMN policy jsonb`,
    `ALTER TABLE experiments ADD COLUMN ramp_schedule jsonb NOT NULL DEFAULT '[]'`,
    `ALTER TABLE experiments ADD COLUMN ramp_step_index integer NOT NULL DEFAULT 0 CHECK (ramp_step_index >= 0)`,
    `CREATE TABLE judge_experiments (
       experiment_id text PRIMARY KEY REFERENCES experiments (id),
       state jsonb NOT NULL,
       updated_at timestamptz NOT NULL DEFAULT now()
     )`,
    // No foreign key: rows are written by the thousand per batch and deleted when the experiment ends.
    `CREATE TABLE judge_runs (
       experiment_id text NOT NULL,
       run_id text NOT NULL,
       arm text NOT NULL CHECK (arm IN ('baseline', 'candidate', 'shadow')),
       assigned boolean NOT NULL DEFAULT false,
       version_id text,
       completion jsonb,
       evaluation jsonb,
       PRIMARY KEY (experiment_id, run_id, arm)
     )`,
    // Observations still waiting for the router's record: counted as ignored when the experiment ends.
    `CREATE INDEX judge_runs_unassigned ON judge_runs (experiment_id) WHERE NOT assigned`,
    `CREATE TABLE judge_units (
       experiment_id text NOT NULL,
       unit_key text NOT NULL,
       arm text NOT NULL,
       PRIMARY KEY (experiment_id, unit_key)
     )`,
  ],
  [
    'DROP TABLE judge_units',
    'DROP TABLE judge_runs',
    'DROP TABLE judge_experiments',
    'ALTER TABLE experiments DROP COLUMN ramp_step_index',
    'ALTER TABLE experiments DROP COLUMN ramp_schedule',
    'ALTER TABLE experiments DROP COLUMN policy',
  ],
);
