import { degradedQuality, type Drift, type VersionChange } from '../lib/demo/models.pure.ts';

/** One agent the demo registers: its configuration, its demo policy, and how the simulator models it. */
export interface DemoAgent {
  agentId: string;
  name: string;
  config: { instructions: string; model: string };
  /** The policy overrides: the demo's short windows and holds, on top of the fix in its playbook. */
  policy: Record<string, unknown>;
  drift: Drift;
  change: VersionChange;
  /** What the demo waits for of this agent. */
  expect: 'auto' | 'approval';
}

const second = 1000;

/**
 * Demo settings, never the defaults: a one-minute window in 5-second buckets, ramp holds of 10 seconds and 30 runs per
 * arm, a decision after 100 runs per arm and 30 seconds, sustained for 10 (docs/demo.md says what the defaults are).
 */
export const demoPolicy = {
  window: { lengthMs: 60 * second, bucketMs: 5 * second, graceMs: 4 * second },
  // Longer than the demo: the window still holds the old version's runs just after a promotion.
  trigger: { minRuns: 100, cooldownMs: 3 * 60 * second },
  schedule: { enabled: false },
  experiment: {
    rampBasisPoints: [2500, 5000],
    rampStepMinDurationMs: 10 * second,
    rampStepMinRunsPerArm: 30,
    minRunsPerArm: 100,
    minDurationMs: 30 * second,
    maxDurationMs: 10 * 60 * second,
    sustainedMs: 10 * second,
    tuningSampleSize: 500,
    shadowSampleBasisPoints: 5000,
  },
};

export const demoSettingsLines = [
  'demo settings (never the defaults): window 60 s in 5 s buckets, trigger after 100 runs, 3 min cooldown',
  '  ramp 25% -> 50%, each step held 10 s and 30 runs per arm; decision after 100 runs per arm and 30 s, sustained 10 s',
  '  defaults: window 1 h, ramp 5/10/25/50% held 1 h each, decision after 500 runs per arm and 24 h, sustained 6 h',
];

const supportInstructions = [
  'You are the support agent of a parcel delivery company. Answer customers about their orders politely and briefly.',
  'Use the tools to find the order and its shipment; never invent a tracking number, a date or a refund amount.',
  'If the customer is upset, acknowledge it first. If you cannot help, say so and offer a human agent.',
  'Answer in the language the customer wrote in.',
].join(' ');

const billingInstructions = [
  'You are the billing agent. Explain invoices, payments and refunds to business customers.',
  'Quote amounts exactly as the billing tool returns them, with their currency, and never promise a refund yourself.',
  'Escalate disputes above 500 EUR to a human. Keep answers short and precise.',
].join(' ');

/** The demo's agents under a run's suffix, so that a second demo on the same stack starts afresh. */
export function demoAgents(suffix: string): DemoAgent[] {
  return [
    {
      agentId: `demo-support-${suffix}`,
      name: 'Demo support agent',
      config: { instructions: supportInstructions, model: 'small-model' },
      policy: {
        ...demoPolicy,
        promotion: { autoPromoteLowRisk: true },
        generator: {
          kind: 'playbook',
          playbook: [
            {
              when: { failureCategory: 'stale_order_status' },
              summary: "Look up the order's current status before answering",
              appendInstructions: "Always fetch the order's current status with the orders tool before you answer.",
            },
          ],
        },
      },
      drift: { startMs: 10 * second, rampMs: 15 * second, category: 'stale_order_status', degraded: degradedQuality },
      change: { fixesCategory: 'stale_order_status' },
      expect: 'auto',
    },
    {
      agentId: `demo-billing-${suffix}`,
      name: 'Demo billing agent',
      config: { instructions: billingInstructions, model: 'small-model' },
      policy: {
        ...demoPolicy,
        generator: {
          kind: 'playbook',
          playbook: [
            {
              when: { failureCategory: 'wrong_invoice_total' },
              summary: 'Move to the larger model, which reads invoices correctly',
              change: { model: 'large-model' },
            },
          ],
        },
      },
      drift: { startMs: 15 * second, rampMs: 15 * second, category: 'wrong_invoice_total', degraded: degradedQuality },
      change: { fixesCategory: 'wrong_invoice_total', modelChange: true },
      expect: 'approval',
    },
  ];
}
