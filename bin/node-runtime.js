// Plain JavaScript on purpose: this file must run on whatever Node the machine has (Debian's is 20), to find or
// install the Node that learnloop needs before any TypeScript is loaded. See docs/operations.md, "Node".
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export const minimum = { major: 22, minor: 18 };
const installMajor = 24;

/**
 * Whether a Node version string (`20.20.2`) can run learnloop: type stripping on by default came in 22.18.
 * @param {string} version
 */
export function recentEnough(version) {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > minimum.major || (major === minimum.major && minor >= minimum.minor);
}

export class NodeRuntimeError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'NodeRuntimeError';
  }
}

/**
 * The version of the Node at `nodePath`, or undefined when it is not a Node that runs.
 * @param {string} nodePath
 * @returns {string | undefined}
 */
export function versionOf(nodePath) {
  const probe = spawnSync(nodePath, ['-p', 'process.versions.node'], { encoding: 'utf8' });
  const version = probe.status === 0 ? probe.stdout.trim() : '';
  return /^\d+\.\d+\.\d+$/.test(version) ? version : undefined;
}

/** @param {NodeJS.ProcessEnv} env */
function prefixOf(env) {
  return env.LEARNLOOP_NODE_PREFIX || join(homedir(), '.cache', 'learnloop', `node-${installMajor}`);
}

/** @param {NodeJS.ProcessEnv} env @returns {{ file: string, args: string[] }} */
function npmCommand(env) {
  // Under `npm ci` or `npm start`, npm names its own entry point: run that with this Node, whatever PATH holds.
  const npmCli = env.npm_execpath;
  if (npmCli && /\.c?js$/.test(npmCli)) return { file: process.execPath, args: [npmCli] };
  return { file: 'npm', args: [] };
}

/** @param {string} prefix @param {NodeJS.ProcessEnv} env @param {(line: string) => void} say @returns {Promise<void>} */
function install(prefix, env, say) {
  const started = Date.now();
  say(
    `learnloop: this Node is ${process.versions.node}; learnloop needs ${minimum.major}.${minimum.minor} or newer. ` +
      `Installing Node ${installMajor} from the npm registry into ${prefix} (once, about 60 MB)...`,
  );
  const npm = npmCommand(env);
  const args = [
    ...npm.args,
    'install',
    '--no-save',
    '--no-audit',
    '--no-fund',
    '--no-package-lock',
    '--loglevel=error',
    '--prefix',
    prefix,
    `node@${installMajor}`,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(npm.file, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const ticker = setInterval(
      () => say(`learnloop: still installing Node ${installMajor}... ${elapsed(started)}`),
      10_000,
    );
    child.on('error', (err) => {
      clearInterval(ticker);
      reject(new NodeRuntimeError(`could not run npm to install Node ${installMajor}: ${err.message}`));
    });
    child.on('exit', (code) => {
      clearInterval(ticker);
      if (code === 0) {
        say(`learnloop: Node ${installMajor} installed in ${elapsed(started)}`);
        resolve();
      } else {
        const tail = stderr.trim().split('\n').slice(-5).join('\n  ');
        reject(new NodeRuntimeError(`installing Node ${installMajor} with npm failed (exit ${code}):\n  ${tail}`));
      }
    });
  });
}

/** @param {number} started */
function elapsed(started) {
  return `${((Date.now() - started) / 1000).toFixed(1)} s`;
}

/**
 * The path of a Node binary that can run learnloop: this one when it is recent enough, else LEARNLOOP_NODE, else the
 * one installed in the cache (installed now, with progress lines, when missing).
 * @param {NodeJS.ProcessEnv} env
 * @param {(line: string) => void} say
 * @returns {Promise<string>}
 */
export async function ensureNode(env = process.env, say = (line) => process.stderr.write(`${line}\n`)) {
  if (recentEnough(process.versions.node)) return process.execPath;
  if (env.LEARNLOOP_NODE) {
    const version = versionOf(env.LEARNLOOP_NODE);
    if (version !== undefined && recentEnough(version)) return env.LEARNLOOP_NODE;
    throw new NodeRuntimeError(
      `LEARNLOOP_NODE=${env.LEARNLOOP_NODE} is ${version === undefined ? 'not a Node binary that runs' : `Node ${version}`}; ` +
        `learnloop needs ${minimum.major}.${minimum.minor} or newer`,
    );
  }
  const prefix = prefixOf(env);
  const cached = join(prefix, 'node_modules', 'node', 'bin', 'node');
  if (existsSync(cached) && recentEnough(versionOf(cached) ?? '0.0')) return cached;
  await install(prefix, env, say);
  const version = versionOf(cached);
  if (version === undefined || !recentEnough(version)) {
    throw new NodeRuntimeError(`npm installed node@${installMajor} into ${prefix}, but ${cached} does not run`);
  }
  return cached;
}

/**
 * Says what went wrong in finding a Node, and what to do about it, with no stack trace; exits 1.
 * @param {unknown} err
 * @returns {never}
 */
export function exitForNode(err) {
  if (!(err instanceof NodeRuntimeError)) throw err;
  process.stderr.write(
    `learnloop: ${err.message}\nInstall Node ${minimum.major}.${minimum.minor} or newer (24 recommended), or set LEARNLOOP_NODE to one.\n`,
  );
  process.exit(1);
}

/**
 * PATH with the directory of `nodePath` first, so that `node`, and npm's own shebang, find it.
 * @param {string} nodePath
 */
export function pathWith(nodePath, env = process.env) {
  return `${dirname(nodePath)}:${env.PATH ?? ''}`;
}

/**
 * Runs a command to completion and exits with its status. The child gets its own process group, so that a Ctrl-C
 * reaches it once (forwarded from here) rather than twice (a second signal means "stop now" to learnloop).
 * @param {string} file @param {string[]} args @param {NodeJS.ProcessEnv} env
 */
export function runAndExit(file, args, env) {
  const child = spawn(file, args, { stdio: 'inherit', env, detached: true });
  /** @param {NodeJS.Signals} signal */
  const forward = (signal) => child.kill(signal);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward);
  child.on('error', (err) => {
    process.stderr.write(`learnloop: could not start ${file}: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 143)));
}
