import { z } from 'zod';
import { configChangeSchema } from '../agents/config.ts';
import { metricSymbols } from '../contracts/types.generated.ts';
import { BUCKETS, MAX_ARM_BASIS_POINTS } from '../experiments/buckets.pure.ts';
import { scheduleProblem } from './schedule.ts';

const hour = 3_600_000;
const minute = 60_000;
const basisPoints = z.number().int().min(0).max(BUCKETS);
const rate = z.number().min(0).max(1);

/**
 * The learning policy: every number the loop decides by, one place, with the reason for each default. An agent's
 * policy in Postgres holds only what it overrides; `resolvePolicy` lays that over these defaults.
 */
export const learningPolicySchema = z.strictObject({
  /** A paused agent starts no session, and its running experiment sends all traffic to the baseline. */
  paused: z.boolean().default(false),
  window: z
    .strictObject({
      // An hour of traffic is enough to see a regression at typical agent volumes and short enough to react the
      // same morning; 5-minute buckets slide it smoothly at 12 buckets per agent.
      lengthMs: z
        .number()
        .int()
        .positive()
        .default(60 * minute),
      bucketMs: z
        .number()
        .int()
        .positive()
        .default(5 * minute),
      // Evaluations typically land within a few minutes of the run; later ones are counted and dropped.
      graceMs: z
        .number()
        .int()
        .nonnegative()
        .default(5 * minute),
    })
    .prefault({})
    .refine((w) => w.lengthMs % w.bucketMs === 0, 'lengthMs must be a whole number of buckets')
    .refine((w) => w.graceMs < w.lengthMs, 'graceMs must be shorter than lengthMs'),
  trigger: z
    .strictObject({
      // Below 50 runs a rate moves by 2 points per run: too noisy to act on.
      minRuns: z.number().int().positive().default(50),
      // Each threshold is crossed when the window's figure is strictly beyond it.
      failureRateAbove: rate.default(0.2),
      meanScoreBelow: rate.default(0.6),
      guardrailHitRateAbove: rate.default(0.05),
      negativeFeedbackRateAbove: rate.default(0.15),
      // Cost per run above its trailing 24-hour level by this many percent.
      costIncreasePercentAbove: z.number().positive().default(25),
      // A session, a proposal and an experiment take hours; re-triggering sooner would pile sessions up.
      cooldownMs: z
        .number()
        .int()
        .nonnegative()
        .default(6 * hour),
    })
    .prefault({}),
  schedule: z
    .strictObject({
      enabled: z.boolean().default(true),
      // The backstop: once a day, at a quiet hour, for agents whose thresholds never fire.
      cron: z.string().min(1).default('0 3 * * *'),
      timezone: z.string().min(1).default('UTC'),
    })
    .prefault({})
    .check((ctx) => {
      const problem = scheduleProblem(ctx.value);
      if (problem)
        ctx.issues.push({
          code: 'custom',
          path: [problem.field],
          message: problem.message,
          input: ctx.value[problem.field],
        });
    }),
  promotion: z
    .strictObject({
      // The plan's rollout phase 1 keeps a human on every promotion; set true for phase 2 (auto for low risk).
      autoPromoteLowRisk: z.boolean().default(false),
      approvalExpiryMs: z
        .number()
        .int()
        .positive()
        .default(72 * hour),
    })
    .prefault({}),
  // Optional Slack notifications per agent, in the approval channel (docs/slack-bridge.md); approvals are always posted.
  notifications: z
    .strictObject({
      slack: z
        .strictObject({
          sessionOpened: z.boolean().default(false),
          experimentFailed: z.boolean().default(false),
          promoted: z.boolean().default(false),
        })
        .prefault({}),
    })
    .prefault({}),
  risk: z
    .strictObject({
      // An instructions edit that rewrites more than this share of the text is medium, not low.
      lowRiskMaxEditRatio: rate.default(0.3),
      // The lowest tier any proposal for this agent may get: a policy can only make tiers stricter.
      minimumTier: z.enum(['low', 'medium', 'high']).default('low'),
    })
    .prefault({}),
  generator: z
    .strictObject({
      kind: z.enum(['playbook', 'http', 'openai']).default('playbook'),
      /** The built-in generator's rules, as data: when a signal is present, propose this change. */
      playbook: z
        .array(
          z.strictObject({
            when: z
              .strictObject({ failureCategory: z.string().min(1).optional(), metric: z.enum(metricSymbols).optional() })
              .refine(
                (w) => w.failureCategory !== undefined || w.metric !== undefined,
                'a rule needs a failureCategory or a metric',
              ),
            summary: z.string().min(1),
            /** Text added to the end of the instructions: the common, low-risk fix. */
            appendInstructions: z.string().min(1).optional(),
            change: configChangeSchema.optional(),
          }),
        )
        .default([]),
      /** http: the endpoint; openai: the API's base URL (…/v1). */
      url: z.url().optional(),
      model: z.string().min(1).optional(),
      /** The environment variable holding the API key: a policy is data, not a place for secrets. */
      apiKeyEnv: z
        .string()
        .regex(/^[A-Z_][A-Z0-9_]*$/)
        .optional(),
      // Long enough for a language model to answer, short enough not to hold a partition for minutes.
      timeoutMs: z.number().int().positive().default(30_000),
      maxResponseBytes: z.number().int().positive().default(1_000_000),
      maxCandidates: z.number().int().positive().max(10).default(3),
    })
    .prefault({})
    .refine((g) => g.kind === 'playbook' || g.url !== undefined, 'the http and openai generators need a url')
    .refine((g) => g.kind !== 'openai' || g.model !== undefined, 'the openai generator needs a model'),
  experiment: z
    .strictObject({
      modeByTier: z
        .strictObject({
          low: z.enum(['ab', 'shadow']).default('ab'),
          medium: z.enum(['ab', 'shadow']).default('shadow'),
          high: z.enum(['ab', 'shadow']).default('shadow'),
        })
        .prefault({}),
      // A 5% start bounds the blast radius of a bad candidate; the ramp doubles it roughly each step.
      rampBasisPoints: z.array(basisPoints.positive()).min(1).default([500, 1000, 2500, 5000]),
      // The router measures each arm in its own half of the buckets, so that raising a share never moves a unit.
      maxCandidateBasisPoints: basisPoints.max(MAX_ARM_BASIS_POINTS).default(MAX_ARM_BASIS_POINTS),
      shadowSampleBasisPoints: basisPoints.default(1000),
      rampStepMinDurationMs: z.number().int().nonnegative().default(hour),
      rampStepMinRunsPerArm: z.number().int().positive().default(100),
      primaryMetric: z.enum(metricSymbols).default('score'),
      alpha: z.number().gt(0).lt(0.5).default(0.05),
      // GrowthBook's N*: the confidence sequence is tightest around this many samples.
      tuningSampleSize: z.number().int().positive().default(5000),
      minimumEffect: z.number().nonnegative().default(0),
      minRunsPerArm: z.number().int().positive().default(500),
      // A full day covers the daily traffic cycle; a week without a decision is inconclusive.
      minDurationMs: z
        .number()
        .int()
        .nonnegative()
        .default(24 * hour),
      maxDurationMs: z
        .number()
        .int()
        .positive()
        .default(7 * 24 * hour),
      // Better on every analysis for six hours, not at one lucky peek.
      sustainedMs: z
        .number()
        .int()
        .nonnegative()
        .default(6 * hour),
      srmPValue: z.number().gt(0).lt(1).default(0.001),
      guardrailMargins: z
        .strictObject({
          failure_rate: z.number().nonnegative().default(0.02),
          guardrail_hit_rate: z.number().nonnegative().default(0.01),
          cost_per_run: z.number().nonnegative().default(0.002),
          latency_p95_ms: z.number().nonnegative().default(500),
        })
        .prefault({}),
    })
    .prefault({})
    .refine(
      (e) => e.rampBasisPoints.every((bp, i, all) => i === 0 || bp > all[i - 1]!),
      'rampBasisPoints must increase',
    )
    .refine(
      (e) => e.rampBasisPoints.every((bp) => bp <= e.maxCandidateBasisPoints),
      'no ramp step may exceed maxCandidateBasisPoints',
    ),
});

export type LearningPolicy = z.infer<typeof learningPolicySchema>;

export const defaultPolicy: LearningPolicy = learningPolicySchema.parse({});
