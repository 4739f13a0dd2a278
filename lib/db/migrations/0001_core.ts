import { sqlMigration } from './statements.ts';

/** Agents and their versions, policies, the learning loop (sessions, proposals, experiments, approvals), runs, rollups. */
export const core = sqlMigration(
  [
    // Raised by triggers on rows that must never change once written.
    `CREATE FUNCTION learnloop_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
         USING ERRCODE = 'restrict_violation', HINT = TG_ARGV[0];
     END $$`,

    `CREATE TABLE agents (
       id text PRIMARY KEY,
       name text NOT NULL,
       live_version_id text,
       created_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE TABLE agent_versions (
       id text PRIMARY KEY,
       agent_id text NOT NULL REFERENCES agents (id),
       config jsonb NOT NULL,
       created_at timestamptz NOT NULL DEFAULT now(),
       UNIQUE (agent_id, id)
     )`,
    // The live version must be one of this agent's versions.
    `ALTER TABLE agents ADD CONSTRAINT agents_live_version_fkey
       FOREIGN KEY (id, live_version_id) REFERENCES agent_versions (agent_id, id)`,
    // A version is content-addressed: changing its config would make its id a lie.
    `CREATE TRIGGER agent_versions_immutable BEFORE UPDATE ON agent_versions
       FOR EACH ROW EXECUTE FUNCTION learnloop_reject_change('register a new version instead')`,

    `CREATE TABLE policies (
       agent_id text NOT NULL REFERENCES agents (id),
       version integer NOT NULL CHECK (version > 0),
       policy jsonb NOT NULL CHECK (jsonb_typeof(policy) = 'object'),
       created_at timestamptz NOT NULL DEFAULT now(),
       created_by text NOT NULL,
       PRIMARY KEY (agent_id, version)
     )`,
    // Every decision records the policy version it used; that version must stay as it was.
    `CREATE TRIGGER policies_append_only BEFORE UPDATE OR DELETE ON policies
       FOR EACH ROW EXECUTE FUNCTION learnloop_reject_change('put a new policy version instead')`,

    `CREATE TABLE sessions (
       id text PRIMARY KEY,
       agent_id text NOT NULL REFERENCES agents (id),
       status text NOT NULL DEFAULT 'open'
         CHECK (status IN ('open', 'proposing', 'experimenting', 'closed', 'failed')),
       trigger text NOT NULL CHECK (trigger IN ('threshold', 'scheduled', 'manual')),
       signals jsonb NOT NULL,
       started_by text,
       slot text,
       reason text,
       close_reason text,
       created_at timestamptz NOT NULL DEFAULT now(),
       closed_at timestamptz,
       CHECK ((status IN ('closed', 'failed')) = (closed_at IS NOT NULL)),
       CHECK (slot IS NULL OR trigger = 'scheduled'),
       -- One session per scheduled slot, ever: two replicas' cron backstops cannot both open one.
       CONSTRAINT sessions_slot_key UNIQUE (agent_id, slot)
     )`,
    // Single flight (docs/data-model.md): at most one session per agent that is not closed or failed.
    `CREATE UNIQUE INDEX sessions_single_flight ON sessions (agent_id) WHERE status NOT IN ('closed', 'failed')`,
    `CREATE INDEX sessions_status ON sessions (status)`,
    `CREATE INDEX sessions_agent_created ON sessions (agent_id, created_at DESC)`,

    `CREATE TABLE proposals (
       id text PRIMARY KEY,
       session_id text NOT NULL REFERENCES sessions (id),
       agent_id text NOT NULL REFERENCES agents (id),
       baseline_version_id text NOT NULL,
       candidate_version_id text NOT NULL,
       change jsonb NOT NULL,
       risk_tier text NOT NULL CHECK (risk_tier IN ('low', 'medium', 'high')),
       auto_eligible boolean NOT NULL,
       risk_reasons jsonb NOT NULL,
       generator text NOT NULL,
       created_at timestamptz NOT NULL DEFAULT now(),
       FOREIGN KEY (agent_id, baseline_version_id) REFERENCES agent_versions (agent_id, id),
       FOREIGN KEY (agent_id, candidate_version_id) REFERENCES agent_versions (agent_id, id),
       CHECK (baseline_version_id <> candidate_version_id),
       -- Only a low-risk change can be promoted without a human.
       CHECK (NOT auto_eligible OR risk_tier = 'low')
     )`,
    `CREATE INDEX proposals_session ON proposals (session_id)`,
    `CREATE INDEX proposals_agent_created ON proposals (agent_id, created_at DESC)`,

    `CREATE TABLE experiments (
       id text PRIMARY KEY,
       agent_id text NOT NULL REFERENCES agents (id),
       proposal_id text NOT NULL REFERENCES proposals (id),
       mode text NOT NULL CHECK (mode IN ('ab', 'shadow')),
       status text NOT NULL DEFAULT 'running'
         CHECK (status IN ('running', 'paused', 'awaiting_approval', 'promoted', 'failed', 'closed', 'inconclusive')),
       traffic_split jsonb NOT NULL,
       salt text NOT NULL,
       candidate_share double precision NOT NULL CHECK (candidate_share >= 0 AND candidate_share <= 1),
       version bigint NOT NULL DEFAULT 1 CHECK (version > 0),
       shadow_run_count bigint NOT NULL DEFAULT 0 CHECK (shadow_run_count >= 0),
       baseline_run_count bigint NOT NULL DEFAULT 0 CHECK (baseline_run_count >= 0),
       candidate_run_count bigint NOT NULL DEFAULT 0 CHECK (candidate_run_count >= 0),
       started_at timestamptz NOT NULL DEFAULT now(),
       updated_at timestamptz NOT NULL DEFAULT now(),
       ended_at timestamptz,
       decision jsonb,
       CHECK ((status IN ('promoted', 'failed', 'closed', 'inconclusive')) = (ended_at IS NOT NULL))
     )`,
    // Single flight (docs/data-model.md): at most one experiment per agent that is running, paused or awaiting approval.
    `CREATE UNIQUE INDEX experiments_single_flight ON experiments (agent_id)
       WHERE status IN ('running', 'paused', 'awaiting_approval')`,
    `CREATE INDEX experiments_status ON experiments (status)`,
    `CREATE INDEX experiments_proposal ON experiments (proposal_id)`,
    // The version check (docs/data-model.md): an experiment's version only goes up, so its emitted states are totally ordered.
    `CREATE FUNCTION experiments_version_increases() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF NEW.version <= OLD.version THEN
         RAISE EXCEPTION 'experiment % version must increase (was %, got %)', OLD.id, OLD.version, NEW.version
           USING ERRCODE = 'check_violation';
       END IF;
       RETURN NEW;
     END $$`,
    `CREATE TRIGGER experiments_version_increases BEFORE UPDATE ON experiments
       FOR EACH ROW EXECUTE FUNCTION experiments_version_increases()`,

    `CREATE TABLE approvals (
       id text PRIMARY KEY,
       experiment_id text NOT NULL REFERENCES experiments (id),
       proposal_id text NOT NULL REFERENCES proposals (id),
       decision text CHECK (decision IN ('approved', 'rejected', 'auto_approved')),
       auto_approved boolean NOT NULL DEFAULT false,
       approver text,
       reason text,
       requested_at timestamptz NOT NULL DEFAULT now(),
       expires_at timestamptz,
       decided_at timestamptz,
       CHECK ((decision IS NULL) = (decided_at IS NULL)),
       CHECK (auto_approved = (decision IS NOT DISTINCT FROM 'auto_approved'))
     )`,
    `CREATE UNIQUE INDEX approvals_one_pending ON approvals (experiment_id) WHERE decision IS NULL`,
    `CREATE INDEX approvals_experiment ON approvals (experiment_id)`,
    // Decided once: a decision, once recorded, is never replaced.
    `CREATE FUNCTION approvals_decide_once() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF OLD.decision IS NOT NULL THEN
         RAISE EXCEPTION 'approval % was already decided (%)', OLD.id, OLD.decision USING ERRCODE = 'restrict_violation';
       END IF;
       RETURN NEW;
     END $$`,
    `CREATE TRIGGER approvals_decide_once BEFORE UPDATE ON approvals
       FOR EACH ROW EXECUTE FUNCTION approvals_decide_once()`,

    // Runs come from outside (agent services): no foreign keys, so that ingesting one never fails on an unknown id.
    `CREATE TABLE runs (
       run_id text NOT NULL,
       arm text CHECK (arm IN ('baseline', 'candidate', 'shadow')),
       arm_key text GENERATED ALWAYS AS (coalesce(arm, 'none')) STORED,
       agent_id text NOT NULL,
       agent_version_id text NOT NULL,
       experiment_id text,
       status text NOT NULL CHECK (status IN ('succeeded', 'failed', 'timed_out', 'cancelled')),
       latency_ms bigint NOT NULL,
       cost_usd double precision NOT NULL,
       completed_at timestamptz NOT NULL,
       PRIMARY KEY (run_id, arm_key)
     )`,
    `CREATE INDEX runs_experiment ON runs (experiment_id, arm) WHERE experiment_id IS NOT NULL`,
    `CREATE INDEX runs_agent_completed ON runs (agent_id, completed_at)`,

    `CREATE TABLE daily_rollups (
       day date NOT NULL,
       agent_id text NOT NULL,
       metric text NOT NULL,
       value double precision NOT NULL,
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (day, agent_id, metric)
     )`,
    `CREATE INDEX daily_rollups_agent_day ON daily_rollups (agent_id, day)`,
  ],
  [
    'DROP TABLE daily_rollups',
    'DROP TABLE runs',
    'DROP TABLE approvals',
    'DROP FUNCTION approvals_decide_once',
    'DROP TABLE experiments',
    'DROP FUNCTION experiments_version_increases',
    'DROP TABLE proposals',
    'DROP TABLE sessions',
    'DROP TABLE policies',
    'ALTER TABLE agents DROP CONSTRAINT agents_live_version_fkey',
    'DROP TABLE agent_versions',
    'DROP TABLE agents',
    'DROP FUNCTION learnloop_reject_change',
  ],
);
