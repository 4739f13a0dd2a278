#!/usr/bin/env -S node --disable-warning=TimeoutNegativeWarning
// kafkajs 2.2.4 sets negative timeouts on Node >= 24 (upstream issue 1751); Node clamps them to 1 ms, harmlessly.
import { main } from '../cli/main.ts';

const code = await main(process.argv.slice(2));
if (code !== 0) process.exit(code);
