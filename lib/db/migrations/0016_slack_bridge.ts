import { sqlMigration } from './statements.ts';

/**
 * The slack-bridge's state (docs/slack-bridge.md): one message per approval request (where it was posted, what it
 * showed, what happened since), the approvers allow-list (Slack user id to the approver's learnloop name), and the
 * decisions taken in Slack, one per approval, so that a click Slack retries decides once.
 */
export const slackBridge = sqlMigration(
  [
    `CREATE TABLE slack_messages (
       approval_id text PRIMARY KEY,
       experiment_id text NOT NULL,
       agent_id text NOT NULL,
       candidate_version_id text,
       session_started_by text,
       expires_at timestamptz NOT NULL,
       request jsonb,
       channel text,
       ts text,
       state text NOT NULL CHECK (state IN ('pending', 'paused', 'decided', 'expired', 'withdrawn')),
       outcome jsonb,
       -- false while Slack still shows an older state of the request: the bridge updates the message until it is true
       shown boolean NOT NULL DEFAULT true,
       posted_at timestamptz,
       updated_at timestamptz NOT NULL DEFAULT now(),
       CHECK ((channel IS NULL) = (ts IS NULL))
     )`,
    `CREATE INDEX slack_messages_experiment ON slack_messages (experiment_id)`,
    `CREATE INDEX slack_messages_open_expiry ON slack_messages (expires_at) WHERE state IN ('pending', 'paused')`,
    `CREATE INDEX slack_messages_unshown ON slack_messages (updated_at) WHERE NOT shown AND ts IS NOT NULL`,
    `CREATE TABLE slack_approvers (
       slack_user_id text PRIMARY KEY CHECK (slack_user_id ~ '^[UW][A-Z0-9]+$'),
       approver text NOT NULL CHECK (btrim(approver) <> ''),
       added_by text NOT NULL,
       added_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE TABLE slack_decisions (
       approval_id text PRIMARY KEY,
       slack_user_id text NOT NULL,
       approver text NOT NULL,
       decision text NOT NULL CHECK (decision IN ('approved', 'rejected')),
       reason text,
       decided_at timestamptz NOT NULL
     )`,
  ],
  ['DROP TABLE slack_decisions', 'DROP TABLE slack_approvers', 'DROP TABLE slack_messages'],
);
