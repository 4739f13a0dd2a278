import { randomUUID } from 'node:crypto';
import type { Updateable } from 'kysely';
import { activeStatuses, isTerminal } from '../../experiments/status.pure.ts';
import { jsonb } from '../json.ts';
import {
  type Db,
  type Experiment,
  type ExperimentMode,
  type ExperimentStatus,
  type ExperimentsTable,
  type JsonInput,
} from '../schema.ts';

export interface NewExperimentInput {
  id?: string;
  agent_id: string;
  proposal_id: string;
  mode: ExperimentMode;
  status?: Extract<ExperimentStatus, 'running' | 'paused'>;
  traffic_split: JsonInput;
  salt: string;
  candidate_share: number;
  started_at?: Date;
  /** The ExperimentPolicy it is judged by (experimentPolicy() of lib/policy/experiment.ts). */
  policy?: JsonInput | null;
  /** Its RampStep[] (rampSchedule() of lib/policy/experiment.ts), and the step in force (default 0). */
  ramp_schedule?: JsonInput;
  ramp_step_index?: number;
}

export type InsertExperimentResult =
  | { ok: true; experiment: Experiment }
  /** The agent already has a running, paused or awaiting-approval experiment (single flight). */
  | { ok: false; reason: 'experiment_active'; activeExperimentId: string | undefined };

/** Starts an experiment at version 1, unless the agent has an active one (the partial unique index decides). */
export async function insertExperiment(db: Db, input: NewExperimentInput): Promise<InsertExperimentResult> {
  const experiment = await db
    .insertInto('experiments')
    .values({
      ...input,
      id: input.id ?? randomUUID(),
      traffic_split: jsonb(input.traffic_split),
      policy: input.policy === undefined || input.policy === null ? null : jsonb(input.policy),
      ramp_schedule: jsonb(input.ramp_schedule ?? []),
      version: 1,
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  if (experiment) return { ok: true, experiment };
  const active = await getActiveExperiment(db, input.agent_id);
  return { ok: false, reason: 'experiment_active', activeExperimentId: active?.id };
}

export async function getExperiment(db: Db, id: string): Promise<Experiment | undefined> {
  return db.selectFrom('experiments').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The agent's running, paused or awaiting-approval experiment, if any (there is at most one). */
export async function getActiveExperiment(db: Db, agentId: string): Promise<Experiment | undefined> {
  return db
    .selectFrom('experiments')
    .selectAll()
    .where('agent_id', '=', agentId)
    .where('status', 'in', activeStatuses)
    .executeTakeFirst();
}

/** What a change may set. Identity, mode and start are fixed at insert; the version is the repository's to bump. */
export interface ExperimentPatch {
  status?: ExperimentStatus;
  traffic_split?: JsonInput;
  salt?: string;
  candidate_share?: number;
  shadow_run_count?: number;
  baseline_run_count?: number;
  candidate_run_count?: number;
  ramp_step_index?: number;
  /** Set to now() when the patch moves the experiment to a terminal status and gives none. */
  ended_at?: Date | null;
  decision?: JsonInput | null;
}

export type UpdateExperimentResult =
  | { ok: true; experiment: Experiment }
  | { ok: false; reason: 'version_conflict'; currentVersion: number }
  | { ok: false; reason: 'not_found' };

/**
 * Applies `patch` only if the experiment is still at `expectedVersion`, and bumps its version by one (docs/data-model.md): of two
 * writers that read the same version, exactly one wins; the other gets `version_conflict` with the version to re-read.
 * Emit the returned row's state (with its version) in the same transaction.
 *
 * Moving an experiment back to an active status while the agent has another active one violates the single-flight
 * index and throws: that is a bug in the caller, not a race to report.
 */
export async function updateExperiment(
  db: Db,
  id: string,
  expectedVersion: number,
  patch: ExperimentPatch,
): Promise<UpdateExperimentResult> {
  const set: Updateable<ExperimentsTable> = {};
  if (patch.status !== undefined) set.status = patch.status;
  if (patch.traffic_split !== undefined) set.traffic_split = jsonb(patch.traffic_split);
  if (patch.salt !== undefined) set.salt = patch.salt;
  if (patch.candidate_share !== undefined) set.candidate_share = patch.candidate_share;
  if (patch.shadow_run_count !== undefined) set.shadow_run_count = patch.shadow_run_count;
  if (patch.baseline_run_count !== undefined) set.baseline_run_count = patch.baseline_run_count;
  if (patch.candidate_run_count !== undefined) set.candidate_run_count = patch.candidate_run_count;
  if (patch.ramp_step_index !== undefined) set.ramp_step_index = patch.ramp_step_index;
  if (patch.decision !== undefined) set.decision = patch.decision === null ? null : jsonb(patch.decision);
  if (patch.ended_at !== undefined) set.ended_at = patch.ended_at;
  else if (patch.status !== undefined && isTerminal(patch.status)) set.ended_at = new Date();
  const experiment = await db
    .updateTable('experiments')
    .set((eb) => ({ ...set, version: eb('version', '+', 1), updated_at: eb.fn<Date>('now', []) }))
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .returningAll()
    .executeTakeFirst();
  if (experiment) return { ok: true, experiment };
  const current = await db.selectFrom('experiments').select('version').where('id', '=', id).executeTakeFirst();
  return current
    ? { ok: false, reason: 'version_conflict', currentVersion: current.version }
    : { ok: false, reason: 'not_found' };
}
