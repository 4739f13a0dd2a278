/**
 * The four-eyes rule (docs/control-plane.md): whoever started a session by hand does not also let its change go live.
 * One definition for every place a person decides an approval (the API, the CLI through it, Slack).
 */

/** Names compare as people type them: trimmed, case-insensitive. */
export const samePerson = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Whether `approver` may decide an approval of a session started by `sessionStartedBy` (null: started by the
 * aggregator's thresholds or schedule, which nobody can be the second pair of eyes on).
 */
export function mayDecide(sessionStartedBy: string | null, approver: string): boolean {
  return sessionStartedBy === null || !samePerson(sessionStartedBy, approver);
}
