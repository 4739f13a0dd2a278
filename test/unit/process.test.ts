import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive, portInUse, readPidState, spawnDetached, stopProcess } from '../../lib/stack/process.ts';

const dir = mkdtempSync(join(tmpdir(), 'learnloop-process-'));

describe('readPidState', () => {
  it('is stopped without a pid file', () => {
    expect(readPidState(join(dir, 'none.pid'), dir)).toEqual({ kind: 'stopped' });
  });

  it('is stale when the process is gone', async () => {
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => child.on('exit', resolve));
    const file = join(dir, 'gone.pid');
    writeFileSync(file, `${child.pid}\n`);
    expect(readPidState(file, dir)).toEqual({ kind: 'stale', pid: child.pid, why: 'gone' });
  });

  it('is stale when the pid now belongs to a process that does not name the marker', () => {
    const file = join(dir, 'reused.pid');
    writeFileSync(file, `${process.pid}\n`);
    expect(readPidState(file, '/no/such/marker/dir')).toEqual({ kind: 'stale', pid: process.pid, why: 'not ours' });
  });

  it('is running when the process is alive and names the marker, and garbage counts as stale', async () => {
    const marker = join(dir, 'marker-running');
    const file = join(dir, 'running.pid');
    const pid = spawnDetached({
      command: process.execPath,
      args: ['-e', 'setTimeout(() => {}, 60000)', marker],
      logFile: join(dir, 'running.log'),
      pidFile: file,
    });
    try {
      expect(readPidState(file, marker)).toEqual({ kind: 'running', pid });
    } finally {
      await stopProcess(pid, 'SIGTERM', 5000);
    }
    writeFileSync(file, 'not a pid\n');
    expect(readPidState(file, marker).kind).toBe('stale');
  });
});

describe('stopProcess', () => {
  it('stops a process that honours the signal', async () => {
    const pid = spawnDetached({
      command: process.execPath,
      args: ['-e', 'setTimeout(() => {}, 60000)'],
      logFile: join(dir, 'polite.log'),
      pidFile: join(dir, 'polite.pid'),
    });
    expect(await stopProcess(pid, 'SIGTERM', 5000)).toBe('stopped');
    expect(isAlive(pid)).toBe(false);
  });

  it('kills a process that ignores the signal once the timeout passes', async () => {
    const pid = spawnDetached({
      command: process.execPath,
      args: ['-e', 'process.on("SIGTERM", () => {}); console.log("armed"); setTimeout(() => {}, 60000)'],
      logFile: join(dir, 'stubborn.log'),
      pidFile: join(dir, 'stubborn.pid'),
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(await stopProcess(pid, 'SIGTERM', 300)).toBe('killed');
    expect(isAlive(pid)).toBe(false);
  });

  it('treats an already exited process as stopped', async () => {
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => child.on('exit', resolve));
    expect(await stopProcess(child.pid!, 'SIGTERM', 100)).toBe('stopped');
  });
});

describe('portInUse', () => {
  it('sees a listening port and a free one', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    expect(await portInUse('127.0.0.1', port)).toBe(true);
    await new Promise((resolve) => server.close(resolve));
    expect(await portInUse('127.0.0.1', port)).toBe(false);
  });
});
