import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import type { ReadinessCheck } from '../../lib/http.ts';
import { createShutdown } from '../../lib/lifecycle.ts';
import { createLogger } from '../../lib/logging.ts';
import { experimentJudge } from '../../services/experiment-judge/index.ts';
import { freePort } from './service-process.ts';

/** The judge started in this process, as `learnloop run` starts it; resolves once its partitions are assigned. */
export async function startJudgeInProcess(
  env: NodeJS.ProcessEnv,
): Promise<{ metrics: Registry; stop(): Promise<void> }> {
  const logger = createLogger({ level: 'warn', write: (line) => process.stderr.write(line) });
  const metrics = new Registry();
  const shutdown = createShutdown(logger, 20_000);
  const readiness: ReadinessCheck[] = [];
  await experimentJudge.start({ logger, metrics, shutdown, env, addReadiness: (check) => readiness.push(check) });
  const deadline = Date.now() + 60_000;
  while (!(await Promise.all(readiness.map((r) => r.check()))).every(Boolean)) {
    if (Date.now() > deadline) throw new Error('the judge did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { metrics, stop: async () => void (await shutdown.run('test over')) };
}

const fixture = fileURLToPath(new URL('../fixtures/judge-service.ts', import.meta.url));

export interface JudgeProcess {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  kill(): Promise<void>;
}

/** The judge as a process of its own (test/fixtures/judge-service.ts), returned once /readyz answers 200. */
export async function startJudgeProcess(env: NodeJS.ProcessEnv): Promise<JudgeProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', fixture], {
    env: { ...process.env, ...env, LEARNLOOP_METRICS_PORT: String(port), LEARNLOOP_LOG_LEVEL: 'warn' },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = once(child, 'exit');
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the judge exited with ${child.exitCode}:\n${output}`);
    if (
      await fetch(`http://127.0.0.1:${port}/readyz`)
        .then((r) => r.ok)
        .catch(() => false)
    )
      break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the judge was not ready in time:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    output: () => output,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
