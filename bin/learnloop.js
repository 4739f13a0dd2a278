#!/usr/bin/env node
// The `learnloop` command. Plain JavaScript so that it starts on any Node: on one older than learnloop needs, it
// brings the Node it needs (bin/node-runtime.js) and runs itself again under it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ensureNode, exitForNode, pathWith, recentEnough, runAndExit } from './node-runtime.js';

const here = fileURLToPath(import.meta.url);

if (!recentEnough(process.versions.node)) {
  try {
    const node = await ensureNode();
    const env = { ...process.env, PATH: pathWith(node), LEARNLOOP_LAUNCHER_PID: String(process.pid) };
    runAndExit(node, ['--disable-warning=TimeoutNegativeWarning', here, ...process.argv.slice(2)], env);
  } catch (err) {
    exitForNode(err);
  }
} else {
  watchLauncher();
  quietKafkajsTimeoutWarning();
  // A checkout runs its TypeScript as it is; an installed package runs the JavaScript compiled into dist/.
  const source = new URL('../cli/main.ts', import.meta.url);
  const entry = existsSync(source) ? source : new URL('../dist/cli/main.js', import.meta.url);
  const { main } = await import(entry.href);
  const code = await main(process.argv.slice(2));
  if (code !== 0) process.exit(code);
}

/** Started by an older Node's launcher: stop gracefully if that launcher dies (SIGKILL leaves no other trace). */
function watchLauncher() {
  const launcher = Number(process.env.LEARNLOOP_LAUNCHER_PID);
  if (!launcher) return;
  delete process.env.LEARNLOOP_LAUNCHER_PID;
  setInterval(() => {
    if (process.ppid !== launcher) process.kill(process.pid, 'SIGTERM');
  }, 1000).unref();
}

/** kafkajs 2.2.4 sets negative timeouts on Node >= 24 (upstream issue 1751); Node clamps them to 1 ms, harmlessly. */
function quietKafkajsTimeoutWarning() {
  const print = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name !== 'TimeoutNegativeWarning') for (const listener of print) listener(warning);
  });
}
