import type { Db, DailyRollup } from '../schema.ts';

export interface RollupInput {
  /** 'YYYY-MM-DD', the UTC day. */
  day: string;
  agent_id: string;
  metric: string;
  value: number;
}

/** Sets each (day, agent, metric) to its value: recomputing a day's rollup replaces it. */
export async function upsertRollups(db: Db, rollups: readonly RollupInput[]): Promise<void> {
  if (rollups.length === 0) return;
  const unique = new Map(rollups.map((r) => [`${r.day}\u0000${r.agent_id}\u0000${r.metric}`, r]));
  await db
    .insertInto('daily_rollups')
    .values([...unique.values()])
    .onConflict((oc) =>
      oc
        .columns(['day', 'agent_id', 'metric'])
        .doUpdateSet((eb) => ({ value: eb.ref('excluded.value'), updated_at: eb.fn<Date>('now', []) })),
    )
    .execute();
}

/** An agent's rollups for days in [from, to] (inclusive, 'YYYY-MM-DD'), by day then metric. */
export async function listRollups(
  db: Db,
  query: { agent_id: string; from: string; to: string; metric?: string },
): Promise<DailyRollup[]> {
  let select = db
    .selectFrom('daily_rollups')
    .selectAll()
    .where('agent_id', '=', query.agent_id)
    .where('day', '>=', query.from)
    .where('day', '<=', query.to);
  if (query.metric !== undefined) select = select.where('metric', '=', query.metric);
  return select.orderBy('day').orderBy('metric').execute();
}
