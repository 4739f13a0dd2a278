import type { z } from 'zod';

/** A problem with one field of some input: its dotted path ('trigger.minRuns'; `root` for the whole) and what is wrong. */
export interface FieldIssue {
  field: string;
  message: string;
}

/**
 * zod's issues as field issues. An unknown key is reported under its own name ('trigger.minRun'), not its parent's, so
 * that the message points at the typo.
 */
export function fieldIssues(error: z.ZodError, root = '(root)'): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ field: [...path, key].join('.'), message: 'is not a known field' });
    } else {
      out.push({ field: path.join('.') || root, message: issue.message });
    }
  }
  return out;
}
