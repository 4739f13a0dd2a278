import type { Kysely } from 'kysely';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Database } from '../../lib/db/schema.ts';

export interface JudgeMetrics {
  events: Counter<'kind' | 'outcome'>;
  decisions: Counter<'decision'>;
  promotions: Counter<'mode'>;
  approvals: Counter<'outcome'>;
  guardrailRegressions: Counter<'metric'>;
  srmAlerts: Counter;
  invalidExperiments: Counter;
  analysis: Histogram;
}

/**
 * The judge's metrics. Labels are bounded: decision kinds, metric names, event kinds and outcomes come from fixed
 * lists; experiment and agent ids are never labels (the audit log and the verdict topic have them).
 */
export function judgeMetrics(registry: Registry): JudgeMetrics {
  const registers = [registry];
  return {
    events: new Counter({
      name: 'learnloop_judge_events_total',
      help: 'Events by kind (assignment, completion, evaluation, approval) and outcome: recorded, counted, parked (waiting for the router record), matched_late, duplicate, untagged, unknown_experiment, experiment_ended, version_mismatch, arm_mismatch, other_evaluator, stale.',
      labelNames: ['kind', 'outcome'],
      registers,
    }),
    decisions: new Counter({
      name: 'learnloop_judge_decisions_total',
      help: 'Decisions that changed an experiment or its published verdict, by kind (continue, ramp, promote, request_approval, fail, pause, reject).',
      labelNames: ['decision'],
      registers,
    }),
    promotions: new Counter({
      name: 'learnloop_judge_promotions_total',
      help: 'Versions promoted, by mode (auto, manual).',
      labelNames: ['mode'],
      registers,
    }),
    approvals: new Counter({
      name: 'learnloop_judge_approvals_total',
      help: 'Approval requests by outcome: requested, approved, rejected, expired, withdrawn.',
      labelNames: ['outcome'],
      registers,
    }),
    guardrailRegressions: new Counter({
      name: 'learnloop_judge_guardrail_regressions_total',
      help: 'Experiments failed for a guardrail significantly worse than its margin, by metric.',
      labelNames: ['metric'],
      registers,
    }),
    srmAlerts: new Counter({
      name: 'learnloop_judge_srm_alerts_total',
      help: 'Experiments paused for a sample-ratio mismatch.',
      registers,
    }),
    invalidExperiments: new Counter({
      name: 'learnloop_judge_invalid_experiments_total',
      help: 'Batches that named an experiment whose stored policy or ramp schedule is not valid (not judged; logged).',
      registers,
    }),
    analysis: new Histogram({
      name: 'learnloop_judge_analysis_duration_seconds',
      help: 'Time to fold one batch into the experiments it names, analysing and deciding after every event (no I/O).',
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5],
      registers,
    }),
  };
}

/** Experiments by status, read from Postgres at scrape time: true whichever replica made the change. */
export function experimentsGauge(registry: Registry, db: Kysely<Database>): Gauge<'status'> {
  return new Gauge({
    name: 'learnloop_judge_experiments',
    help: 'Experiments by status (running, paused, awaiting_approval, promoted, failed, closed, inconclusive).',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const rows = await db
        .selectFrom('experiments')
        .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
        .groupBy('status')
        .execute()
        .catch(() => []);
      this.reset();
      for (const row of rows) this.set({ status: row.status }, Number(row.n));
    },
  });
}
