// The package's public entry: what an agent service or evaluator needs to publish its runs to learnloop.
export {
  createRunEventsProducer,
  type RunCompletedInput,
  type RunEvaluatedInput,
  type RunEventsProducer,
  type RunEventsProducerOptions,
} from './kafka/producer.ts';
export { EventValidationError, validateRunCompleted, validateRunEvaluated } from './contracts/validation.ts';
export type {
  Arm,
  GuardrailHit,
  RunCompleted,
  RunEvaluated,
  RunStatus,
  Severity,
} from './contracts/types.generated.ts';
