// learnloop/client: the router client, the reports and the shadow runs of an agent runtime (docs/client.md).
export {
  type AssignInput,
  type ClientAssignment,
  type EvaluationReport,
  type FallbackReason,
  fallbackReasons,
  type RunMeasures,
  type RunReport,
  type RunTags,
  runTags,
  shadowTags,
} from './assignment.pure.ts';
export {
  createLearnloopClient,
  type Evaluation,
  type LearnloopClient,
  type LearnloopClientOptions,
  type RunOutcome,
  type ShadowReport,
} from './client.ts';
export type { RunEventsProducer, RunEventsProducerOptions } from '../kafka/producer.ts';
