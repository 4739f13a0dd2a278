import { z } from 'zod';
import { maxIdBytes } from '../kafka/limits.pure.ts';
import { avroProblems } from './avro.ts';
import { avroType } from './schemas.ts';
import type { RunCompleted, RunEvaluated, TopicName, TopicValue } from './types.generated.ts';

/**
 * Checks on the input events for what Avro cannot say (ranges, non-empty ids, time order). Output events are written
 * by learnloop itself and pass through; Avro's own checks still apply to every event when it is encoded.
 */

export type Validation<T> = { ok: true; value: T } | { ok: false; error: string };

/** An event that breaks the contract; `problems` is "field: problem" for each fault, separated by "; ". */
export class EventValidationError extends Error {
  readonly topic: TopicName;
  readonly problems: string;
  constructor(topic: TopicName, problems: string) {
    super(`invalid ${topic} event: ${problems}`);
    this.name = 'EventValidationError';
    this.topic = topic;
    this.problems = problems;
  }
}

const id = z
  .string()
  .min(1, 'must not be empty')
  .refine((v) => Buffer.byteLength(v, 'utf8') <= maxIdBytes, `must be at most ${maxIdBytes} bytes (UTF-8)`);
const nonNegative = z.number().min(0, 'must not be negative');
const time = z.date();

const runCompletedRules = z
  .object({
    eventId: id,
    runId: id,
    agentId: id,
    agentVersionId: id,
    startedAt: time,
    completedAt: time,
    latencyMs: nonNegative,
    costUsd: nonNegative,
    inputTokens: nonNegative,
    outputTokens: nonNegative,
    toolCalls: nonNegative,
    toolErrors: nonNegative,
    userFeedback: z
      .number()
      .refine((v) => v === -1 || v === 0 || v === 1, 'must be -1, 0 or 1')
      .nullable(),
  })
  .refine((e) => e.completedAt.getTime() >= e.startedAt.getTime(), {
    path: ['completedAt'],
    message: 'must not be before startedAt',
  });

const runEvaluatedRules = z.object({
  eventId: id,
  runId: id,
  agentId: id,
  agentVersionId: id,
  evaluatorId: id,
  score: z.number().min(0, 'must be in [0, 1]').max(1, 'must be in [0, 1]'),
});

function at(value: unknown, path: readonly PropertyKey[]): unknown {
  let here = value;
  for (const key of path)
    here = here !== null && typeof here === 'object' ? (here as Record<PropertyKey, unknown>)[key] : undefined;
  return here;
}

function shown(value: unknown): string {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : value.toISOString();
  return JSON.stringify(value) ?? String(value);
}

function check<T extends TopicName>(topic: T, rules: z.ZodType, value: unknown): Validation<TopicValue[T]> {
  // Avro's shape first (types, enums, missing fields): the range checks assume it.
  const shape = avroProblems(avroType(topic), value);
  if (shape.length > 0) return { ok: false, error: shape.join('; ') };
  const parsed = rules.safeParse(value);
  if (parsed.success) return { ok: true, value: value as TopicValue[T] };
  const problems = parsed.error.issues.map((issue) => {
    const field = issue.path.map(String).join('.') || '(event)';
    const got = at(value, issue.path);
    return `${field}: ${issue.message}${got === undefined ? '' : ` (got ${shown(got)})`}`;
  });
  return { ok: false, error: problems.join('; ') };
}

export function validateRunCompleted(value: unknown): Validation<RunCompleted> {
  return check('agent.run.completed.v1', runCompletedRules, value);
}

export function validateRunEvaluated(value: unknown): Validation<RunEvaluated> {
  return check('agent.run.evaluated.v1', runEvaluatedRules, value);
}

/** The input-event checks for the two input topics; any other topic's value passes as it is. */
export function validateEvent<T extends TopicName>(topic: T, value: unknown): Validation<TopicValue[T]> {
  switch (topic) {
    case 'agent.run.completed.v1':
      return validateRunCompleted(value) as Validation<TopicValue[T]>;
    case 'agent.run.evaluated.v1':
      return validateRunEvaluated(value) as Validation<TopicValue[T]>;
    default:
      return { ok: true, value: value as TopicValue[T] };
  }
}
