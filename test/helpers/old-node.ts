import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { recentEnough, versionOf } from '../../bin/node-runtime.js';

/**
 * A Node older than learnloop needs, to run the launcher as a fresh machine would: the machine's own where it is old
 * (Debian's is 20), else Node 20 installed once from the npm registry into the cache.
 */
export function oldNode(): string {
  const candidates = ['/usr/bin/node', ...(process.env['PATH'] ?? '').split(delimiter).map((dir) => join(dir, 'node'))];
  for (const candidate of candidates) {
    const version = versionOf(candidate);
    if (version !== undefined && !recentEnough(version)) return candidate;
  }
  const prefix = join(homedir(), '.cache', 'learnloop', 'test-node-20');
  const binary = join(prefix, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(binary)) {
    const npm = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, 'node@20'], {
      stdio: 'inherit',
    });
    if (npm.status !== 0) throw new Error(`could not install node@20 into ${prefix} for the launcher tests`);
  }
  return binary;
}

/** The environment of a fresh shell on a machine whose Node is `node`: no npm run variables, no newer Node on PATH. */
export function freshShellEnv(node: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('npm_') && key !== 'NODE_OPTIONS' && key !== 'INIT_CWD') env[key] = value;
  }
  const path = (process.env['PATH'] ?? '').split(delimiter).filter((dir) => {
    const version = versionOf(join(dir, 'node'));
    return version === undefined || !recentEnough(version);
  });
  env['PATH'] = [dirname(node), ...path].join(delimiter);
  return { ...env, ...extra };
}
