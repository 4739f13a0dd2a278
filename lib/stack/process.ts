import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** What a pid file says about the process it names. */
export type PidState =
  | { kind: 'stopped' }
  | { kind: 'running'; pid: number }
  | { kind: 'stale'; pid: number; why: 'gone' | 'not ours' };

/** A killed process whose parent has not reaped it yet is a zombie: it answers signals but is gone. */
function isZombie(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * A pid can be reused after a crash: the process counts as ours only while its command line still names `marker`
 * (the component's state directory). Where /proc is missing, being alive has to do.
 */
function commandLineHas(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return isAlive(pid);
  }
}

export function readPidState(pidFile: string, marker: string): PidState {
  let text: string;
  try {
    text = readFileSync(pidFile, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'stopped' };
    throw err;
  }
  const pid = Number(text);
  if (!Number.isInteger(pid) || pid <= 0) return { kind: 'stale', pid: 0, why: 'gone' };
  if (!isAlive(pid)) return { kind: 'stale', pid, why: 'gone' };
  if (!commandLineHas(pid, marker)) return { kind: 'stale', pid, why: 'not ours' };
  return { kind: 'running', pid };
}

export interface SpawnOptions {
  command: string;
  args: readonly string[];
  logFile: string;
  pidFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
}

/** Starts a long-running process detached from this one (it outlives the CLI), output appended to `logFile`. */
export function spawnDetached(options: SpawnOptions): number {
  const fd = openSync(options.logFile, 'a');
  try {
    const child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid }),
    });
    if (child.pid === undefined) throw new Error(`could not start ${options.command}`);
    child.unref();
    writeFileSync(options.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Sends `signal`, waits for the process to exit, and kills it when it has not after `timeoutMs`. */
export async function stopProcess(
  pid: number,
  signal: NodeJS.Signals,
  timeoutMs: number,
): Promise<'stopped' | 'killed'> {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return 'stopped';
    throw err;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'stopped';
    await sleep(100);
  }
  process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(50);
  return 'killed';
}

export function removePidFile(pidFile: string): void {
  rmSync(pidFile, { force: true });
}

/** True when something already listens on host:port (binding it fails with EADDRINUSE). */
export function portInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve(true);
      else reject(err);
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(false)));
  });
}
