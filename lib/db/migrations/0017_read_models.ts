import { sqlMigration } from './statements.ts';

/**
 * The control plane's read models (docs/control-plane.md): what it shows of other services' work, built by its own
 * consumer from the learning topics, so that it reads no other service's tables. Each can be emptied and rebuilt by
 * replaying the topics (`learnloop control-plane rebuild`).
 */
export const readModels = sqlMigration(
  [
    // Per experiment, its latest verdict: the statistics, run counts and decision the API shows, the policy judged by.
    `CREATE TABLE cp_experiments (
       experiment_id text PRIMARY KEY,
       agent_id text NOT NULL,
       verdict_sequence integer NOT NULL,
       decided_at timestamptz NOT NULL,
       decision jsonb NOT NULL,
       statistics jsonb NOT NULL,
       run_counts jsonb NOT NULL,
       policy jsonb NOT NULL,
       updated_at timestamptz NOT NULL DEFAULT now()
     )`,
    // Every verdict of every experiment, in order: the confidence sequence over time.
    `CREATE TABLE cp_verdicts (
       experiment_id text NOT NULL,
       sequence integer NOT NULL CHECK (sequence > 0),
       event_id text NOT NULL,
       agent_id text NOT NULL,
       experiment_version bigint NOT NULL,
       decided_at timestamptz NOT NULL,
       verdict jsonb NOT NULL,
       PRIMARY KEY (experiment_id, sequence)
     )`,
    // Per agent, its window as the aggregator last announced it.
    `CREATE TABLE cp_agent_windows (
       agent_id text PRIMARY KEY,
       agent_version_id text,
       updated_at timestamptz NOT NULL,
       window_summary jsonb NOT NULL,
       top_failure_categories jsonb NOT NULL
     )`,
  ],
  ['DROP TABLE cp_agent_windows', 'DROP TABLE cp_verdicts', 'DROP TABLE cp_experiments'],
);
