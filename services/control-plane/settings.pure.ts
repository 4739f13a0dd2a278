import { connectionSchema, listenPort, namespaceSchema, positiveInt, processSchema } from '../../lib/config.ts';

export const controlPlaneSettingsSchema = connectionSchema.extend({
  ...namespaceSchema.shape,
  LEARNLOOP_HOST: processSchema.shape.LEARNLOOP_HOST,
  LEARNLOOP_CONTROL_PLANE_PORT: listenPort.default(7080),
  /** Larger request bodies get 400: an agent configuration or a policy is a few kilobytes. */
  LEARNLOOP_CONTROL_PLANE_MAX_BODY_BYTES: positiveInt.default(262_144),
});
