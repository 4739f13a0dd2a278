import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  agentVersionId,
  getAgent,
  registerAgent,
  registerAgentVersion,
  setLiveVersion,
} from '../../../lib/db/repositories/agents.ts';
import {
  getCurrentPolicy,
  getPolicyVersion,
  listPolicyVersions,
  putPolicy,
} from '../../../lib/db/repositories/policies.ts';
import { listRollups, upsertRollups } from '../../../lib/db/repositories/rollups.ts';
import { getRun, listExperimentRuns, upsertRun, upsertRuns, type RunInput } from '../../../lib/db/repositories/runs.ts';
import type { Db } from '../../../lib/db/schema.ts';
import { freshDatabase, type FreshDatabase } from '../../setup/database.ts';

let fresh: FreshDatabase;
let db: Db;
beforeAll(async () => {
  fresh = await freshDatabase();
  db = fresh.db;
});
afterAll(() => fresh.drop());

describe('agents and versions', () => {
  it('registering is idempotent; a version id is the content hash of its config, whatever the key order', async () => {
    const agent = await registerAgent(db, { id: 'a1', name: 'first name' });
    expect(await registerAgent(db, { id: 'a1', name: 'second name' })).toEqual(agent);
    const config = { model: 'gpt', tools: ['search'], params: { temperature: 0.2, top_p: 1 } };
    const first = await registerAgentVersion(db, { agent_id: 'a1', config });
    expect(first).toMatchObject({
      created: true,
      version: { id: agentVersionId('a1', config), agent_id: 'a1', config },
    });
    const reordered = { params: { top_p: 1, temperature: 0.2 }, tools: ['search'], model: 'gpt' };
    expect(await registerAgentVersion(db, { agent_id: 'a1', config: reordered })).toEqual({
      created: false,
      version: first.version,
    });
    // The id recomputes from the stored row.
    expect(agentVersionId('a1', first.version.config)).toBe(first.version.id);

    await registerAgent(db, { id: 'a2', name: 'twin' });
    const twin = await registerAgentVersion(db, { agent_id: 'a2', config });
    expect(twin.created).toBe(true);
    expect(twin.version.id).not.toBe(first.version.id);
  });

  it('the live version must be one of the agent’s own, and versions cannot be edited', async () => {
    const own = await registerAgentVersion(db, { agent_id: 'a1', config: { v: 'live' } });
    expect(await setLiveVersion(db, 'a1', own.version.id)).toMatchObject({ id: 'a1', live_version_id: own.version.id });
    expect((await getAgent(db, 'a1'))?.live_version_id).toBe(own.version.id);
    const foreign = await registerAgentVersion(db, { agent_id: 'a2', config: { v: 'other' } });
    await expect(setLiveVersion(db, 'a1', foreign.version.id)).rejects.toThrow(/foreign key/);
    expect(await setLiveVersion(db, 'nobody', own.version.id)).toBeUndefined();
    await expect(
      db.updateTable('agent_versions').set({ config: '{}' }).where('id', '=', own.version.id).execute(),
    ).rejects.toThrow(/append-only/);
  });
});

describe('policies', () => {
  it('keep every version: each put adds the next, the current is the newest', async () => {
    await registerAgent(db, { id: 'p1', name: 'policy agent' });
    expect(await getCurrentPolicy(db, 'p1')).toBeUndefined();
    for (let i = 1; i <= 3; i++) {
      expect(
        await putPolicy(db, {
          agent_id: 'p1',
          policy: { autoPromote: i % 2 === 1, maxCostIncrease: i },
          created_by: `user-${i}`,
        }),
      ).toMatchObject({
        ok: true,
        policy: { version: i },
      });
    }
    expect(
      (await listPolicyVersions(db, 'p1')).map((p) => [p.version, p.policy['maxCostIncrease'], p.created_by]),
    ).toEqual([
      [1, 1, 'user-1'],
      [2, 2, 'user-2'],
      [3, 3, 'user-3'],
    ]);
    expect(await getCurrentPolicy(db, 'p1')).toMatchObject({
      version: 3,
      policy: { autoPromote: true, maxCostIncrease: 3 },
    });
    expect(await getPolicyVersion(db, 'p1', 2)).toMatchObject({ policy: { autoPromote: false } });
    await expect(
      db.updateTable('policies').set({ policy: '{}' }).where('agent_id', '=', 'p1').execute(),
    ).rejects.toThrow(/policies is append-only/);
    await expect(db.deleteFrom('policies').where('agent_id', '=', 'p1').execute()).rejects.toThrow(
      /policies is append-only/,
    );
  });

  it('a put against a stale expected version is refused; concurrent puts each land as their own version', async () => {
    await registerAgent(db, { id: 'p2', name: 'contended' });
    expect(await putPolicy(db, { agent_id: 'p2', policy: {}, created_by: 'x', expected_version: 0 })).toMatchObject({
      ok: true,
      policy: { version: 1 },
    });
    expect(await putPolicy(db, { agent_id: 'p2', policy: {}, created_by: 'x', expected_version: 0 })).toEqual({
      ok: false,
      reason: 'version_conflict',
      currentVersion: 1,
    });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => putPolicy(db, { agent_id: 'p2', policy: { i }, created_by: 'x' })),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect((await listPolicyVersions(db, 'p2')).map((p) => p.version)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('runs', () => {
  const run = (runId: string, arm: RunInput['arm'], extra: Partial<RunInput> = {}): RunInput => ({
    run_id: runId,
    arm,
    agent_id: 'a1',
    agent_version_id: 'v1',
    experiment_id: arm === null ? null : 'exp-1',
    status: 'succeeded',
    latency_ms: 1200,
    cost_usd: 0.0031,
    completed_at: new Date('2026-01-05T10:00:00.000Z'),
    ...extra,
  });

  it('are identified by (run_id, arm): a redelivery updates its row and is not new; the shadow of a run is its own row', async () => {
    expect(await upsertRun(db, run('r1', 'baseline'))).toEqual({ inserted: true });
    expect(await upsertRun(db, run('r1', 'shadow'))).toEqual({ inserted: true });
    expect(await upsertRun(db, run('r1', null))).toEqual({ inserted: true });
    expect(await upsertRun(db, run('r1', 'baseline', { latency_ms: 900 }))).toEqual({ inserted: false });
    expect(await upsertRun(db, run('r1', null))).toEqual({ inserted: false });
    expect(await getRun(db, 'r1', 'baseline')).toMatchObject({
      arm_key: 'baseline',
      latency_ms: 900,
      cost_usd: 0.0031,
    });
    expect(await getRun(db, 'r1', null)).toMatchObject({ arm: null, arm_key: 'none', experiment_id: null });
    expect((await listExperimentRuns(db, 'exp-1')).map((r) => r.arm)).toEqual(['baseline', 'shadow']);
    expect((await listExperimentRuns(db, 'exp-1', 'shadow')).map((r) => r.run_id)).toEqual(['r1']);
  });

  it('a batch counts each pair once, even repeated within the batch', async () => {
    const flags = await upsertRuns(db, [
      run('r2', 'candidate'),
      run('r1', 'baseline'),
      run('r2', 'candidate', { status: 'failed' }),
      run('r3', 'candidate'),
    ]);
    expect(flags).toEqual([true, false, false, true]);
    expect(await getRun(db, 'r2', 'candidate')).toMatchObject({ status: 'failed' });
    expect(await upsertRuns(db, [])).toEqual([]);
  });

  it('the experiment index serves experiment lookups', async () => {
    // A few rows make a sequential scan cheapest; forbid it (in this transaction's connection only) to see the index.
    const plan = await db.transaction().execute(async (trx) => {
      await sql`SET LOCAL enable_seqscan = off`.execute(trx);
      const { rows } = await sql<{
        'QUERY PLAN': string;
      }>`EXPLAIN SELECT * FROM runs WHERE experiment_id = 'exp-1'`.execute(trx);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toMatch(/runs_experiment/);
  });
});

describe('daily rollups', () => {
  it('upsert by (day, agent, metric), days read back as YYYY-MM-DD', async () => {
    await upsertRollups(db, [
      { day: '2026-01-01', agent_id: 'a1', metric: 'auto_promotions', value: 1 },
      { day: '2026-01-01', agent_id: 'a1', metric: 'manual_promotions', value: 2 },
      { day: '2026-01-02', agent_id: 'a1', metric: 'auto_promotions', value: 3 },
    ]);
    await upsertRollups(db, [{ day: '2026-01-01', agent_id: 'a1', metric: 'auto_promotions', value: 5 }]);
    const rows = await listRollups(db, { agent_id: 'a1', from: '2026-01-01', to: '2026-01-01' });
    expect(rows.map((r) => [r.day, r.metric, r.value])).toEqual([
      ['2026-01-01', 'auto_promotions', 5],
      ['2026-01-01', 'manual_promotions', 2],
    ]);
    expect(
      await listRollups(db, { agent_id: 'a1', from: '2026-01-01', to: '2026-01-31', metric: 'auto_promotions' }),
    ).toHaveLength(2);
  });
});

describe('the Kafka tables', () => {
  it('hold offsets, outbox records with bytes and headers, dedupe keys and relay positions; bigints read as numbers', async () => {
    await db
      .insertInto('consumer_offsets')
      .values({ group_id: 'g', topic: 't', partition: 3, next_offset: 2 ** 40 })
      .execute();
    expect(await db.selectFrom('consumer_offsets').select('next_offset').executeTakeFirst()).toEqual({
      next_offset: 2 ** 40,
    });
    const row = await db
      .insertInto('outbox')
      .values({
        producer: 'proposer',
        topic: 'learning.proposal.created.v1',
        key: Buffer.from('a1'),
        value: Buffer.from([0, 0, 0, 0, 1, 2]),
        event_id: 'e1',
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      id: expect.any(Number),
      headers: {},
      key: Buffer.from('a1'),
      value: Buffer.from([0, 0, 0, 0, 1, 2]),
    });
    await db.insertInto('outbox_positions').values({ producer: 'proposer', published_upto: row.id }).execute();
    await db.insertInto('processed_events').values({ group_id: 'g', event_id: 'e1' }).execute();
    const again = await db
      .insertInto('processed_events')
      .values({ group_id: 'g', event_id: 'e1' })
      .onConflict((oc) => oc.doNothing())
      .returningAll()
      .execute();
    expect(again).toEqual([]);
  });
});
