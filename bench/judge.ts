// The experiment judge: (1) its statistical report: false promotions under continuous peeking over A/A experiments,
// beside a naive z-test peeking at the same moments; samples to decision at a given effect, beside a fixed-horizon test
// at 80% power; (2) events per second through decode, update and analysis in process, beside decode alone.
// Targets (issue 7): false promotions at most α; median samples to decision at most 1.2× the fixed-horizon size.
// Usage: node bench/judge.ts [A/A experiments = 2000] [runs per A/A experiment = 5000] [runs for throughput = 100000]
import { randomUUID } from 'node:crypto';
import type { RunAssigned, RunCompleted, RunEvaluated, TopicName } from '../lib/contracts/types.generated.ts';
import { validateEvent } from '../lib/contracts/validation.ts';
import type { ConsumedEvent } from '../lib/kafka/batch.ts';
import { createSerde } from '../lib/kafka/serde.ts';
import { applyEvent, newFold, type World } from '../services/experiment-judge/fold.pure.ts';
import { newJudgeState, type ExperimentRecord } from '../services/experiment-judge/model.pure.ts';
import { experimentRecord, seededRandom, simulationPolicy } from '../test/helpers/judge-simulation.ts';
import { falsePromotions, samplesToDecision } from './judge-statistics.ts';
import { benchConnection, machine } from './support.ts';

const aaExperiments = Number(process.argv[2] ?? 2000);
const aaRuns = Number(process.argv[3] ?? 5000);
const throughputRuns = Number(process.argv[4] ?? 100_000);
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

process.stdout.write(`experiment-judge benchmark on ${machine()}\n\n`);

// 1a. False promotions under continuous peeking (0 experiments: skip the statistical report).
if (aaExperiments > 0) {
  process.stderr.write(`simulating ${aaExperiments} A/A experiments of ${aaRuns} runs (${2 * aaRuns} events) each\n`);
  const aa = falsePromotions(aaExperiments, aaRuns, (done) => process.stderr.write(`  ${done} done\n`));
  process.stdout.write(`A/A, ${aa.experiments} experiments x ${aa.eventsPerExperiment} events (${aa.runsPerExperiment} runs), analysed after every event, alpha ${aa.alpha}
  policy: promotion possible from 100 runs per arm, no minimum duration, no sustained period (the most peeking the judge allows)
  judge false promotions (promote or request approval): ${pct(aa.judgePromoted)}   target <= ${pct(aa.alpha)}   Monte Carlo s.e. at alpha: ${pct(aa.monteCarloErrorAtAlpha)}
  primary confidence sequence ever excluded 0:           ${pct(aa.sequenceExcludedZero)}   (ever above 0: ${pct(aa.sequenceAboveZero)})
  naive z-test at alpha, same moments, ever significant:  ${pct(aa.naiveSignificant)}   (ever "candidate better": ${pct(aa.naiveBetter)})
  judge false failures: ${pct(aa.judgeFailed)}, false SRM pauses: ${pct(aa.judgePaused)}   (${aa.seconds.toFixed(1)} s)\n\n`);

  // 1b. Samples to decision at a given effect.
  const effect = samplesToDecision(1000, 0.02, 0.25, 0.05, 5000);
  process.stdout.write(`Samples to decision, effect ${effect.effect} on a score of sd ${effect.sd}, alpha ${effect.alpha}, N* ${effect.tuningSampleSize}, ${effect.experiments} experiments
  fixed-horizon z-test at 80% power: ${effect.fixedHorizonTotal} runs (both arms); its power measured on the same runs: ${pct(effect.fixedHorizonPower)}
  confidence sequence, checked after every run: median ${effect.medianToDecision} runs (quartiles ${effect.quartiles[0]}-${effect.quartiles[1]}), decided within 4x: ${pct(effect.decidedWithinCap)}
  median / fixed horizon: ${effect.ratio.toFixed(2)}   target <= 1.20   (${effect.seconds.toFixed(1)} s)\n\n`);
}

// 2. Events per second through decode, update and analysis.
const connection = await benchConnection();
const serde = createSerde({ registryUrl: connection.SCHEMA_REGISTRY_URL });
const experiments = 20;
const start = Date.UTC(2026, 2, 1);
const policy = simulationPolicy({ minRunsPerArm: 1_000_000 });
const records: ExperimentRecord[] = Array.from({ length: experiments }, (_, i) =>
  experimentRecord({
    id: `bench-exp-${i}`,
    agentId: `bench-agent-${i}`,
    proposalId: `p-${i}`,
    salt: 's',
    policy,
    startedAt: start,
  }),
);
const rng = seededRandom(9);
const raw: Array<{ topic: TopicName; value: RunAssigned | RunCompleted | RunEvaluated }> = [];
for (let i = 0; i < throughputRuns; i++) {
  const e = records[i % experiments]!;
  const arm = rng.uniform() < 0.5 ? ('baseline' as const) : ('candidate' as const);
  const versionId = arm === 'baseline' ? 'vb' : 'vc';
  const runId = `run-${i}`;
  const at = new Date(start + i * 1000);
  raw.push({
    topic: 'agent.run.assigned.v1',
    value: {
      eventId: randomUUID(),
      runId,
      agentId: e.agentId,
      unitId: `u-${i}`,
      bucket: 1,
      experimentId: e.id,
      experimentVersion: 1,
      mode: 'ab',
      arm,
      versionId,
      assignedAt: at,
    },
  });
  raw.push({
    topic: 'agent.run.completed.v1',
    value: {
      eventId: randomUUID(),
      runId,
      agentId: e.agentId,
      agentVersionId: versionId,
      experimentId: e.id,
      arm,
      status: 'succeeded',
      startedAt: at,
      completedAt: at,
      latencyMs: 900,
      costUsd: 0.004,
      inputTokens: 100,
      outputTokens: 50,
      toolCalls: 1,
      toolErrors: 0,
      guardrailHits: [],
      userFeedback: null,
      unitId: `u-${i}`,
    },
  });
  raw.push({
    topic: 'agent.run.evaluated.v1',
    value: {
      eventId: randomUUID(),
      runId,
      agentId: e.agentId,
      agentVersionId: versionId,
      experimentId: e.id,
      arm,
      evaluatorId: 'j',
      score: rng.uniform(),
      passed: true,
      failureCategories: [],
      evaluatedAt: at,
    },
  });
}
process.stderr.write(`encoding ${raw.length} events\n`);
// One at a time: all at once would ask the registry for the schema once per event before its cache fills.
const encoded: Array<{ topic: TopicName; bytes: Buffer }> = [];
for (const r of raw) encoded.push({ topic: r.topic, bytes: await serde.encode(r.topic, r.value as never) });

async function decodeAll(onEvent: (event: ConsumedEvent) => void): Promise<number> {
  const started = performance.now();
  let offset = 0;
  for (const { topic, bytes } of encoded) {
    const { value } = await serde.decode(bytes);
    const valid = validateEvent(topic, value);
    if (!valid.ok) throw new Error(valid.error);
    onEvent({
      topic,
      partition: 0,
      offset: offset++,
      key: null,
      eventId: (value as { eventId: string }).eventId,
      value,
    });
  }
  return (performance.now() - started) / 1000;
}

const baselineSeconds = await decodeAll(() => {});
const world: World = {
  experiments: new Map(records.map((r) => [r.id, structuredClone(r)])),
  judges: new Map(records.map((r) => [r.id, newJudgeState(start)])),
  runs: new Map(),
  units: new Map(),
  approvals: new Map(),
};
const fold = newFold(world);
const judgeSeconds = await decodeAll((event) => applyEvent(fold, event));
const analyses = raw.length;
const eps = (s: number) => Math.round(raw.length / s).toLocaleString('en-US');
process.stdout.write(`Throughput in process, ${raw.length} events (${throughputRuns} runs over ${experiments} experiments), one thread
  decode + validate (the floor: what the consumer runtime does before any handler): ${eps(baselineSeconds)} events/s
  decode + validate + update + analysis and decision after every event:            ${eps(judgeSeconds)} events/s (${((judgeSeconds / baselineSeconds) * 100).toFixed(0)}% of the floor's time)
  the judge's share: ${(((judgeSeconds - baselineSeconds) / analyses) * 1e6).toFixed(2)} us per event (join, update, statistics, decision); verdicts published: ${fold.outcomes.length}\n`);
