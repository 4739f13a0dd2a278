import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestControlPlane, seedPendingApproval, type TestControlPlane } from '../../helpers/control-plane.ts';
import {
  abRuns,
  judgeSettled,
  hour,
  produceRuns,
  seedExperiment,
  testPolicy,
  type SeededExperiment,
} from '../../helpers/judge.ts';
import { startJudgeInProcess } from '../../helpers/judge-service.ts';
import { testClients } from '../../helpers/clients.ts';
import { isolated as isolatedStack } from '../../helpers/isolated.ts';
import { jsonb } from '../../../lib/db/json.ts';
import type { TokenRole } from '../../../lib/db/schema.ts';
import type { FreshDatabase } from '../../setup/database.ts';

/**
 * The learning page in Debian's chromium, against the control plane and the judge with real run events: a person signs
 * in, watches an experiment fill up and wait for approval without reloading, approves it from the page and sees the
 * promotion; the four-eyes refusal, a viewer's missing buttons and forged POSTs, and a refused policy edit.
 * Screenshots of the main pages go to docs/images/ (shown in the README).
 */

const executablePath = process.env.LEARNLOOP_CHROMIUM ?? '/usr/bin/chromium';
const { kafka, serde } = testClients('page');
// Torn down once, after every test: the tests follow one experiment from start to promotion.
const undo: (() => Promise<unknown>)[] = [];
const cleanup = (step: () => Promise<unknown>) => undo.push(step);
const shots = new URL('../../../docs/images/', import.meta.url).pathname;
const winner = { baseline: { scoreMean: 0.6, failureRate: 0.02 }, candidate: { scoreMean: 0.75, failureRate: 0.02 } };

let browser: Browser;
let cp: TestControlPlane;
let database: FreshDatabase;
let prefix: string;

beforeAll(async () => {
  if (!existsSync(executablePath)) throw new Error(`no chromium at ${executablePath}: apt-get install -y chromium`);
  const stack = await isolatedStack(kafka, 'page', cleanup);
  prefix = stack.prefix;
  database = stack.database;
  cp = await startTestControlPlane(database.db, database.url, prefix);
  cleanup(() => cp.stop());
  const judge = await startJudgeInProcess(stack.env);
  cleanup(() => judge.stop());
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  cleanup(() => browser.close());
}, 120_000);

afterAll(async () => {
  for (const step of undo.reverse()) await step();
}, 60_000);

async function signIn(role: TokenRole, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await page.goto(`${cp.url}/`);
  expect(new URL(page.url()).pathname).toBe('/sign-in');
  await page.getByLabel('Token').fill(cp.tokens[role]);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();
  return page;
}

/** The window as the aggregator announces it (learning.agent.window.v1), as the read model stores it. */
async function announceWindow(agentId: string): Promise<void> {
  const end = new Date();
  await database.db
    .insertInto('cp_agent_windows')
    .values({
      agent_id: agentId,
      agent_version_id: null,
      updated_at: end,
      window_summary: jsonb({
        windowStart: new Date(end.getTime() - hour).toISOString(),
        windowEnd: end.toISOString(),
        runCount: 480,
        evaluatedCount: 400,
        meanScore: 0.71,
        passRate: 0.8,
        failureRate: 0.12,
        guardrailHitRate: 0.01,
        meanCostUsd: 0.0042,
        p50LatencyMs: 800,
        p95LatencyMs: 2100,
        toolErrorRate: 0.02,
        negativeFeedbackRate: 0.03,
      }),
      top_failure_categories: jsonb([]),
    })
    .execute();
}

describe('the learning page', () => {
  let seeded: SeededExperiment;

  it('signs in, and an agent page follows its experiment to awaiting approval without a reload', async () => {
    const wrong = await browser.newPage();
    await wrong.goto(`${cp.url}/sign-in`);
    await wrong.getByLabel('Token').fill('llt_not-a-token');
    await wrong.getByRole('button', { name: 'Sign in' }).click();
    expect(await wrong.getByRole('alert').textContent()).toContain('unknown or revoked');
    await wrong.close();

    const policy = testPolicy({ autoPromote: false, forbidCostIncrease: false });
    seeded = await seedExperiment(database.db, {
      riskTier: 'high',
      policy,
      startedAt: new Date(Date.now() - 24 * hour),
    });
    await announceWindow(seeded.agentId);
    const page = await signIn('viewer');
    await page.getByRole('link', { name: seeded.agentId }).click();
    await page.getByRole('heading', { name: seeded.agentId, level: 1 }).waitFor();
    // The window's figures beside their thresholds (the default policy's), and how far each is from tripping.
    const failure = page.locator('tr[data-threshold="failureRateAbove"]');
    expect(await failure.locator('td').nth(2).textContent()).toBe('12.0%');
    expect(await failure.textContent()).toMatch(/clear [\d.]+ points from tripping/);
    expect(await page.locator('tr[data-threshold="minRuns"] td').nth(2).textContent()).toBe('480');
    const experimentRow = page.locator('#experiments-heading + div tbody tr').first();
    expect(await experimentRow.textContent()).toContain('running');
    const url = page.url();

    const runs = abRuns(seeded, 600, winner, { seed: 2, intervalMs: 20_000 });
    await produceRuns(kafka, serde, prefix, runs);
    expect(
      await judgeSettled(database.db, prefix, seeded.experimentId, ['awaiting_approval', 'failed', 'inconclusive']),
    ).toBe('awaiting_approval');
    // The same document (no navigation): the live part refreshed itself.
    await page.getByText('Waiting for a decision').waitFor({ timeout: 15_000 });
    expect(await experimentRow.textContent()).toContain('awaiting approval');
    expect(page.url()).toBe(url);
    await page.screenshot({ path: `${shots}agent.png`, fullPage: true });
    await page.goto(`${cp.url}/`);
    await page.screenshot({ path: `${shots}agents.png`, fullPage: true });
  }, 240_000);

  it("shows the experiment's confidence sequence as a chart with points", async () => {
    const page = await signIn('viewer');
    await page.goto(`${cp.url}/agents/${seeded.agentId}/experiments/${seeded.experimentId}`);
    const chart = page.locator('#cs-chart');
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThan(0);
    await chart.locator('canvas').waitFor();
    expect(await page.locator('dt:has-text("Chance to win") + dd').textContent()).toMatch(/^\d+\.\d%$/);
    // The proposal's risk with its reasons, and its change as a diff of the two versions' configurations.
    expect(await page.locator('#risk-reasons li').allTextContents()).toEqual(['the model changes (m1 -> m2)']);
    expect(await page.locator('#config-diff tbody tr').allTextContents()).toEqual([
      'instructionsbe helpfulbe helpful and cite sources',
    ]);
    await page.screenshot({ path: `${shots}experiment.png`, fullPage: true });
  }, 60_000);

  it('a viewer sees no approve button, and a forged POST with its token or cookie is refused with 403', async () => {
    const [pending] = (await cp.call('viewer', 'GET', '/api/approvals?status=pending')).body;
    const page = await signIn('viewer');
    await page.goto(`${cp.url}/approvals/${pending.id}`);
    await page.getByRole('heading', { name: 'Approval' }).waitFor();
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    const api = await cp.call('viewer', 'POST', `/api/approvals/${pending.id}/decision`, { decision: 'approved' });
    expect(api.status).toBe(403);
    // The page's own form route, with the viewer's cookie and a correct form token: still the API's 403.
    const csrf = await page.locator('input[name="csrf"]').first().inputValue();
    const forged = await page.request.post(`${cp.url}/approvals/${pending.id}/decision`, {
      form: { csrf, decision: 'approved' },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    const withoutToken = await page.request.post(`${cp.url}/approvals/${pending.id}/decision`, {
      form: { csrf: 'forged', decision: 'approved' },
      maxRedirects: 0,
    });
    expect(withoutToken.status()).toBe(403);
    expect((await cp.call('viewer', 'GET', '/api/approvals?status=pending')).body).toHaveLength(1);
    // Signing out forgets the token: the next page asks for it again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in$/);
    await page.goto(`${cp.url}/approvals`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect((await page.context().cookies()).filter((c) => c.name === 'learnloop_token')).toEqual([]);
  }, 60_000);

  it('explains the four-eyes refusal to the person who started the session', async () => {
    const own = await seedPendingApproval(database.db, { startedBy: 'approver-person' });
    const page = await signIn('approver');
    await page.goto(`${cp.url}/approvals/${own.approvalId}`);
    await page.getByRole('button', { name: 'Approve' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Four eyes');
    expect(await alert.textContent()).toContain('another approver must decide');
    await page.screenshot({ path: `${shots}four-eyes.png`, fullPage: true });
  }, 60_000);

  it('an approver approves from the page and the promotion appears', async () => {
    const [pending] = (await cp.call('viewer', 'GET', `/api/approvals?status=pending&agentId=${seeded.agentId}`)).body;
    const page = await signIn('approver');
    await page.getByRole('link', { name: 'Approvals' }).click();
    await page
      .locator(`a[href="/approvals/${encodeURIComponent(pending.id)}"]`)
      .first()
      .click();
    // The approver sees the change itself and why it is risky, not only its summary.
    expect(await page.locator('#risk-reasons li').allTextContents()).toEqual(['the model changes (m1 -> m2)']);
    expect(await page.locator('#config-diff tbody tr td code').allTextContents()).toEqual(['instructions']);
    await page.screenshot({ path: `${shots}approval.png`, fullPage: true });
    await page.getByLabel('Reason').fill('the numbers are convincing');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('decided').first().waitFor();
    expect(
      await judgeSettled(database.db, prefix, seeded.experimentId, ['promoted', 'failed', 'running', 'closed']),
    ).toBe('promoted');
    await page.goto(`${cp.url}/agents/${seeded.agentId}`);
    const promotions = page.locator('.promotions li');
    await promotions.first().waitFor();
    expect(await promotions.first().textContent()).toContain('approved by approver-person');
    expect(await promotions.first().textContent()).toContain('human');
  }, 240_000);

  it('a policy edit with an out-of-range threshold shows the error beside its field and creates no version', async () => {
    const before = (await cp.call('viewer', 'GET', `/api/agents/${seeded.agentId}/learning/policy`)).body.version;
    const page = await signIn('operator', { width: 390, height: 844 });
    await page.goto(`${cp.url}/agents/${seeded.agentId}`);
    await page.getByLabel('Failure rate above').fill('5');
    await page.getByRole('button', { name: 'Save policy' }).click();
    const error = page.locator('#policy-trigger-failureRateAbove-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/1/);
    expect(await page.getByLabel('Failure rate above').getAttribute('aria-invalid')).toBe('true');
    expect((await cp.call('viewer', 'GET', `/api/agents/${seeded.agentId}/learning/policy`)).body.version).toBe(before);
    await error.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${shots}policy-error-phone.png` });
    await page.goto(`${cp.url}/audit?verify=1`);
    expect(await page.getByRole('status').filter({ hasText: 'Chain intact' }).count()).toBe(1);
    await page.screenshot({ path: `${shots}audit-phone.png`, fullPage: true });
  }, 60_000);
});
