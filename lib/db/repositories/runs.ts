import { sql } from 'kysely';
import type { Arm, Db, Run, RunStatus } from '../schema.ts';

export interface RunInput {
  run_id: string;
  arm: Arm | null;
  agent_id: string;
  agent_version_id: string;
  experiment_id: string | null;
  status: RunStatus;
  latency_ms: number;
  cost_usd: number;
  completed_at: Date;
}

/**
 * Records runs by (run_id, arm), the pair that is counted once (docs/data-model.md): a redelivered run overwrites its row with
 * the same data. Returns, per input, whether its row is new, which is what a counter of runs should count. Within one
 * call a repeated (run_id, arm) is stored once (the last wins) and only its first occurrence can be new.
 */
export async function upsertRuns(db: Db, runs: readonly RunInput[]): Promise<boolean[]> {
  if (runs.length === 0) return [];
  const keyOf = (run: RunInput) => `${run.arm ?? 'none'}\u0000${run.run_id}`;
  const latest = new Map<string, RunInput>();
  for (const run of runs) latest.set(keyOf(run), run);
  const rows = await db
    .insertInto('runs')
    .values([...latest.values()])
    .onConflict((oc) =>
      oc.columns(['run_id', 'arm_key']).doUpdateSet((eb) => ({
        agent_id: eb.ref('excluded.agent_id'),
        agent_version_id: eb.ref('excluded.agent_version_id'),
        experiment_id: eb.ref('excluded.experiment_id'),
        status: eb.ref('excluded.status'),
        latency_ms: eb.ref('excluded.latency_ms'),
        cost_usd: eb.ref('excluded.cost_usd'),
        completed_at: eb.ref('excluded.completed_at'),
      })),
    )
    // xmax is 0 on a freshly inserted row version and set on one that ON CONFLICT updated.
    .returning(['run_id', 'arm_key', sql<boolean>`xmax = 0`.as('inserted')])
    .execute();
  const inserted = new Map(rows.map((row) => [`${row.arm_key}\u0000${row.run_id}`, row.inserted]));
  const seen = new Set<string>();
  return runs.map((run) => {
    const key = keyOf(run);
    const first = !seen.has(key);
    seen.add(key);
    return first && inserted.get(key) === true;
  });
}

/** One run; `inserted: false` when (run_id, arm) was already recorded. */
export async function upsertRun(db: Db, run: RunInput): Promise<{ inserted: boolean }> {
  const [inserted] = await upsertRuns(db, [run]);
  return { inserted: inserted === true };
}

export async function getRun(db: Db, runId: string, arm: Arm | null): Promise<Run | undefined> {
  return db
    .selectFrom('runs')
    .selectAll()
    .where('run_id', '=', runId)
    .where('arm_key', '=', arm ?? 'none')
    .executeTakeFirst();
}

export async function listExperimentRuns(db: Db, experimentId: string, arm?: Arm): Promise<Run[]> {
  let query = db.selectFrom('runs').selectAll().where('experiment_id', '=', experimentId);
  if (arm !== undefined) query = query.where('arm', '=', arm);
  return query.orderBy('completed_at').orderBy('run_id').execute();
}
