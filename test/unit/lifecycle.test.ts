import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createShutdown } from '../../lib/lifecycle.ts';
import { createLogger } from '../../lib/logging.ts';

const silent = createLogger({ write: () => {} });

describe('createShutdown', () => {
  it('runs hooks last-registered first, once, however often it is asked', async () => {
    const order: string[] = [];
    const shutdown = createShutdown(silent, 1000);
    shutdown.add('consumer', async () => void order.push('consumer'));
    shutdown.add('http', async () => void order.push('http'));
    const [a, b] = await Promise.all([shutdown.run('SIGTERM'), shutdown.run('SIGINT')]);
    expect([a, b]).toEqual([true, true]);
    expect(order).toEqual(['http', 'consumer']);
  });

  it('runs the remaining hooks when one fails, and reports the failure', async () => {
    const order: string[] = [];
    const shutdown = createShutdown(silent, 1000);
    shutdown.add('first', async () => void order.push('first'));
    shutdown.add('broken', async () => {
      throw new Error('boom');
    });
    expect(await shutdown.run('test')).toBe(false);
    expect(order).toEqual(['first']);
  });

  it('gives up after the timeout', async () => {
    const shutdown = createShutdown(silent, 50);
    shutdown.add('stuck', () => new Promise(() => {}));
    expect(await shutdown.run('test')).toBe(false);
  });
});

const lib = (name: string) => fileURLToPath(new URL(`../../lib/${name}`, import.meta.url));

/** A child process that registers a slow hook (a batch finishing) and exits through exitOnSignals. */
function childScript(marker: string, hookMs: number): string {
  return `
    import { writeFileSync } from 'node:fs';
    import { createShutdown, exitOnSignals } from ${JSON.stringify(lib('lifecycle.ts'))};
    import { createLogger } from ${JSON.stringify(lib('logging.ts'))};
    const logger = createLogger({ write: () => {} });
    const shutdown = createShutdown(logger, 5000);
    shutdown.add('batch', async () => {
      await new Promise((r) => setTimeout(r, ${hookMs}));
      writeFileSync(${JSON.stringify(marker)}, 'committed');
    });
    exitOnSignals(shutdown, logger);
    setInterval(() => {}, 1000);
    process.stdout.write('ready\\n');
  `;
}

async function runChild(signals: NodeJS.Signals[], hookMs: number): Promise<{ code: number | null; marker: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'learnloop-lifecycle-'));
  const marker = join(dir, 'marker');
  const script = join(dir, 'child.ts');
  writeFileSync(script, childScript(marker, hookMs));
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  for (const [i, signal] of signals.entries()) {
    // Signals sent back to back can merge into one delivery; a person pressing Ctrl-C twice is slower than this.
    if (i > 0) await new Promise((r) => setTimeout(r, 200));
    child.kill(signal);
  }
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  let written = '';
  try {
    written = readFileSync(marker, 'utf8');
  } catch {
    written = '';
  }
  return { code, marker: written };
}

describe('exitOnSignals', () => {
  it('on SIGTERM lets the work in flight finish, then exits 0', async () => {
    expect(await runChild(['SIGTERM'], 200)).toEqual({ code: 0, marker: 'committed' });
  });

  it('on SIGINT does the same', async () => {
    expect(await runChild(['SIGINT'], 50)).toEqual({ code: 0, marker: 'committed' });
  });

  it('a second signal exits at once with 130, before the slow work ends', async () => {
    expect(await runChild(['SIGTERM', 'SIGTERM'], 3000)).toEqual({ code: 130, marker: '' });
  });
});
