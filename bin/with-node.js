#!/usr/bin/env node
// `node bin/with-node.js <command> [args...]`: runs a development command (tests, type-check, benchmarks) with a Node
// that can run learnloop first on PATH, installing it when the machine's is too old (bin/node-runtime.js).
// `node bin/with-node.js` alone only makes sure that Node is there (npm ci runs it, so that npm start need not).
import { ensureNode, exitForNode, pathWith, runAndExit } from './node-runtime.js';

const [command, ...args] = process.argv.slice(2);
try {
  const node = await ensureNode();
  if (command !== undefined) {
    const options = [process.env.NODE_OPTIONS, '--disable-warning=TimeoutNegativeWarning'].filter(Boolean).join(' ');
    runAndExit(command, args, { ...process.env, PATH: pathWith(node), NODE_OPTIONS: options });
  }
} catch (err) {
  exitForNode(err);
}
