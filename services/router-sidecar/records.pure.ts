import { z } from 'zod';

/**
 * The boundary between the state topics and the router: the fields it reads of a decoded ExperimentState or
 * VersionPromoted, checked with zod. Records are decoded with the schema they were written with, so a record from an
 * older or newer schema version may lack or add fields; only these must be there. Enum-like fields are read as strings,
 * so that a status or mode added to the schema later is not an error but something the router does not assign by.
 */

export const experimentStateRecord = z.object({
  experimentId: z.string().min(1),
  agentId: z.string().min(1),
  version: z.number().int(),
  changedAt: z.date(),
  startedAt: z.date(),
  status: z.string(),
  mode: z.string(),
  arms: z.array(z.object({ arm: z.string(), versionId: z.string() })),
  salt: z.string(),
  trafficSplit: z.object({
    candidateBasisPoints: z.number(),
    baselineBasisPoints: z.number(),
    shadowSampleBasisPoints: z.number(),
  }),
});
export type ExperimentStateRecord = z.infer<typeof experimentStateRecord>;

export const versionPromotedRecord = z.object({
  eventId: z.string(),
  agentId: z.string().min(1),
  previousVersionId: z
    .string()
    .nullish()
    .transform((v) => v ?? null),
  promotedVersionId: z.string().min(1),
  experimentId: z
    .string()
    .nullish()
    .transform((v) => v ?? null),
  promotedAt: z.date(),
});
export type VersionPromotedRecord = z.infer<typeof versionPromotedRecord>;

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

function check<T>(schema: z.ZodType<T>, value: unknown): Checked<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    error: parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(record)'}: ${i.message}`).join('; '),
  };
}

export const checkExperimentState = (value: unknown) => check(experimentStateRecord, value);
export const checkVersionPromoted = (value: unknown) => check(versionPromotedRecord, value);
