import { sqlMigration } from './statements.ts';

/**
 * The signal-aggregator's state: one window per agent (plain JSON, loaded and locked per batch, so idle agents cost no
 * memory), and the runs and evaluations it has counted, so that a run delivered twice under two event ids counts once.
 */
export const aggregator = sqlMigration(
  [
    `CREATE TABLE aggregator_windows (
       agent_id text PRIMARY KEY,
       state jsonb NOT NULL,
       updated_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE TABLE aggregator_counted (
       key text PRIMARY KEY,
       counted_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE INDEX aggregator_counted_counted_at ON aggregator_counted USING brin (counted_at)`,
  ],
  ['DROP TABLE aggregator_counted', 'DROP TABLE aggregator_windows'],
);
