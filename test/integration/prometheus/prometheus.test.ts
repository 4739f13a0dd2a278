import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../../lib/package-root.ts';
import { startCli } from '../../helpers/cli.ts';
import { testClients } from '../../helpers/clients.ts';
import { useCleanups } from '../../helpers/cleanups.ts';
import { isolated } from '../../helpers/isolated.ts';
import { produceRuns, runCompleted } from '../../helpers/kafka-topics.ts';
import { promtool, startPrometheus } from '../../helpers/prometheus.ts';

const { kafka, serde } = testClients('prometheus-test');
const cleanup = useCleanups();

interface Dashboard {
  panels: Array<{ title: string; targets?: Array<{ expr?: string }> }>;
}
const dashboard = (name: string) =>
  JSON.parse(readFileSync(join(packageRoot, 'infra', 'grafana', 'dashboards', name), 'utf8')) as Dashboard;
const alertRules = (
  parse(readFileSync(join(packageRoot, 'infra', 'prometheus', 'alerts.yml'), 'utf8')) as {
    groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
  }
).groups.flatMap((g) => g.rules);

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("the project's Prometheus configuration and rules", () => {
  it('pass promtool check config, check rules, and the rules unit tests', () => {
    for (const args of [
      ['check', 'config', 'prometheus.yml'],
      ['check', 'rules', 'alerts.yml'],
      ['test', 'rules', 'alerts.test.yml'],
    ]) {
      const run = promtool(args);
      expect(run.output, args.join(' ')).toMatch(/SUCCESS/);
      expect(run.status, `${args.join(' ')}\n${run.output}`).toBe(0);
    }
  });

  it('scrape a running learnloop once, and every loop-dashboard panel and every alert rule evaluates in a real Prometheus', async () => {
    const { prefix, env } = await isolated(kafka, 'prometheus', cleanup);
    const metricsPort = 21464 + Math.floor(Math.random() * 500);
    const child = startCli(['start'], {
      ...process.env,
      ...env,
      LEARNLOOP_METRICS_PORT: String(metricsPort),
      LEARNLOOP_ROUTER_HTTP_PORT: '0',
      LEARNLOOP_ROUTER_GRPC_PORT: '0',
      LEARNLOOP_CONTROL_PLANE_PORT: '0',
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    cleanup(async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    });
    await until(
      async () => ((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status === 200 ? true : undefined),
      90_000,
      `learnloop start to be ready (${stderr})`,
    );
    const prometheus = await startPrometheus(metricsPort);
    cleanup(() => prometheus.stop());

    // Runs flow in: the aggregator processes them.
    await produceRuns(
      kafka,
      serde,
      prefix,
      Array.from({ length: 200 }, (_, i) => runCompleted(`agent-${i % 4}`, i)),
    );

    const valueOf = async (expr: string) => {
      const answer = await prometheus.query(expr);
      return answer.status === 'success' && answer.data && answer.data.result.length > 0
        ? answer.data.result.reduce((sum, r) => sum + Number(r.value[1]), 0)
        : undefined;
    };
    // One target, scraped once: `run all` serves every service's metrics on the one port.
    expect(await until(() => valueOf('sum(up{job="learnloop"})'), 30_000, 'a scrape')).toBe(1);
    expect(await until(() => valueOf('count(up)'), 5_000, 'targets')).toBe(1);
    await until(
      async () => ((await valueOf('sum(learnloop_consumer_records_processed_total)')) ?? 0) >= 200 || undefined,
      60_000,
      'the 200 runs to be counted as processed',
    );
    expect(await valueOf('min(learnloop_readiness_check)')).toBe(1);
    // Every series appears once: no second target serves the same registry.
    expect(await valueOf('max(count by (__name__) (process_start_time_seconds))')).toBe(1);

    const loop = dashboard('learnloop-loop.json');
    const expressions = [
      ...loop.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr! }))),
      ...alertRules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
    ];
    expect(expressions.length).toBeGreaterThan(20);
    for (const { where, expr } of expressions) {
      const answer = await prometheus.query(expr);
      expect({ where, status: answer.status, error: answer.error }).toEqual({
        where,
        status: 'success',
        error: undefined,
      });
    }
    // A rate needs the counter to move between scrapes: a second wave of runs, after the first was scraped.
    await produceRuns(
      kafka,
      serde,
      prefix,
      Array.from({ length: 200 }, (_, i) => runCompleted(`agent-${i % 4}`, 1000 + i)),
    );
    const eventsIn = loop.panels.find((p) => p.title.startsWith('Events in'))!.targets![0]!.expr!;
    await until(
      async () => ((await valueOf(eventsIn)) ?? 0) > 0 || undefined,
      60_000,
      'the events panel to have values',
    );
  }, 180_000);
});
