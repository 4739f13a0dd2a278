import type { GuardrailHit, RunCompleted, RunEvaluated, RunStatus } from '../contracts/types.generated.ts';
import type { GrpcAssignResponse } from '../router/proto.ts';
import { type Assignment, assignmentSchema } from '../router/schemas.ts';

/**
 * The client's decisions without I/O: what an answer (or its absence) means for the run, and the events that report
 * it. The fail-safe mirrors the router's own (docs/router.md): in any doubt, the caller's live version, untagged.
 */

/** Why the client served the caller's live version without the router's answer. */
export const fallbackReasons = ['timeout', 'unreachable', 'rejected', 'bad_answer', 'internal_error'] as const;
export type FallbackReason = (typeof fallbackReasons)[number];

export interface AssignInput {
  agentId: string;
  runId: string;
  /** The stickiness unit (user, conversation); absent or null: the run itself. */
  unitId?: string | null;
  /** What this service serves when learnloop cannot say: the fallback, and the answer for an agent the router does not know. */
  liveVersionId: string;
}

/** What a run is reported with: copied onto its completed and evaluated events. */
export interface RunTags {
  agentId: string;
  runId: string;
  agentVersionId: string;
  experimentId: string | null;
  arm: 'baseline' | 'candidate' | 'shadow' | null;
  unitId: string | null;
}

export interface ClientAssignment {
  agentId: string;
  runId: string;
  unitId: string | null;
  /** The version to serve: the router's, or the caller's live version. */
  versionId: string;
  experimentId: string | null;
  arm: 'baseline' | 'candidate' | null;
  /** Set when the candidate should also run on this input, unserved (the client's runShadow). */
  shadow: { versionId: string; experimentId: string } | null;
  /** null, or why the router's answer was not used. */
  fallback: FallbackReason | null;
}

/** A caller's mistake no router could assign: thrown, naming the field, rather than hidden by the fail-safe. */
export function assignInputProblem(input: AssignInput): string | null {
  for (const field of ['agentId', 'runId', 'liveVersionId'] as const) {
    const value: unknown = input[field];
    if (typeof value !== 'string' || value === '') return `${field}: must be a non-empty string`;
  }
  const unit: unknown = input.unitId;
  if (unit !== undefined && unit !== null && typeof unit !== 'string') return 'unitId: must be a string or null';
  return null;
}

const unitOf = (input: AssignInput): string | null =>
  input.unitId === undefined || input.unitId === '' ? null : input.unitId;

export function fallbackAssignment(input: AssignInput, reason: FallbackReason): ClientAssignment {
  return {
    agentId: input.agentId,
    runId: input.runId,
    unitId: unitOf(input),
    versionId: input.liveVersionId,
    experimentId: null,
    arm: null,
    shadow: null,
    fallback: reason,
  };
}

/** The router's answer for this request, or the reason it cannot be used. */
export function fromAnswer(input: AssignInput, answer: Assignment): ClientAssignment {
  if (answer.agentId !== input.agentId || answer.runId !== input.runId) {
    return fallbackAssignment(input, 'bad_answer');
  }
  return {
    agentId: input.agentId,
    runId: input.runId,
    unitId: unitOf(input),
    versionId: answer.versionId ?? input.liveVersionId,
    experimentId: answer.experimentId,
    arm: answer.arm,
    shadow: answer.shadow,
    fallback: null,
  };
}

/** A JSON answer from POST /v1/assign, checked against the router's own schema. */
export function fromJsonAnswer(input: AssignInput, body: string): ClientAssignment {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return fallbackAssignment(input, 'bad_answer');
  }
  const parsed = assignmentSchema.safeParse(json);
  if (!parsed.success) return fallbackAssignment(input, 'bad_answer');
  return fromAnswer(input, parsed.data);
}

const grpcArms = { ARM_UNSPECIFIED: null, ARM_BASELINE: 'baseline', ARM_CANDIDATE: 'candidate' } as const;

export function fromGrpcAnswer(input: AssignInput, answer: GrpcAssignResponse): ClientAssignment {
  const arm = grpcArms[answer.arm];
  if (arm === undefined) return fallbackAssignment(input, 'bad_answer');
  const experimentId = answer.experimentId ?? null;
  // An arm without an experiment (or the reverse) cannot be reported: the answer is not usable.
  if ((arm === null) !== (experimentId === null)) return fallbackAssignment(input, 'bad_answer');
  return fromAnswer(input, {
    agentId: answer.agentId,
    runId: answer.runId,
    versionId: answer.versionId ?? null,
    experimentId,
    arm,
    shadow: answer.shadow ?? null,
  });
}

/** The served run's tags. */
export function runTags(a: ClientAssignment): RunTags {
  return {
    agentId: a.agentId,
    runId: a.runId,
    agentVersionId: a.versionId,
    experimentId: a.experimentId,
    arm: a.arm,
    unitId: a.unitId,
  };
}

/** The shadow execution's tags: the same run, arm `shadow`, the candidate's version; null without a shadow. */
export function shadowTags(a: ClientAssignment): RunTags | null {
  if (a.shadow === null) return null;
  return {
    agentId: a.agentId,
    runId: a.runId,
    agentVersionId: a.shadow.versionId,
    experimentId: a.shadow.experimentId,
    arm: 'shadow',
    unitId: a.unitId,
  };
}

/** What a run cost and how it ended; counts left out are 0. */
export interface RunMeasures {
  status?: RunStatus;
  costUsd?: number;
  inputTokens?: number;
  outputTokens?: number;
  toolCalls?: number;
  toolErrors?: number;
  guardrailHits?: GuardrailHit[];
  userFeedback?: -1 | 0 | 1 | null;
}

export interface RunReport extends RunMeasures {
  startedAt: Date;
  completedAt: Date;
  /** By default completedAt - startedAt. */
  latencyMs?: number;
}

export interface EvaluationReport {
  evaluatorId: string;
  score: number;
  passed: boolean;
  failureCategories?: string[];
  /** By default now. */
  evaluatedAt?: Date;
}

export function runCompletedEvent(tags: RunTags, report: RunReport, eventId: string): RunCompleted {
  return {
    eventId,
    runId: tags.runId,
    agentId: tags.agentId,
    agentVersionId: tags.agentVersionId,
    experimentId: tags.experimentId,
    arm: tags.arm,
    status: report.status ?? 'succeeded',
    startedAt: report.startedAt,
    completedAt: report.completedAt,
    latencyMs: report.latencyMs ?? report.completedAt.getTime() - report.startedAt.getTime(),
    costUsd: report.costUsd ?? 0,
    inputTokens: report.inputTokens ?? 0,
    outputTokens: report.outputTokens ?? 0,
    toolCalls: report.toolCalls ?? 0,
    toolErrors: report.toolErrors ?? 0,
    guardrailHits: report.guardrailHits ?? [],
    userFeedback: report.userFeedback ?? null,
    unitId: tags.unitId,
  };
}

export function runEvaluatedEvent(tags: RunTags, report: EvaluationReport, eventId: string, now: Date): RunEvaluated {
  return {
    eventId,
    runId: tags.runId,
    agentId: tags.agentId,
    agentVersionId: tags.agentVersionId,
    experimentId: tags.experimentId,
    arm: tags.arm,
    evaluatorId: report.evaluatorId,
    score: report.score,
    passed: report.passed,
    failureCategories: report.failureCategories ?? [],
    evaluatedAt: report.evaluatedAt ?? now,
  };
}
