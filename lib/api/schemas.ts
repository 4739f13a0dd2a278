import { z } from 'zod';
import { agentConfigSchema } from '../agents/config.ts';
import {
  approvalDecisions,
  experimentModes,
  experimentStatuses,
  riskTiers,
  sessionStatuses,
  sessionTriggers,
  tokenRoles,
} from '../db/schema.ts';

/**
 * The control plane API's request and response shapes, shared by its server (services/control-plane) and the CLI
 * (cli/control.ts): validation, the handlers' types (z.infer), the CLI's reading of the answers and the OpenAPI
 * document all come from these. Requests are strict (an unknown field is an error, named); timestamps are ISO 8601.
 */

const id = z.string().min(1, 'must not be empty').max(512, 'must be at most 512 characters');
const reason = z.string().trim().min(1, 'must not be empty').max(2000, 'must be at most 2000 characters');
const timestamp = z.iso.datetime();
const limit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);

// Requests.

export const registerAgentBody = z.strictObject({ name: z.string().trim().min(1).max(200).optional() });
export const registerVersionBody = z.strictObject({
  config: agentConfigSchema,
  /** Make it the live version at once (as POST .../live would). */
  live: z.boolean().default(false),
  reason: reason.optional(),
});
export const setLiveBody = z.strictObject({ versionId: id, reason: reason.optional() });
export const policyQuery = z.strictObject({
  version: z.coerce.number().int().positive().max(2_147_483_647).optional(),
});
export const setPolicyBody = z.strictObject({
  /** The agent's overrides of the central policy: the whole set (what is left out falls back to the default). */
  policy: z.record(z.string(), z.unknown()),
  /** Compare-and-set: refused with 409 unless this is still the current version (0: the agent has none). */
  expectedVersion: z.number().int().nonnegative().optional(),
  reason: reason.optional(),
});
export const pauseBody = z.strictObject({ reason });
export const resumeBody = z.strictObject({ reason: reason.optional() });
export const startSessionBody = z.strictObject({ reason });
export const experimentsQuery = z.strictObject({
  status: z.enum(['active', 'all']).default('all'),
  limit: limit(100, 20),
});
export const approvalsQuery = z.strictObject({
  status: z.enum(['pending', 'decided', 'all']).default('pending'),
  agentId: id.optional(),
  limit: limit(500, 100),
});
export const decisionBody = z.strictObject({ decision: z.enum(['approved', 'rejected']), reason: reason.optional() });
export const auditQuery = z.strictObject({
  agentId: id.optional(),
  subjectType: id.optional(),
  subjectId: id.optional(),
  /** The token holder (or service) that acted, exactly. */
  actor: id.optional(),
  /** The action, exactly (`approval.decided`), or every action under a prefix ending in a dot (`learning.`). */
  action: id.optional(),
  /** Paging: the `nextBeforeId` of the previous page. */
  beforeId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  limit: limit(1000, 100),
});
export const agentListQuery = z.strictObject({
  /** Part of the agent's id or name, any case. */
  q: z.string().trim().min(1).max(200).optional(),
  mode: z.enum(['on', 'paused']).optional(),
  sort: z.enum(['id', 'name', 'createdAt']).default('id'),
  order: z.enum(['asc', 'desc']).default('asc'),
  limit: limit(200, 50),
  offset: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
});
export const createTokenBody = z.strictObject({ name: z.string().trim().min(1).max(200), role: z.enum(tokenRoles) });

// Responses.

export const agentView = z.object({
  id: z.string(),
  name: z.string(),
  liveVersionId: z.string().nullable(),
  createdAt: timestamp,
});
export const agentDetailView = agentView.extend({
  versions: z.array(z.object({ id: z.string(), createdAt: timestamp })),
});
export const versionView = z.object({
  id: z.string(),
  agentId: z.string(),
  config: z.unknown(),
  createdAt: timestamp,
  created: z.boolean(),
  live: z.boolean(),
});

export const agentSummaryView = agentView.extend({
  continuousMode: z.enum(['on', 'paused']),
  /** Who paused it (the author of the policy version that set the flag) and when. */
  paused: z.object({ by: z.string(), at: timestamp }).nullable(),
  openSession: z
    .object({ id: z.string(), status: z.enum(sessionStatuses), trigger: z.enum(sessionTriggers) })
    .nullable(),
  experiment: z
    .object({
      id: z.string(),
      status: z.enum(experimentStatuses),
      mode: z.enum(experimentModes),
      rampStepIndex: z.number().int(),
      candidateBasisPoints: z.number().int(),
      /** The final decision's action once the judge has taken one. */
      decision: z.string().nullable(),
    })
    .nullable(),
  lastPromotion: z
    .object({
      experimentId: z.string(),
      at: timestamp,
      /** auto: the policy promoted it; human: a person approved it. */
      by: z.enum(['auto', 'human']),
      approver: z.string().nullable(),
    })
    .nullable(),
});
export const agentListView = z.object({
  agents: z.array(agentSummaryView),
  /** How many agents match the filters, over every page. */
  total: z.number().int(),
  offset: z.number().int(),
  limit: z.number().int(),
});

export const policyView = z.object({
  agentId: z.string(),
  /** 0: no policy stored, the central defaults apply. */
  version: z.number().int(),
  /** The effective policy: the overrides laid over the central defaults. */
  policy: z.record(z.string(), z.unknown()),
  overrides: z.record(z.string(), z.unknown()),
  paused: z.boolean(),
  createdAt: timestamp.nullable(),
  createdBy: z.string().nullable(),
});

export const trafficSplitView = z.object({
  candidateBasisPoints: z.number().int(),
  baselineBasisPoints: z.number().int(),
  shadowSampleBasisPoints: z.number().int(),
});

export const approvalView = z.object({
  id: z.string(),
  experimentId: z.string(),
  agentId: z.string(),
  proposalId: z.string(),
  status: z.enum(['pending', ...approvalDecisions]),
  approver: z.string().nullable(),
  reason: z.string().nullable(),
  requestedAt: timestamp,
  expiresAt: timestamp.nullable(),
  decidedAt: timestamp.nullable(),
  /** Pending past its expiry: the judge rejects it on its next look. */
  expired: z.boolean(),
  riskTier: z.enum(riskTiers),
  summary: z.string().nullable(),
  baselineVersionId: z.string(),
  candidateVersionId: z.string(),
  sessionId: z.string(),
  sessionTrigger: z.enum(sessionTriggers),
  sessionStartedBy: z.string().nullable(),
});
export const decisionView = z.object({ approval: approvalView, applied: z.boolean() });

export const experimentView = z.object({
  id: z.string(),
  agentId: z.string(),
  status: z.enum(experimentStatuses),
  mode: z.enum(experimentModes),
  version: z.number().int(),
  trafficSplit: trafficSplitView,
  rampStepIndex: z.number().int(),
  startedAt: timestamp,
  updatedAt: timestamp,
  endedAt: timestamp.nullable(),
  proposal: z.object({
    id: z.string(),
    riskTier: z.enum(riskTiers),
    autoEligible: z.boolean(),
    summary: z.string().nullable(),
    baselineVersionId: z.string(),
    candidateVersionId: z.string(),
    /** Why it got its risk tier, or why it may not be promoted automatically. */
    riskReasons: z.array(z.object({ code: z.string(), detail: z.string().nullable() })),
    /** The configuration parts the candidate changes, each before and after (null: absent). */
    changes: z.array(z.object({ part: z.string(), before: z.unknown(), after: z.unknown() })),
  }),
  /** Runs counted per arm: as the judge has counted them (shadow: runs of the candidate on baseline inputs). */
  armCounts: z.object({ baseline: z.number().int(), candidate: z.number().int(), shadow: z.number().int() }),
  /** The judge's current statistics (ExperimentStatistics of learning.experiment.verdict.v1); null before it has seen a run. */
  statistics: z.unknown().nullable(),
  /** The latest decision: the final one for an ended experiment, else the last verdict. */
  decision: z
    .object({
      action: z.string(),
      reasons: z.array(z.object({ code: z.string(), detail: z.string().nullable() })),
      at: timestamp.nullable(),
    })
    .nullable(),
  latestApproval: approvalView.nullable(),
});

const runCountsView = z.object({ baseline: z.number().int(), candidate: z.number().int(), shadow: z.number().int() });
const nullableRate = z.number().nullable();

/** One verdict of the judge on an experiment (learning.experiment.verdict.v1): a point of its confidence sequence. */
export const verdictView = z.object({
  sequence: z.number().int(),
  eventId: z.string(),
  experimentVersion: z.number().int(),
  decidedAt: timestamp,
  decision: z.string(),
  reasons: z.array(z.object({ code: z.string(), detail: z.string().nullable() })),
  /** Runs counted over all arms when it was published (a verdict comes at each decision and every ~10% more data). */
  after: z.number().int(),
  runCounts: runCountsView.nullable(),
  trafficSplit: trafficSplitView,
  /** The primary metric's confidence sequence on candidate − baseline; null until both arms have data. */
  primary: z
    .object({
      metric: z.string(),
      estimate: z.number(),
      lower: z.number(),
      upper: z.number(),
      alpha: z.number(),
      outcome: z.enum(['better', 'worse', 'inconclusive']),
    })
    .nullable(),
  primaryDetail: z
    .object({
      metric: z.string(),
      higherIsBetter: z.boolean(),
      pValue: z.number(),
      chanceToWin: z.number(),
      relative: z.object({ estimate: z.number(), lower: z.number(), upper: z.number() }).nullable(),
      winRate: nullableRate,
      pairs: z.number().int().nullable(),
    })
    .nullable(),
  guardrails: z.array(
    z.object({
      metric: z.string(),
      margin: z.number(),
      estimate: z.number(),
      bound: z.number(),
      outcome: z.enum(['non_inferior', 'inconclusive', 'regressed']),
    }),
  ),
  armSummaries: z.array(
    z.object({
      arm: z.enum(['baseline', 'candidate', 'shadow']),
      versionId: z.string(),
      runs: z.number().int(),
      evaluated: z.number().int(),
      meanScore: nullableRate,
      failureRate: nullableRate,
      guardrailHitRate: nullableRate,
      meanCostUsd: nullableRate,
    }),
  ),
  /** Shadow mode: the candidate's score against the baseline's on the same inputs. */
  pairs: z.object({ wins: z.number().int(), losses: z.number().int(), ties: z.number().int() }).nullable(),
});

export const sessionView = z.object({
  id: z.string(),
  status: z.enum(sessionStatuses),
  trigger: z.enum(sessionTriggers),
  startedBy: z.string().nullable(),
  reason: z.string().nullable(),
  createdAt: timestamp,
});

/** The agent's window as the aggregator last announced it (learning.agent.window.v1): the figures the thresholds judge. */
export const windowView = z.object({
  announcedAt: timestamp,
  agentVersionId: z.string().nullable(),
  windowStart: timestamp,
  windowEnd: timestamp,
  runCount: z.number().int(),
  evaluatedCount: z.number().int(),
  failureRate: nullableRate,
  meanScore: nullableRate,
  guardrailHitRate: nullableRate,
  negativeFeedbackRate: nullableRate,
  meanCostUsd: nullableRate,
});

export const statusView = z.object({
  agentId: z.string(),
  liveVersionId: z.string().nullable(),
  /** on: sessions open on thresholds and the schedule; paused: none open, and a running experiment serves the baseline. */
  continuousMode: z.enum(['on', 'paused']),
  paused: z.object({ by: z.string(), reason: z.string().nullable(), at: timestamp }).nullable(),
  policyVersion: z.number().int(),
  schedule: z.object({ enabled: z.boolean(), cron: z.string(), timezone: z.string() }),
  /** The backstop's next slot; null when the schedule is off or the agent is paused. */
  nextScheduledRunAt: timestamp.nullable(),
  thresholds: z.record(z.string(), z.number()),
  autoPromoteLowRisk: z.boolean(),
  openSession: sessionView.nullable(),
  runningExperiment: experimentView.nullable(),
  /** null until the aggregator has announced a window for the agent. */
  window: windowView.nullable(),
});

export const auditEntryView = z.object({
  id: z.number().int(),
  at: timestamp,
  actor: z.string(),
  action: z.string(),
  agentId: z.string().nullable(),
  subjectType: z.string(),
  subjectId: z.string(),
  payload: z.unknown(),
  hash: z.string(),
});
export const auditPageView = z.object({ entries: z.array(auditEntryView), nextBeforeId: z.number().int().nullable() });

/** The audit chain recomputed from its first entry: intact, or where it first breaks and why. */
export const auditVerificationView = z.object({
  ok: z.boolean(),
  rows: z.number().int(),
  firstBrokenId: z.number().int().optional(),
  reason: z.string().optional(),
});

export const tokenView = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(tokenRoles),
  createdBy: z.string(),
  createdAt: timestamp,
  revokedAt: timestamp.nullable(),
});
export const createdTokenView = tokenView.extend({ token: z.string() });

export const pauseView = z.object({
  agentId: z.string(),
  paused: z.boolean(),
  /** false: it was already so, nothing was written. */
  changed: z.boolean(),
  policyVersion: z.number().int(),
  experiment: z.object({ id: z.string(), status: z.enum(experimentStatuses), version: z.number().int() }).nullable(),
});

export type AgentView = z.infer<typeof agentView>;
export type AgentListView = z.infer<typeof agentListView>;
export type AgentSummaryView = z.infer<typeof agentSummaryView>;
export type PolicyView = z.infer<typeof policyView>;
export type ApprovalView = z.infer<typeof approvalView>;
export type ExperimentView = z.infer<typeof experimentView>;
export type VerdictView = z.infer<typeof verdictView>;
export type SessionView = z.infer<typeof sessionView>;
export type StatusView = z.infer<typeof statusView>;
export type WindowView = z.infer<typeof windowView>;
export type TokenView = z.infer<typeof tokenView>;
export type PauseView = z.infer<typeof pauseView>;
