import { experimentModeSymbols, type ExperimentMode } from '../../lib/contracts/types.generated.ts';
import { isAssigning } from '../../lib/experiments/status.pure.ts';
import { BUCKETS, MAX_ARM_BASIS_POINTS } from '../../lib/experiments/buckets.pure.ts';
import { bucketer } from './hash.pure.ts';
import type { ExperimentStateRecord } from './records.pure.ts';

/**
 * An experiment state as the router uses it: the arms' versions picked out, the split checked, the salt's hash prefix
 * prepared. Built once per applied state, read on every request.
 */

const isMode = (mode: string): mode is ExperimentMode => (experimentModeSymbols as readonly string[]).includes(mode);

export interface RouterExperiment {
  experimentId: string;
  agentId: string;
  version: number;
  startedAtMs: number;
  changedAtMs: number;
  /** As published; a status this router does not know assigns nothing. */
  status: string;
  /** An unknown mode is read as ab, with `problem` set, so that it assigns nothing. */
  mode: ExperimentMode;
  /** null when the state names no baseline arm (then `problem` says so). */
  baselineVersionId: string | null;
  /** The candidate arm's version; in shadow mode the shadow arm's (or, failing that, the candidate arm's). */
  candidateVersionId: string | null;
  salt: string;
  candidateBasisPoints: number;
  baselineBasisPoints: number;
  shadowSampleBasisPoints: number;
  /** running or awaiting_approval. */
  assigning: boolean;
  /** Why this state cannot assign traffic (it is then served as the live version, untagged); null when it can. */
  problem: string | null;
  bucketOf: (unit: string) => number;
}

function basisPointsProblem(name: string, value: number, max: number): string | null {
  return Number.isInteger(value) && value >= 0 && value <= max
    ? null
    : `trafficSplit.${name} ${value} is outside [0, ${max}]`;
}

/** What in a state stops the router from assigning by it, or null. Avro has checked the types; this checks the sense. */
export function experimentProblem(state: ExperimentStateRecord): string | null {
  if (!isMode(state.mode)) return `unknown mode ${JSON.stringify(state.mode)}`;
  const count = (arm: string) => state.arms.filter((a) => a.arm === arm).length;
  if (count('baseline') !== 1) return `arms must name exactly one baseline (found ${count('baseline')})`;
  const treatment = state.mode === 'ab' ? ['candidate'] : ['shadow', 'candidate'];
  const found = treatment.map(count);
  if (found.some((n) => n > 1) || found.every((n) => n === 0))
    return `arms must name exactly one ${treatment.join(' or ')} arm in ${state.mode} mode`;
  if (state.arms.some((a) => a.versionId === '')) return 'an arm has an empty versionId';
  if (state.salt === '') return 'salt is empty';
  const split = state.trafficSplit;
  return (
    basisPointsProblem('candidateBasisPoints', split.candidateBasisPoints, MAX_ARM_BASIS_POINTS) ??
    basisPointsProblem('baselineBasisPoints', split.baselineBasisPoints, MAX_ARM_BASIS_POINTS) ??
    basisPointsProblem('shadowSampleBasisPoints', split.shadowSampleBasisPoints, BUCKETS)
  );
}

export function toRouterExperiment(state: ExperimentStateRecord): RouterExperiment {
  const versionOf = (arm: string) => state.arms.find((a) => a.arm === arm)?.versionId ?? null;
  const treatment = state.mode === 'shadow' ? (versionOf('shadow') ?? versionOf('candidate')) : versionOf('candidate');
  return {
    experimentId: state.experimentId,
    agentId: state.agentId,
    version: state.version,
    startedAtMs: state.startedAt.getTime(),
    changedAtMs: state.changedAt.getTime(),
    status: state.status,
    mode: isMode(state.mode) ? state.mode : 'ab',
    baselineVersionId: versionOf('baseline'),
    candidateVersionId: treatment,
    salt: state.salt,
    candidateBasisPoints: state.trafficSplit.candidateBasisPoints,
    baselineBasisPoints: state.trafficSplit.baselineBasisPoints,
    shadowSampleBasisPoints: state.trafficSplit.shadowSampleBasisPoints,
    assigning: isAssigning(state.status),
    problem: experimentProblem(state),
    bucketOf: bucketer(state.salt),
  };
}

/**
 * Whether `incoming` supersedes `held` (docs/router.md). Within one experiment its version decides. The version restarts
 * at 1 for each experiment of an agent, so across experiments the later start wins (single flight: an agent's next
 * experiment starts after its previous one ended), and the experiment id breaks a tie, so that every replica settles
 * on the same state whatever order the records arrive in.
 */
export function supersedes(
  incoming: Pick<RouterExperiment, 'experimentId' | 'version' | 'startedAtMs'>,
  held: Pick<RouterExperiment, 'experimentId' | 'version' | 'startedAtMs'> | null,
): boolean {
  if (held === null) return true;
  if (incoming.experimentId === held.experimentId) return incoming.version > held.version;
  if (incoming.startedAtMs !== held.startedAtMs) return incoming.startedAtMs > held.startedAtMs;
  return incoming.experimentId > held.experimentId;
}
