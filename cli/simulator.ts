import { performance } from 'node:perf_hooks';
import { type ClientAssignment, createLearnloopClient, type LearnloopClientOptions } from '../lib/client/index.ts';
import {
  type Drift,
  healthyQuality,
  proposedQuality,
  qualityAt,
  type Random,
  seededRandom,
  simulateRun,
  type VersionChange,
  type VersionQuality,
} from '../lib/demo/models.pure.ts';

/** One synthetic agent: its live version's model, and what a proposed version of it changes. */
export interface SimulatedAgent {
  agentId: string;
  /** What the agent serves when the router cannot say; the version the drift applies to. */
  liveVersionId: string;
  drift: Drift | null;
  /** A version the router names that is not `liveVersionId` is the proposal: its quality follows from this. */
  change: VersionChange;
}

export interface SimulationSettings {
  agents: readonly SimulatedAgent[];
  /** Runs per second, over all agents. */
  rate: number;
  durationMs: number;
  seed: number;
  client: LearnloopClientOptions;
  /** Progress lines, every `progressMs`. */
  progress?: (line: string) => void;
  progressMs?: number;
  /** Ends the simulation early (the demo stops it once the loop has done what it waits for). */
  signal?: AbortSignal;
}

export interface SimulationFigures {
  runs: number;
  shadowRuns: number;
  seconds: number;
  perSecond: number;
  assignP50Ms: number;
  assignP99Ms: number;
  fallbacks: number;
  /** Runs published per experiment and arm (shadow included): what the judge should count. */
  arms: Record<string, { baseline: number; candidate: number; shadow: number }>;
}

/** Bounds the latency samples kept whatever the duration: a uniform reservoir. */
const reservoirSize = 100_000;
/** Runs in flight at once: enough to keep the rate on a slow machine, bounded so that a stall does not pile up. */
const maxInFlight = 256;

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * The traffic simulator (docs/demo.md): each run asks the router which version to serve, "runs" that version's model,
 * reports the run and its evaluation through learnloop/client, and runs the shadow candidate when told to.
 */
export async function simulate(settings: SimulationSettings): Promise<SimulationFigures> {
  const { agents, rate, durationMs, seed } = settings;
  const client = createLearnloopClient(settings.client);
  const random = seededRandom(seed);
  const latencies: number[] = [];
  let seen = 0;
  let runs = 0;
  let shadowRuns = 0;
  let started = 0;
  let inFlight = 0;
  let failure: unknown = null;
  const arms: SimulationFigures['arms'] = {};
  const count = (experimentId: string | null, arm: 'baseline' | 'candidate' | 'shadow' | null) => {
    if (experimentId === null || arm === null) return;
    arms[experimentId] ??= { baseline: 0, candidate: 0, shadow: 0 };
    arms[experimentId][arm] += 1;
  };
  const t0 = performance.now();
  const elapsed = () => performance.now() - t0;

  const qualityOf = (agent: SimulatedAgent, versionId: string): VersionQuality =>
    versionId === agent.liveVersionId
      ? qualityAt(healthyQuality, agent.drift, elapsed())
      : proposedQuality(healthyQuality, agent.change);

  const execute = (agent: SimulatedAgent, versionId: string, rng: Random) => {
    const run = simulateRun(rng, qualityOf(agent, versionId));
    const completedAt = new Date();
    return { run, report: { ...run, startedAt: new Date(completedAt.getTime() - run.latencyMs), completedAt } };
  };

  const one = async (n: number) => {
    const agent = agents[Math.floor(random.uniform() * agents.length)]!;
    // Each run draws from its own generator, seeded from the shared one: concurrency does not reorder the draws.
    const rng = seededRandom(Math.floor(random.uniform() * 2 ** 32));
    const unitId = `user-${Math.floor(random.uniform() * 5000)}`;
    const before = performance.now();
    const assignment: ClientAssignment = await client.assign({
      agentId: agent.agentId,
      runId: `sim-${seed}-${n}`,
      unitId,
      liveVersionId: agent.liveVersionId,
    });
    const ms = performance.now() - before;
    seen += 1;
    if (latencies.length < reservoirSize) latencies.push(ms);
    else {
      const slot = Math.floor(rng.uniform() * seen);
      if (slot < reservoirSize) latencies[slot] = ms;
    }
    const { run, report } = execute(agent, assignment.versionId, rng);
    await client.reportRun(assignment, report);
    await client.reportEvaluation(assignment, { evaluatorId: 'demo-evaluator', ...run.evaluation });
    runs += 1;
    count(assignment.experimentId, assignment.arm);
    if (assignment.shadow !== null) {
      const shadow = await client.runShadow(
        assignment,
        async (versionId) => {
          const { run: shadowRun } = execute(agent, versionId, rng);
          const { evaluation: _, latencyMs: __, ...measures } = shadowRun;
          return { output: shadowRun, ...measures };
        },
        async (output) => ({ evaluatorId: 'demo-evaluator', ...output.evaluation }),
      );
      if (shadow !== null) {
        shadowRuns += 1;
        count(shadow.completed.experimentId, shadow.completed.arm);
      }
    }
  };

  let lastProgress = 0;
  const progressMs = settings.progressMs ?? 5000;
  try {
    while (elapsed() < durationMs && !settings.signal?.aborted && failure === null) {
      const due = Math.floor((elapsed() / 1000) * rate);
      while (started < due && inFlight < maxInFlight) {
        started += 1;
        inFlight += 1;
        one(started)
          .catch((err: unknown) => {
            failure ??= err;
          })
          .finally(() => {
            inFlight -= 1;
          });
      }
      if (settings.progress && elapsed() - lastProgress >= progressMs) {
        lastProgress = elapsed();
        settings.progress(
          `${(elapsed() / 1000).toFixed(0)}s: ${runs} runs published (${(runs / (elapsed() / 1000)).toFixed(0)}/s), ${shadowRuns} shadow, ${inFlight} in flight`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    while (inFlight > 0) await new Promise((r) => setTimeout(r, 20));
  } finally {
    await client.close();
  }
  if (failure !== null) throw failure;
  const sorted = [...latencies].sort((a, b) => a - b);
  const seconds = elapsed() / 1000;
  const fallbacks = Object.values(client.fallbacks()).reduce((s, n) => s + n, 0);
  return {
    runs,
    shadowRuns,
    seconds,
    perSecond: runs / seconds,
    assignP50Ms: quantile(sorted, 0.5),
    assignP99Ms: quantile(sorted, 0.99),
    fallbacks,
    arms,
  };
}
