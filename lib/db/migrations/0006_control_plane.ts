import { sqlMigration } from './statements.ts';

/**
 * The control plane's API tokens. Only a token's SHA-256 is stored: the token itself is shown once, when created. A
 * revoked token stays (revoked_at set), so that audit entries naming its id keep a meaning.
 */
export const controlPlane = sqlMigration(
  [
    `CREATE TABLE api_tokens (
       id text PRIMARY KEY,
       name text NOT NULL CHECK (name <> ''),
       role text NOT NULL CHECK (role IN ('viewer', 'operator', 'approver', 'admin')),
       token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
       created_by text NOT NULL,
       created_at timestamptz NOT NULL DEFAULT now(),
       revoked_at timestamptz
     )`,
    // The API's lists: pending approvals, an agent's experiments newest first.
    `CREATE INDEX approvals_pending ON approvals (requested_at) WHERE decision IS NULL`,
    `CREATE INDEX experiments_agent_started ON experiments (agent_id, started_at DESC)`,
  ],
  ['DROP INDEX experiments_agent_started', 'DROP INDEX approvals_pending', 'DROP TABLE api_tokens'],
);
