import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { requestApproval } from '../../../lib/db/repositories/approvals.ts';
import { updateExperiment } from '../../../lib/db/repositories/experiments.ts';
import { runCli } from '../../helpers/cli.ts';
import { startTestControlPlane, type TestControlPlane } from '../../helpers/control-plane.ts';
import { createCatalogTopics, topicPrefix } from '../../helpers/kafka-topics.ts';
import { seedExperiment, testPolicy } from '../../helpers/judge.ts';
import { testClients } from '../../helpers/clients.ts';
import { useCleanups } from '../../helpers/cleanups.ts';
import { useFreshDatabase } from '../../setup/database.ts';

const database = useFreshDatabase();
const cleanup = useCleanups();
const { kafka } = testClients('cp-cli');

/** The CLI as an operator runs it: a token from `learnloop tokens create`, the API's URL. */
async function cli(args: readonly string[], token: string | undefined, url: string) {
  return runCli(args, {
    ...process.env,
    DATABASE_URL: database().url,
    LEARNLOOP_API_URL: url,
    ...(token ? { LEARNLOOP_API_TOKEN: token } : { LEARNLOOP_API_TOKEN: '' }),
  });
}

describe('learnloop CLI verbs against the control plane', () => {
  let cp: TestControlPlane;
  const prefix = topicPrefix('cp-cli');
  beforeAll(() => createCatalogTopics(kafka, prefix), 60_000);

  it('tokens create prints a working token once; list shows no secret; revoke stops it', async () => {
    cp = await startTestControlPlane(database().db, database().url, prefix);
    cleanup(() => cp.stop());
    const created = await cli(['tokens', 'create', '--role', 'operator', '--name', 'olga'], undefined, cp.url);
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^llt_/);
    expect(created.stderr).toMatch(/olga \(operator\)/);

    expect((await cli(['pause', 'ghost', '--reason', 'x'], token, cp.url)).stderr).toMatch(
      /404: agentId: no agent "ghost"/,
    );

    const listed = await cli(['tokens', 'list'], undefined, cp.url);
    expect(listed.stdout).toMatch(/operator\s+olga/);
    expect(listed.stdout).not.toContain(token);
    const id = /^(\S+)\s+operator\s+olga/m.exec(listed.stdout)![1]!;
    expect((await cli(['tokens', 'revoke', id], undefined, cp.url)).code).toBe(0);
    const refused = await cli(['status', 'ghost'], token, cp.url);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/401: authorization: unknown or revoked token/);

    const usage = await cli(['tokens', 'create', '--role', 'root', '--name', 'x'], undefined, cp.url);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--role must be one of viewer, operator, approver, admin/);
  }, 60_000);

  it('policy, pause, resume, status, experiments, approvals and approve work from a terminal', async () => {
    cp = await startTestControlPlane(database().db, database().url, prefix);
    cleanup(() => cp.stop());
    const seeded = await seedExperiment(database().db, {
      riskTier: 'high',
      policy: testPolicy({ autoPromote: false }),
      startedAt: new Date(),
    });
    const { agentId } = seeded;

    const file = join(tmpdir(), `policy-${randomUUID()}.json`);
    writeFileSync(file, JSON.stringify({ trigger: { minRuns: 120 } }));
    const set = await cli(['policy', 'set', agentId, file, '--reason', 'quieter triggers'], cp.tokens.operator, cp.url);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/policy v1 by operator-person/);
    const got = await cli(['policy', 'get', agentId, '--json'], cp.tokens.viewer, cp.url);
    expect(JSON.parse(got.stdout)).toMatchObject({
      version: 1,
      policy: { trigger: { minRuns: 120 } },
      overrides: { trigger: { minRuns: 120 } },
    });

    writeFileSync(file, JSON.stringify({ trigger: { minRuns: 0 } }));
    const bad = await cli(['policy', 'set', agentId, file], cp.tokens.operator, cp.url);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/400: policy\.trigger\.minRuns/);

    expect((await cli(['pause', agentId], cp.tokens.operator, cp.url)).code).toBe(2);
    const paused = await cli(['pause', agentId, '--reason', 'incident 7'], cp.tokens.operator, cp.url);
    expect(paused.stdout).toMatch(
      new RegExp(`${agentId}: paused \\(policy v2\\); experiment ${seeded.experimentId} is paused`),
    );
    const status = await cli(['status', agentId], cp.tokens.viewer, cp.url);
    expect(status.stdout).toMatch(/continuous mode paused \(by operator-person .*: incident 7\)/);
    expect(status.stdout).toMatch(/next scheduled run: none/);
    const resumed = await cli(['resume', agentId], cp.tokens.operator, cp.url);
    expect(resumed.stdout).toMatch(/resumed \(policy v3\); experiment .* is running/);

    const experiments = await cli(['experiments', agentId, '--active'], cp.tokens.viewer, cp.url);
    expect(experiments.stdout).toMatch(new RegExp(`${seeded.experimentId}  running  ab  high risk`));

    const experiment = await database()
      .db.selectFrom('experiments')
      .select('version')
      .where('id', '=', seeded.experimentId)
      .executeTakeFirstOrThrow();
    await updateExperiment(database().db, seeded.experimentId, experiment.version, { status: 'awaiting_approval' });
    const { approval } = await requestApproval(database().db, {
      experiment_id: seeded.experimentId,
      proposal_id: seeded.proposalId,
      expires_at: new Date(Date.now() + 3_600_000),
    });
    const pending = await cli(['approvals', 'list'], cp.tokens.viewer, cp.url);
    expect(pending.stdout).toContain(`${approval.id}  ${agentId}  high risk  pending until`);

    expect((await cli(['approve', approval.id], cp.tokens.operator, cp.url)).stderr).toMatch(
      /403: role operator may not POST/,
    );
    const approved = await cli(['approve', approval.id, '--reason', 'looks right'], cp.tokens.approver, cp.url);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(/approved by approver-person: looks right/);
    const again = await cli(['reject', approval.id], cp.tokens.admin, cp.url);
    expect(again.stdout).toMatch(/already decided before; the first decision stands:\n.*approved by approver-person/);
    const row = await database()
      .db.selectFrom('approvals')
      .selectAll()
      .where('id', '=', approval.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ decision: 'approved', approver: 'approver-person', reason: 'looks right' });
    const audit = await database()
      .db.selectFrom('audit_log')
      .select(['actor', 'payload'])
      .where('action', '=', 'approval.decided')
      .executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor: 'approver-person', payload: { by: { source: 'cli' } } });
  }, 60_000);

  it('says what is missing: no token, an unreachable API', async () => {
    const noToken = await cli(['status', 'a'], undefined, 'http://127.0.0.1:7080');
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/LEARNLOOP_API_TOKEN is not set/);
    const unreachable = await cli(['status', 'a'], 'llt_x', 'http://127.0.0.1:9');
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(
      /cannot reach the control plane at http:\/\/127\.0\.0\.1:9 \(LEARNLOOP_API_URL\)/,
    );
  });
});
