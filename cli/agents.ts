import { readFile } from 'node:fs/promises';
import { agentRegistrationSchema } from '../lib/agents/config.ts';
import { connectionSchema, loadConfig } from '../lib/config.ts';
import { createDb } from '../lib/db/index.ts';
import { appendAudit } from '../lib/db/repositories/audit.ts';
import { registerAgent, registerAgentVersion, setLiveVersion } from '../lib/db/repositories/agents.ts';

export const agentsHelp = `learnloop agents register <file.json>: register an agent's configuration as a version

The file: {"agentId": "...", "name": "...", "config": {"instructions": "...", "model": "...", "tools": [...],
"memory": {...}, "guardrails": [...], "parameters": {...}}, "live": true}
A version is identified by the hash of its canonical configuration: registering the same configuration twice is one
version. With "live" (the default), it becomes the live version: the baseline of the agent's next proposal.
Needs DATABASE_URL.`;

/** `learnloop agents register <file>`; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function agentsCommand(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, file, ...rest] = args;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${agentsHelp}\n`);
    return 0;
  }
  if (command !== 'register' || file === undefined || rest.length > 0) {
    process.stderr.write(`learnloop agents: usage: learnloop agents register <file.json>\n`);
    return 2;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    process.stderr.write(
      `learnloop agents: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return 1;
  }
  const parsed = agentRegistrationSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      process.stderr.write(`learnloop agents: ${file}: ${issue.path.join('.') || '(file)'}: ${issue.message}\n`);
    return 1;
  }
  const { DATABASE_URL } = loadConfig(connectionSchema.pick({ DATABASE_URL: true }), env);
  const db = createDb({ url: DATABASE_URL, max: 1 });
  try {
    const { agentId, name, config, live } = parsed.data;
    const result = await db.transaction().execute(async (trx) => {
      await registerAgent(trx, { id: agentId, name: name ?? agentId });
      const registered = await registerAgentVersion(trx, { agent_id: agentId, config });
      if (live) {
        await setLiveVersion(trx, agentId, registered.version.id);
        await appendAudit(trx, {
          actor: 'cli',
          action: 'agent.live_version_set',
          agent_id: agentId,
          subject_type: 'version',
          subject_id: registered.version.id,
          payload: { created: registered.created },
        });
      }
      return registered;
    });
    process.stdout.write(
      `${result.version.id}  ${result.created ? 'registered' : 'already registered'}${parsed.data.live ? ', live' : ''}\n`,
    );
    return 0;
  } finally {
    await db.destroy();
  }
}
