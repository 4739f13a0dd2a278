// Local stack start-up: learnloop's `stack up` (Postgres and Kafka in parallel, the registry after Postgres) beside a
// baseline that starts the same three parts one after another, each on a fresh home with the jars already fetched;
// then `stack up` with everything running (through the CLI, as a user runs it) and Kafka's restart after kill -9.
// Targets (issue 2): cold start under 60 s, up-when-running under 2 s.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { packageRoot } from '../lib/package-root.ts';
import { parseStackSettings, type StackSettings } from '../lib/stack/settings.ts';
import { stackComponents, stackDown, stackUp } from '../lib/stack/stack.ts';
import { ensureDist } from '../lib/stack/dist.ts';

const quiet = () => {};
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function freshSettings(portBase: number): StackSettings {
  const home = mkdtempSync(join(tmpdir(), 'learnloop-bench-'));
  chmodSync(home, 0o755);
  const dist = join(packageRoot, '.learnloop', 'dist');
  mkdirSync(dist, { recursive: true });
  symlinkSync(dist, join(home, 'dist'));
  const parsed = parseStackSettings({
    LEARNLOOP_HOME: home,
    LEARNLOOP_KAFKA_PORT: String(portBase + 2),
    LEARNLOOP_KAFKA_CONTROLLER_PORT: String(portBase + 3),
    LEARNLOOP_REGISTRY_PORT: String(portBase + 1),
    LEARNLOOP_POSTGRES_PORT: String(portBase + 4),
  });
  if (!parsed.ok) throw parsed.error;
  return parsed.value;
}

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await sleep(100);
}

/** The baseline: one part at a time, each waited for before the next starts. */
async function sequentialStart(settings: StackSettings): Promise<number> {
  mkdirSync(join(settings.LEARNLOOP_HOME, 'run'), { recursive: true });
  mkdirSync(join(settings.LEARNLOOP_HOME, 'logs'), { recursive: true });
  const t0 = performance.now();
  for (const component of stackComponents(settings)) {
    await component.start();
    await until(() => component.healthy());
    await component.afterHealthy?.();
  }
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const base = parseStackSettings({});
  if (!base.ok) throw base.error;
  ensureDist(join(packageRoot, '.learnloop'), (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(
    `stack start-up on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'}), jars cached\n`,
  );

  const baseline = freshSettings(41000);
  const sequentialMs = await sequentialStart(baseline);
  await stackDown(baseline, quiet);

  const settings = freshSettings(42000);
  const t0 = performance.now();
  await stackUp(settings, quiet);
  const coldMs = performance.now() - t0;

  const cli = join(packageRoot, 'bin', 'learnloop.js');
  const env = {
    ...process.env,
    LEARNLOOP_HOME: settings.LEARNLOOP_HOME,
    LEARNLOOP_KAFKA_PORT: String(settings.LEARNLOOP_KAFKA_PORT),
    LEARNLOOP_KAFKA_CONTROLLER_PORT: String(settings.LEARNLOOP_KAFKA_CONTROLLER_PORT),
    LEARNLOOP_REGISTRY_PORT: String(settings.LEARNLOOP_REGISTRY_PORT),
    LEARNLOOP_POSTGRES_PORT: String(settings.LEARNLOOP_POSTGRES_PORT),
  };
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const run = spawnSync(process.execPath, ['--disable-warning=TimeoutNegativeWarning', cli, 'stack', 'up'], { env });
    if (run.status !== 0) throw new Error(`stack up failed: ${run.stderr}`);
    warm.push(performance.now() - t);
  }
  const nodeFloor = (() => {
    const t = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    return performance.now() - t;
  })();

  const kafkaPid = Number(readFileSync(join(settings.LEARNLOOP_HOME, 'run', 'kafka.pid'), 'utf8'));
  process.kill(kafkaPid, 'SIGKILL');
  await sleep(300);
  const t1 = performance.now();
  await stackUp(settings, quiet);
  const restartMs = performance.now() - t1;
  await stackDown(settings, quiet);

  warm.sort((a, b) => a - b);
  const rows: Array<[string, string, string]> = [
    [
      'cold start, all three parts',
      `learnloop stack up (parallel): ${seconds(coldMs)}`,
      `baseline, one after another: ${seconds(sequentialMs)} (ratio ${(coldMs / sequentialMs).toFixed(2)}; target < 60 s)`,
    ],
    [
      'up with everything running (CLI, median of 5)',
      seconds(warm[2]!),
      `node -e 0: ${seconds(nodeFloor)} (target < 2 s)`,
    ],
    ['Kafka restarted after kill -9', seconds(restartMs), ''],
  ];
  for (const [what, figure, against] of rows)
    process.stdout.write(`${what.padEnd(48)} ${figure.padEnd(40)} ${against}\n`);
}

await main();
