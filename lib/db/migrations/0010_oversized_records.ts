import { sqlMigration } from './statements.ts';

/**
 * Where records too large for Kafka go instead of blocking the loop (docs/consumer-runtime.md, "Records too large"):
 * the original bytes of a dead letter that would not fit in learning.dlq.v1, and outbox rows the broker can never
 * accept, parked with the reason so that the rows behind them are published.
 */
export const oversizedRecords = sqlMigration(
  [
    `CREATE TABLE dead_letter_payloads (
       id text PRIMARY KEY,
       key bytea,
       value bytea NOT NULL,
       stored_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE TABLE outbox_parked (
       id bigint PRIMARY KEY,
       producer text NOT NULL,
       topic text NOT NULL,
       key bytea,
       value bytea NOT NULL,
       headers jsonb NOT NULL,
       event_id text NOT NULL,
       reason text NOT NULL,
       parked_at timestamptz NOT NULL DEFAULT now()
     )`,
  ],
  ['DROP TABLE outbox_parked', 'DROP TABLE dead_letter_payloads'],
);
