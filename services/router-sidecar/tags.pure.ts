import { createHash } from 'node:crypto';
import type { Arm, RunAssigned } from '../../lib/contracts/types.generated.ts';
import type { TagDraft } from './decide.pure.ts';

/** The namespace of RunAssigned event ids (a fixed random UUID: it only has to differ from other producers'). */
export const RUN_ASSIGNED_NAMESPACE = '4818c7c7-c4f2-4d54-9903-1f9c1e4cdcc9';

const namespaceBytes = Buffer.from(RUN_ASSIGNED_NAMESPACE.replaceAll('-', ''), 'hex');

/**
 * A RunAssigned's eventId: the name-based UUID (version 5, RFC 9562: SHA-1 of the namespace's 16 bytes then the name)
 * of the name `runId + U+0000 + arm` in UTF-8. The same run asked about twice (a retried request) gives the same id,
 * so consumers that dedupe on eventId count its tag once; the arm is last and has no NUL, so names never collide.
 */
export function runAssignedEventId(runId: string, arm: Arm): string {
  const digest = createHash('sha1').update(namespaceBytes).update(`${runId}\u0000${arm}`, 'utf8').digest();
  digest[6] = (digest[6]! & 0x0f) | 0x50;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  const hex = digest.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function toRunAssigned(draft: TagDraft): RunAssigned {
  return {
    eventId: runAssignedEventId(draft.runId, draft.arm),
    runId: draft.runId,
    agentId: draft.agentId,
    unitId: draft.unitId,
    bucket: draft.bucket,
    experimentId: draft.experimentId,
    experimentVersion: draft.experimentVersion,
    mode: draft.mode,
    arm: draft.arm,
    versionId: draft.versionId,
    assignedAt: new Date(draft.assignedAtMs),
  };
}
