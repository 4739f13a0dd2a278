import type { ServiceDefinition } from '../lib/service.ts';
import { controlPlane } from './control-plane/index.ts';
import { experimentJudge } from './experiment-judge/index.ts';
import { proposer } from './proposer/index.ts';
import { routerSidecar } from './router-sidecar/index.ts';
import { signalAggregator } from './signal-aggregator/index.ts';
import { slackBridge } from './slack-bridge/index.ts';

/** Every service `learnloop run` knows, in the order `run all` starts them. Services register here as they are built. */
export const services: readonly ServiceDefinition[] = [
  signalAggregator,
  proposer,
  experimentJudge,
  routerSidecar,
  controlPlane,
  slackBridge,
];
