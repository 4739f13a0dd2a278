import { z } from 'zod';

/**
 * An agent's configuration: what a version snapshots. The parts the risk rules tell apart are top-level keys:
 * instructions (low risk when edited modestly), parameters (medium), and model, tools, memory, guardrails (high).
 */
const parts = {
  instructions: z.string(),
  model: z.string().min(1),
  tools: z.array(z.looseObject({ name: z.string().min(1) })),
  memory: z.record(z.string(), z.unknown()),
  guardrails: z.array(z.union([z.string().min(1), z.looseObject({ name: z.string().min(1) })])),
  /** Sampling and limits: temperature, maxTokens, topP, ... */
  parameters: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
};

export const agentConfigSchema = z.strictObject({
  ...parts,
  tools: parts.tools.default([]),
  memory: parts.memory.default({}),
  guardrails: parts.guardrails.default([]),
  parameters: parts.parameters.default({}),
});
export type AgentConfig = z.infer<typeof agentConfigSchema>;

export const configParts = ['instructions', 'model', 'tools', 'memory', 'guardrails', 'parameters'] as const;
export type ConfigPart = (typeof configParts)[number];

/**
 * A change as generators express it: the parts that differ, each replaced whole. Built from the parts without their
 * defaults: a change that names only the instructions must not also "set" the tools to none.
 */
export const configChangeSchema = z
  .strictObject(parts)
  .partial()
  .refine((c) => Object.keys(c).length > 0, 'a change must change something');
export type ConfigChange = z.infer<typeof configChangeSchema>;

/** The file `learnloop agents register` reads. */
export const agentRegistrationSchema = z.strictObject({
  agentId: z.string().min(1),
  name: z.string().min(1).optional(),
  config: agentConfigSchema,
  /** Make this version the live one (the baseline of the next proposal). */
  live: z.boolean().default(true),
});
