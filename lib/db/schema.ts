import type { ColumnType, Generated, GeneratedAlways, Kysely, Selectable } from 'kysely';
import type { ExperimentPolicy, FailureCategorySummary, RampStep, TrafficSplit } from '../contracts/types.generated.ts';

/**
 * The table map of learnloop's Postgres database: the one definition of its row types. Column names are snake_case,
 * in SQL and here alike (no CamelCasePlugin): a property is named exactly as its column. Services map rows to the
 * camelCase fields of their events.
 *
 * Read types follow lib/db/index.ts's parsers: bigint columns read as number (ids, versions, counts, offsets all stay
 * far below 2^53), date as 'YYYY-MM-DD', timestamptz as Date.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };
/**
 * What repositories accept for a jsonb column: JSON data, including interface-typed objects (which TypeScript will not
 * assign to JsonValue for want of an index signature). Checked when written (lib/db/json.ts).
 */
export type JsonInput = JsonValue | object;

/**
 * jsonb reads as parsed JSON and is written as JSON text (lib/db/json.ts `jsonb`): pg would send a JS array as a
 * Postgres array literal, so the insert type is string to make that mistake impossible.
 */
export type Jsonb<T> = ColumnType<T, string, string>;
export type NullableJsonb<T> = ColumnType<T | null, string | null | undefined, string | null>;
/** timestamptz, set by the writer. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** timestamptz with a default of now(). */
export type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
export type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** bigint read as number, with a default. */
export type DefaultCount = ColumnType<number, number | undefined, number>;

// The value lists the CHECK constraints enforce (the migrations spell them out in SQL, frozen as they were applied).
export const sessionStatuses = ['open', 'proposing', 'experimenting', 'closed', 'failed'] as const;
export type SessionStatus = (typeof sessionStatuses)[number];
export const openSessionStatuses = ['open', 'proposing', 'experimenting'] as const satisfies readonly SessionStatus[];
export const sessionTriggers = ['threshold', 'scheduled', 'manual'] as const;
export type SessionTrigger = (typeof sessionTriggers)[number];
export const riskTiers = ['low', 'medium', 'high'] as const;
export type RiskTier = (typeof riskTiers)[number];
export const experimentModes = ['ab', 'shadow'] as const;
export type ExperimentMode = (typeof experimentModes)[number];
export const experimentStatuses = [
  'running',
  'paused',
  'awaiting_approval',
  'promoted',
  'failed',
  'closed',
  'inconclusive',
] as const;
export type ExperimentStatus = (typeof experimentStatuses)[number];
export const approvalDecisions = ['approved', 'rejected', 'auto_approved'] as const;
export type ApprovalDecision = (typeof approvalDecisions)[number];
export const arms = ['baseline', 'candidate', 'shadow'] as const;
export type Arm = (typeof arms)[number];
export const tokenRoles = ['viewer', 'operator', 'approver', 'admin'] as const;
export type TokenRole = (typeof tokenRoles)[number];
export const runStatuses = ['succeeded', 'failed', 'timed_out', 'cancelled'] as const;
export type RunStatus = (typeof runStatuses)[number];

export interface AgentsTable {
  id: string;
  name: string;
  live_version_id: string | null;
  created_at: DefaultTimestamp;
}

export interface AgentVersionsTable {
  /** sha256 hex of canonicalJson({ agent_id, config }): see agentVersionId. */
  id: string;
  agent_id: string;
  config: Jsonb<JsonValue>;
  created_at: DefaultTimestamp;
}

export interface PoliciesTable {
  agent_id: string;
  version: number;
  policy: Jsonb<JsonObject>;
  created_at: DefaultTimestamp;
  created_by: string;
}

export interface SessionsTable {
  id: string;
  agent_id: string;
  status: ColumnType<SessionStatus, SessionStatus | undefined, SessionStatus>;
  trigger: SessionTrigger;
  signals: Jsonb<JsonValue>;
  started_by: string | null;
  slot: string | null;
  reason: string | null;
  close_reason: string | null;
  created_at: DefaultTimestamp;
  closed_at: NullableTimestamp;
}

export interface ProposalsTable {
  id: string;
  session_id: string;
  agent_id: string;
  baseline_version_id: string;
  candidate_version_id: string;
  change: Jsonb<JsonValue>;
  risk_tier: RiskTier;
  auto_eligible: boolean;
  risk_reasons: Jsonb<JsonValue>;
  generator: string;
  created_at: DefaultTimestamp;
}

export interface ExperimentsTable {
  id: string;
  agent_id: string;
  proposal_id: string;
  mode: ExperimentMode;
  status: ColumnType<ExperimentStatus, ExperimentStatus | undefined, ExperimentStatus>;
  /** Its JSON columns hold the contract's records (the judge still checks them: a row may predate a field). */
  traffic_split: Jsonb<TrafficSplit>;
  salt: string;
  candidate_share: number;
  version: ColumnType<number, number | undefined, number>;
  shadow_run_count: DefaultCount;
  baseline_run_count: DefaultCount;
  candidate_run_count: DefaultCount;
  started_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
  ended_at: NullableTimestamp;
  decision: NullableJsonb<JsonValue>;
  /** The ExperimentPolicy the experiment carries (learning.experiment.state.v1); null for rows from before 0004. */
  policy: NullableJsonb<ExperimentPolicy>;
  /** The judge moves ramp_step_index along it. */
  ramp_schedule: ColumnType<RampStep[], string | undefined, string>;
  ramp_step_index: ColumnType<number, number | undefined, number>;
}

export interface ApprovalsTable {
  id: string;
  experiment_id: string;
  proposal_id: string;
  decision: ApprovalDecision | null;
  auto_approved: ColumnType<boolean, boolean | undefined, boolean>;
  approver: string | null;
  reason: string | null;
  requested_at: DefaultTimestamp;
  expires_at: NullableTimestamp;
  decided_at: NullableTimestamp;
}

export interface RunsTable {
  run_id: string;
  arm: Arm | null;
  /** coalesce(arm, 'none'), generated: the primary key is (run_id, arm_key), so an untagged run is one row too. */
  arm_key: GeneratedAlways<string>;
  agent_id: string;
  agent_version_id: string;
  experiment_id: string | null;
  status: RunStatus;
  latency_ms: number;
  cost_usd: number;
  completed_at: Timestamp;
}

export interface AuditLogTable {
  id: number;
  at: Timestamp;
  actor: string;
  action: string;
  agent_id: string | null;
  subject_type: string;
  subject_id: string;
  payload: Jsonb<JsonValue>;
  prev_hash: string;
  hash: string;
}

/** One row: the last appended audit row, locked by every append so that the chain is extended by one writer at a time. */
export interface AuditChainHeadTable {
  singleton: ColumnType<boolean, never, never>;
  last_id: number | null;
  last_hash: string;
}

export interface DailyRollupsTable {
  /** 'YYYY-MM-DD' (UTC day). */
  day: string;
  agent_id: string;
  metric: string;
  value: number;
  updated_at: DefaultTimestamp;
}

export interface ApiTokensTable {
  id: string;
  /** Who holds it (a person or a system): the actor of everything done with it. */
  name: string;
  role: TokenRole;
  /** sha256 hex of the token. */
  token_hash: string;
  created_by: string;
  created_at: DefaultTimestamp;
  revoked_at: NullableTimestamp;
}

export interface ConsumerOffsetsTable {
  group_id: string;
  topic: string;
  partition: number;
  next_offset: number;
  updated_at: DefaultTimestamp;
}

export interface OutboxTable {
  id: Generated<number>;
  producer: string;
  topic: string;
  key: Buffer | null;
  value: Buffer;
  headers: ColumnType<Record<string, string>, string | undefined, string>;
  event_id: string;
  created_at: DefaultTimestamp;
}

export interface ProcessedEventsTable {
  group_id: string;
  event_id: string;
  processed_at: DefaultTimestamp;
}

export interface OutboxPositionsTable {
  producer: string;
  published_upto: number;
}

/** The original bytes of a dead letter too large to carry them itself (its `storedPayloadId` is the id). */
export interface DeadLetterPayloadsTable {
  id: string;
  key: Buffer | null;
  value: Buffer;
  stored_at: DefaultTimestamp;
}

/** An outbox row Kafka can never accept, moved aside with the reason so that the rows behind it are published. */
export interface OutboxParkedTable {
  id: number;
  producer: string;
  topic: string;
  key: Buffer | null;
  value: Buffer;
  headers: ColumnType<Record<string, string>, string, string>;
  event_id: string;
  reason: string;
  parked_at: DefaultTimestamp;
}

/**
 * A service's own state as JSON, read back as the type its owner wrote (the owner's store says which): no other module
 * reads it.
 */
export type PrivateJson = ColumnType<unknown, string, string>;
export type NullablePrivateJson = ColumnType<unknown, string | null | undefined, string | null>;

/** The experiment judge's state per experiment: its sufficient statistics and memory (the judge's JudgeState). */
export interface JudgeExperimentsTable {
  experiment_id: string;
  state: PrivateJson;
  updated_at: DefaultTimestamp;
}

/** Per (experiment, run, arm): the router's assignment and what was observed of the run, until both are in. */
export interface JudgeRunsTable {
  experiment_id: string;
  run_id: string;
  arm: Arm;
  assigned: ColumnType<boolean, boolean | undefined, boolean>;
  version_id: string | null;
  completion: NullablePrivateJson;
  evaluation: NullablePrivateJson;
}

/** Per (experiment, unit): the arm the unit was first seen in, for the sample-ratio check. */
export interface JudgeUnitsTable {
  experiment_id: string;
  unit_key: string;
  arm: Arm;
}

/** The signal aggregator's window per agent (its AgentWindow). */
export interface AggregatorWindowsTable {
  agent_id: string;
  state: PrivateJson;
  updated_at: DefaultTimestamp;
}

/** The control plane's read model of an experiment: its latest verdict (learning.experiment.verdict.v1). */
export interface CpExperimentsTable {
  experiment_id: string;
  agent_id: string;
  verdict_sequence: number;
  decided_at: Timestamp;
  decision: Jsonb<{ action: string; reasons: Array<{ code: string; detail: string | null }> }>;
  statistics: Jsonb<unknown>;
  run_counts: Jsonb<{ baseline: number; candidate: number; shadow: number }>;
  policy: Jsonb<ExperimentPolicy>;
  updated_at: DefaultTimestamp;
}

/** Every verdict the control plane has read, per experiment in sequence: the verdict event as JSON. */
export interface CpVerdictsTable {
  experiment_id: string;
  sequence: number;
  event_id: string;
  agent_id: string;
  experiment_version: number;
  decided_at: Timestamp;
  verdict: Jsonb<unknown>;
}

/** The control plane's read model of an agent's window (learning.agent.window.v1). */
export interface CpAgentWindowsTable {
  agent_id: string;
  agent_version_id: string | null;
  updated_at: Timestamp;
  /** A WindowSummary, its times as ISO strings. */
  window_summary: Jsonb<unknown>;
  top_failure_categories: Jsonb<FailureCategorySummary[]>;
}

/** The runs and evaluations the aggregator has counted, so that one delivered twice under two event ids counts once. */
export interface AggregatorCountedTable {
  key: string;
  counted_at: DefaultTimestamp;
}

export const slackMessageStates = ['pending', 'paused', 'decided', 'expired', 'withdrawn'] as const;
export type SlackMessageState = (typeof slackMessageStates)[number];

/** The slack-bridge's message of an approval request; `request` and `outcome` are the bridge's own JSON. */
export interface SlackMessagesTable {
  approval_id: string;
  experiment_id: string;
  agent_id: string;
  candidate_version_id: string | null;
  session_started_by: string | null;
  expires_at: Timestamp;
  request: NullableJsonb<JsonValue>;
  channel: string | null;
  ts: string | null;
  state: SlackMessageState;
  outcome: NullableJsonb<JsonValue>;
  shown: ColumnType<boolean, boolean | undefined, boolean>;
  posted_at: NullableTimestamp;
  updated_at: DefaultTimestamp;
}

export interface SlackApproversTable {
  slack_user_id: string;
  approver: string;
  added_by: string;
  added_at: DefaultTimestamp;
}

export interface SlackDecisionsTable {
  approval_id: string;
  slack_user_id: string;
  approver: string;
  decision: 'approved' | 'rejected';
  reason: string | null;
  decided_at: Timestamp;
}

export interface Database {
  agents: AgentsTable;
  agent_versions: AgentVersionsTable;
  policies: PoliciesTable;
  sessions: SessionsTable;
  proposals: ProposalsTable;
  experiments: ExperimentsTable;
  approvals: ApprovalsTable;
  runs: RunsTable;
  audit_log: AuditLogTable;
  audit_chain_head: AuditChainHeadTable;
  daily_rollups: DailyRollupsTable;
  api_tokens: ApiTokensTable;
  consumer_offsets: ConsumerOffsetsTable;
  outbox: OutboxTable;
  processed_events: ProcessedEventsTable;
  outbox_positions: OutboxPositionsTable;
  dead_letter_payloads: DeadLetterPayloadsTable;
  outbox_parked: OutboxParkedTable;
  judge_experiments: JudgeExperimentsTable;
  judge_runs: JudgeRunsTable;
  judge_units: JudgeUnitsTable;
  aggregator_windows: AggregatorWindowsTable;
  aggregator_counted: AggregatorCountedTable;
  slack_messages: SlackMessagesTable;
  slack_approvers: SlackApproversTable;
  slack_decisions: SlackDecisionsTable;
  cp_experiments: CpExperimentsTable;
  cp_verdicts: CpVerdictsTable;
  cp_agent_windows: CpAgentWindowsTable;
}

/** A database handle or a transaction: Transaction<Database> is a Kysely<Database>, so every repository takes either. */
export type Db = Kysely<Database>;

export type Agent = Selectable<AgentsTable>;
export type AgentVersion = Selectable<AgentVersionsTable>;
export type Policy = Selectable<PoliciesTable>;
export type Session = Selectable<SessionsTable>;
export type Proposal = Selectable<ProposalsTable>;
export type Experiment = Selectable<ExperimentsTable>;
export type Approval = Selectable<ApprovalsTable>;
export type Run = Selectable<RunsTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type DailyRollup = Selectable<DailyRollupsTable>;
export type ApiToken = Selectable<ApiTokensTable>;
