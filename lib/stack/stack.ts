import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Component } from './component.ts';
import { ensureDist, findJava, type Dist } from './dist.ts';
import { StackError } from './errors.ts';
import { kafkaComponent } from './kafka.ts';
import { postgresComponent } from './postgres.ts';
import { isAlive, portInUse, readPidState, removePidFile, stopProcess, type PidState } from './process.ts';
import { registryComponent } from './registry.ts';
import { stackHost, type StackSettings } from './settings.ts';

export type Progress = (line: string) => void;

/** In start order: the registry keeps its schemas in Postgres. */
export function stackComponents(settings: StackSettings): Component[] {
  let dist: Dist | undefined;
  let java: string | undefined;
  const lazyDist = () => (dist ??= ensureDist(settings.LEARNLOOP_HOME, () => undefined));
  const lazyJava = () => (java ??= findJava(settings.JAVA_HOME));
  return [
    postgresComponent(settings),
    kafkaComponent(settings, lazyDist, lazyJava),
    registryComponent(settings, lazyDist, lazyJava),
  ];
}

export function stackEnv(components: readonly Component[]): Record<string, string> {
  return Object.assign({}, ...components.map((c) => c.env)) as Record<string, string>;
}

function lastLines(file: string, count: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '(no log yet)';
  }
}

/** Serialises concurrent `stack up`/`down` (a test run and a developer, say); a lock left by a dead process is taken over. */
async function withLock<T>(home: string, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  const file = join(home, 'run', 'stack.lock');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (!Number.isInteger(holder) || holder <= 0 || !isAlive(holder)) rmSync(file, { force: true });
      else if (Date.now() > deadline)
        throw new StackError(`another learnloop (pid ${holder}) holds ${file}: wait for it or stop it`);
      else await sleep(200);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(file, { force: true });
  }
}

async function waitHealthy(component: Component, pid: number, deadline: number): Promise<void> {
  for (;;) {
    if (await component.healthy()) return;
    if (!isAlive(pid)) {
      removePidFile(component.pidFile);
      throw new StackError(
        `${component.name} exited while starting; the end of ${component.logFile}:\n${lastLines(component.logFile, 20)}`,
      );
    }
    if (Date.now() > deadline) {
      throw new StackError(
        `${component.name} did not become healthy in time; the end of ${component.logFile}:\n${lastLines(component.logFile, 20)}`,
      );
    }
    await sleep(200);
  }
}

function describeStale(component: Component, state: Extract<PidState, { kind: 'stale' }>): string {
  return state.why === 'gone'
    ? `${component.name}: process ${state.pid} is gone (it crashed or was killed)`
    : `${component.name}: pid ${state.pid} now belongs to another program`;
}

/**
 * Starts whatever part is not running and waits until every part answers as a client would use it. Idempotent:
 * with everything up it only checks health. Returns the connection variables.
 */
export async function stackUp(settings: StackSettings, progress: Progress): Promise<Record<string, string>> {
  const home = settings.LEARNLOOP_HOME;
  for (const dir of ['run', 'logs']) mkdirSync(join(home, dir), { recursive: true });
  const components = stackComponents(settings);
  await withLock(home, settings.LEARNLOOP_STACK_TIMEOUT_MS, async () => {
    const pids = new Map<Component, number>();
    const toStart: Component[] = [];
    for (const component of components) {
      const state = readPidState(component.pidFile, component.dir);
      if (state.kind === 'running') pids.set(component, state.pid);
      else {
        if (state.kind === 'stale') {
          progress(`${describeStale(component, state)}; removing its pid file and starting it again`);
          removePidFile(component.pidFile);
        }
        toStart.push(component);
      }
    }
    for (const component of toStart) {
      for (const { port, variable } of component.ports) {
        if (await portInUse(stackHost, port)) {
          throw new StackError(
            `port ${port} (${component.name}) is already in use by another program: stop it, or set ${variable} to a free port`,
          );
        }
      }
    }
    if (toStart.some((c) => c.name !== 'postgres')) {
      findJava(settings.JAVA_HOME);
      ensureDist(home, progress);
    }

    const deadline = Date.now() + settings.LEARNLOOP_STACK_TIMEOUT_MS;
    const started = Date.now();
    const launch = async (component: Component) => {
      if (!toStart.includes(component)) return;
      const pid = await component.start();
      pids.set(component, pid);
      progress(`${component.name}: started (pid ${pid})`);
    };
    const ready = async (component: Component) => {
      await waitHealthy(component, pids.get(component) ?? 0, deadline);
      await component.afterHealthy?.();
      if (toStart.includes(component))
        progress(`${component.name}: healthy after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    };
    const [postgres, kafka, registry] = components as [Component, Component, Component];
    await Promise.all([
      (async () => {
        await launch(postgres);
        await ready(postgres);
        await launch(registry);
        await ready(registry);
      })(),
      (async () => {
        await launch(kafka);
        await ready(kafka);
      })(),
    ]);
  });
  return stackEnv(components);
}

/** Stops only the processes this stack started, by the pids it recorded, last started first. */
export async function stackDown(settings: StackSettings, progress: Progress): Promise<void> {
  const home = settings.LEARNLOOP_HOME;
  mkdirSync(join(home, 'run'), { recursive: true });
  await withLock(home, settings.LEARNLOOP_STACK_TIMEOUT_MS, async () => {
    for (const component of stackComponents(settings).reverse()) {
      const state = readPidState(component.pidFile, component.dir);
      if (state.kind === 'running') {
        const how = await stopProcess(state.pid, component.stopSignal, 30_000);
        progress(`${component.name}: ${how === 'stopped' ? 'stopped' : 'killed after 30 s'} (pid ${state.pid})`);
      } else if (state.kind === 'stale') {
        progress(`${describeStale(component, state)}; removing its pid file`);
      }
      removePidFile(component.pidFile);
    }
  });
}

export interface ComponentStatus {
  name: Component['name'];
  state: 'running' | 'not answering' | 'stopped' | 'crashed';
  pid: number | undefined;
  detail: string;
}

export async function stackStatus(settings: StackSettings): Promise<ComponentStatus[]> {
  return Promise.all(
    stackComponents(settings).map(async (component): Promise<ComponentStatus> => {
      const state = readPidState(component.pidFile, component.dir);
      const where = component.ports.map((p) => `${stackHost}:${p.port}`).join(', ');
      if (state.kind === 'stopped')
        return { name: component.name, state: 'stopped', pid: undefined, detail: 'run `learnloop stack up`' };
      if (state.kind === 'stale') {
        return {
          name: component.name,
          state: 'crashed',
          pid: state.pid,
          detail: `${describeStale(component, state)}: run \`learnloop stack up\``,
        };
      }
      const healthy = await component.healthy();
      return {
        name: component.name,
        state: healthy ? 'running' : 'not answering',
        pid: state.pid,
        detail: healthy
          ? where
          : `pid ${state.pid} is alive but does not answer on ${where}; see \`learnloop stack logs ${component.name}\``,
      };
    }),
  );
}
