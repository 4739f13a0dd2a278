import type { Arm, RunAssigned } from '../../lib/contracts/types.generated.ts';
import { abArm, inShadowSample } from '../../lib/experiments/buckets.pure.ts';
import type { AssignRequest, Assignment } from '../../lib/router/schemas.ts';
import type { AgentView } from './table.pure.ts';

export type { AssignRequest, Assignment } from '../../lib/router/schemas.ts';

/**
 * A RunAssigned to publish, minus its eventId (made when it is published, off the request path), its time kept as a
 * number so that a request allocates no Date.
 */
export type TagDraft = Omit<RunAssigned, 'eventId' | 'assignedAt'> & { assignedAtMs: number };

export const failSafeReasons = [
  'no_state',
  'stale_state',
  'invalid_state',
  'tag_buffer_full',
  'tagging_unavailable',
  'internal_error',
] as const;
export type FailSafeReason = (typeof failSafeReasons)[number];

export const outcomes = ['candidate', 'baseline', 'shadow', 'not_enrolled', 'fail_safe'] as const;
/** candidate/baseline: enrolled in an ab arm; shadow: baseline served and the candidate shadowed; not_enrolled: the live version, no experiment takes the run. */
export type Outcome = (typeof outcomes)[number];

export interface Decision {
  assignment: Assignment;
  tags: TagDraft[];
  outcome: Outcome;
  /** Set when outcome is fail_safe. */
  reason: FailSafeReason | null;
}

/** What the decision depends on besides the agent: plain values, so that the rules are tested without Kafka or HTTP. */
export interface Conditions {
  nowMs: number;
  /** The state topics have been read to their end at least once. */
  ready: boolean;
  /** Time since the router last confirmed it had read every state published (Infinity before the first time). */
  stateAgeMs: number;
  maxStateAgeMs: number;
  /** The tag publisher is connected and its oldest unpublished tag is recent. */
  taggingAvailable: boolean;
  /** Free places in the tag buffer. */
  tagRoom: number;
}

const noTags: TagDraft[] = [];

function untagged(
  request: AssignRequest,
  view: AgentView | undefined,
  outcome: Outcome,
  reason: FailSafeReason | null,
): Decision {
  return {
    assignment: {
      agentId: request.agentId,
      runId: request.runId,
      versionId: view?.liveVersionId ?? null,
      experimentId: null,
      arm: null,
      shadow: null,
    },
    tags: noTags,
    outcome,
    reason,
  };
}

/** What the live version and no tag mean for an answer, with the reason counted. */
export function failSafe(request: AssignRequest, view: AgentView | undefined, reason: FailSafeReason): Decision {
  return untagged(request, view, 'fail_safe', reason);
}

/**
 * The router's whole decision for one run (docs/router.md). In order: any doubt about the state (none read yet,
 * too old, or unusable) serves the live version untagged; a run no experiment takes gets the live version; a run an
 * experiment takes is enrolled only if its tags can be reported, else it too gets the live version, untagged.
 */
export function decide(view: AgentView | undefined, request: AssignRequest, c: Conditions): Decision {
  if (!c.ready) return failSafe(request, view, 'no_state');
  if (!(c.stateAgeMs <= c.maxStateAgeMs)) return failSafe(request, view, 'stale_state');
  const experiment = view?.experiment ?? null;
  if (experiment === null || !experiment.assigning) return untagged(request, view, 'not_enrolled', null);
  if (experiment.problem !== null) return failSafe(request, view, 'invalid_state');

  const unit = request.unitId ?? request.runId;
  const bucket = experiment.bucketOf(unit);
  const baseline = experiment.baselineVersionId!;
  const candidate = experiment.candidateVersionId!;
  const tag = (arm: Arm, versionId: string): TagDraft => ({
    runId: request.runId,
    agentId: request.agentId,
    unitId: request.unitId,
    bucket,
    experimentId: experiment.experimentId,
    experimentVersion: experiment.version,
    mode: experiment.mode,
    arm,
    versionId,
    assignedAtMs: c.nowMs,
  });

  let arm: 'baseline' | 'candidate';
  let shadow: Assignment['shadow'] = null;
  let tags: TagDraft[];
  if (experiment.mode === 'shadow') {
    if (!inShadowSample(bucket, experiment.shadowSampleBasisPoints))
      return untagged(request, view, 'not_enrolled', null);
    arm = 'baseline';
    shadow = { versionId: candidate, experimentId: experiment.experimentId };
    // A shadowed run is two runs, (runId, baseline) and (runId, shadow): one tag each, as the judge pairs them.
    tags = [tag('baseline', baseline), tag('shadow', candidate)];
  } else {
    const measured = abArm(bucket, experiment.candidateBasisPoints, experiment.baselineBasisPoints);
    if (measured === null) return untagged(request, view, 'not_enrolled', null);
    arm = measured;
    tags = [tag(arm, arm === 'candidate' ? candidate : baseline)];
  }

  // Never hand out a tag that cannot be reported: such a run would be served a version no one measures.
  if (!c.taggingAvailable) return failSafe(request, view, 'tagging_unavailable');
  if (c.tagRoom < tags.length) return failSafe(request, view, 'tag_buffer_full');
  return {
    assignment: {
      agentId: request.agentId,
      runId: request.runId,
      versionId: tags[0]!.versionId,
      experimentId: experiment.experimentId,
      arm,
      shadow,
    },
    tags,
    outcome: shadow === null ? arm : 'shadow',
    reason: null,
  };
}
