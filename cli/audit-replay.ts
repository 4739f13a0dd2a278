import { openDb } from './open-db.ts';
import { replayAuditEntry } from '../services/experiment-judge/replay.pure.ts';

export const auditReplayHelp = `learnloop audit replay <id> [--json]: recompute a decision of the experiment judge from its audit entry

Reads audit entry <id> at DATABASE_URL, runs the judge's statistics and decision again on the inputs it recorded
(the experiment, the judge's memory, the policy, the sufficient statistics, the time), and says whether the result
matches the recorded decision. --json prints the recorded and recomputed decisions and every difference.
Exit codes: 0 matches, 1 differs or the entry is not a judge decision (or failed), 2 usage.`;

/** `learnloop audit replay <id> [--json]`; returns the exit code. */
export async function auditReplayCommand(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${auditReplayHelp}\n`);
    return 0;
  }
  const json = args.includes('--json');
  const rest = args.filter((a) => a !== '--json');
  const [raw, ...extra] = rest;
  if (raw === undefined || extra.length > 0 || !/^[1-9]\d*$/.test(raw)) {
    process.stderr.write(
      `learnloop: audit replay takes one audit entry id (a positive whole number)\n${auditReplayHelp}\n`,
    );
    return 2;
  }
  const db = openDb(env);
  if (!db) return 1;
  try {
    const row = await db.selectFrom('audit_log').selectAll().where('id', '=', Number(raw)).executeTakeFirst();
    if (!row) {
      process.stderr.write(`learnloop: no audit entry ${raw}\n`);
      return 1;
    }
    const result = replayAuditEntry(row);
    if (json)
      process.stdout.write(
        `${JSON.stringify({ id: row.id, action: row.action, subject: `${row.subject_type}:${row.subject_id}`, ...result }, null, 2)}\n`,
      );
    if (!result.replayable) {
      if (!json)
        process.stdout.write(
          `audit entry ${row.id} (${row.action}) is not a decision of the experiment judge: nothing to recompute\n`,
        );
      return 1;
    }
    if (!json) {
      const recomputed = `${result.recomputed!.action} [${result.recomputed!.reasons.join(', ')}]`;
      process.stdout.write(
        result.matches
          ? `audit entry ${row.id} (${row.action}, ${row.subject_type} ${row.subject_id}): recomputed ${recomputed}: matches the recorded decision\n`
          : `audit entry ${row.id} (${row.action}, ${row.subject_type} ${row.subject_id}): recomputed ${recomputed}: DIFFERS from the recorded decision\n${result.differences.map((d) => `  ${d}`).join('\n')}\n`,
      );
    }
    return result.matches ? 0 : 1;
  } catch (err) {
    process.stderr.write(
      `learnloop: replaying audit entry ${raw} failed: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return 1;
  } finally {
    await db.destroy();
  }
}
