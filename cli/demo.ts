import { parseArgs } from 'node:util';
import { connectionSchema, namespaceSchema, physicalNameFor, parseConfig } from '../lib/config.ts';
import { appendAudit } from '../lib/db/repositories/audit.ts';
import { createToken } from '../lib/db/repositories/tokens.ts';
import { ApiCallError, apiClient } from './api-client.ts';
import { demoAgents, demoSettingsLines } from './demo-agents.ts';
import { type AgentStory, startNarrator } from './demo-narrator.ts';
import { parseStackSettings } from '../lib/stack/settings.ts';
import { stackComponents, stackEnv } from '../lib/stack/stack.ts';
import { openDb } from './open-db.ts';
import { clientOptions, parseDuration, printFigures, SimulateUsageError } from './simulate.ts';
import { simulate } from './simulator.ts';

export const demoHelp = `learnloop demo [--until promoted|approved|forever] [--timeout D] [--rate R] [--seed S]

The whole loop on the running learnloop (npm start): registers two demo agents with demo policies through the control
plane (LEARNLOOP_API_URL; LEARNLOOP_API_TOKEN, or a token it makes on DATABASE_URL), sends them traffic with the
simulator (learnloop simulate), and tells what the loop does: an agent degrades, a session opens, a fix is proposed,
tested and promoted. The billing agent's fix changes the model: high risk, so a person approves it
(\`learnloop approve <id>\`, or the page). docs/demo.md.

  --until promoted   stop once the support agent's fix was promoted automatically (default)
  --until approved   also wait for the billing agent's approval request, its approval, and its promotion
  --until forever    keep the traffic going until Ctrl-C
  --timeout D        give up after D (default 5m; 15m with --until approved), naming the stage that did not happen
  --rate R           runs per second over both agents (default 40)
  --seed S           the simulator's seed (default 17)
Exit codes: 0 done, 1 a stage did not happen in time (or the stack is not there), 2 usage.`;

type Until = 'promoted' | 'approved' | 'forever';

/** The control plane's token: the caller's, or an operator token made on the database as `learnloop tokens` does. */
async function demoToken(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (env['LEARNLOOP_API_TOKEN']) return env['LEARNLOOP_API_TOKEN'];
  const db = openDb(env);
  if (!db) return undefined;
  try {
    return await db.transaction().execute(async (trx) => {
      const created = await createToken(trx, { name: 'learnloop-demo', role: 'operator', created_by: 'cli:demo' });
      await appendAudit(trx, {
        actor: 'cli:demo',
        action: 'token.created',
        subject_type: 'token',
        subject_id: created.row.id,
        payload: { name: created.row.name, role: created.row.role },
      });
      return created.token;
    });
  } catch (err) {
    // Most often learnloop is not running (npm start migrates the database): say so rather than print a stack.
    process.stderr.write(
      `learnloop demo: cannot make a control-plane token on DATABASE_URL (${err instanceof Error ? err.message : String(err)}); is \`npm start\` running? Or set LEARNLOOP_API_TOKEN\n`,
    );
    return undefined;
  } finally {
    await db.destroy();
  }
}

/** The first stage of the agent's story that has not happened yet, or null when all it waits for has. */
export function missingStage(story: AgentStory, expect: 'auto' | 'approval'): string | null {
  if (story.sessionId === null) return 'a learning session (the degradation crossing a threshold)';
  if (story.proposalId === null) return 'a proposal';
  if (story.experimentId === null) return 'an experiment';
  if (expect === 'approval') {
    if (story.approvalId === null) return 'an approval request';
    if (story.approvalDecided === null) return `the approval (learnloop approve ${story.approvalId})`;
  }
  if (story.promoted === null) return expect === 'auto' ? 'the automatic promotion' : 'the promotion after approval';
  return null;
}

/** Without KAFKA_BROKERS, the local stack `npm start` brought up: the demo runs in a second terminal beside it. */
function withLocalStack(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env['KAFKA_BROKERS']) return env;
  const settings = parseStackSettings(env);
  if (!settings.ok) throw settings.error;
  return { ...stackEnv(stackComponents(settings.value)), ...env };
}

export async function demoCommand(args: readonly string[], given: NodeJS.ProcessEnv): Promise<number> {
  try {
    return await runDemo(args, withLocalStack(given));
  } catch (err) {
    if (!(err instanceof ApiCallError)) throw err;
    process.stderr.write(`learnloop demo: ${err.message}\n`);
    return 1;
  }
}

async function runDemo(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...args],
      options: {
        until: { type: 'string', default: 'promoted' },
        timeout: { type: 'string' },
        rate: { type: 'string', default: '40' },
        seed: { type: 'string', default: '17' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`learnloop demo: ${(err as Error).message}\n`);
    return 2;
  }
  if (values['help']) {
    process.stdout.write(`${demoHelp}\n`);
    return 0;
  }
  const until = values['until'] as Until;
  if (!['promoted', 'approved', 'forever'].includes(until)) {
    process.stderr.write(
      `learnloop demo: --until must be promoted, approved or forever, not ${JSON.stringify(until)}\n`,
    );
    return 2;
  }
  let timeoutMs: number;
  let rate: number;
  let seed: number;
  try {
    timeoutMs = parseDuration(
      (values['timeout'] as string | undefined) ?? (until === 'approved' ? '15m' : '5m'),
      '--timeout',
    );
    rate = Number(values['rate']);
    seed = Number(values['seed']);
    if (!(rate > 0)) throw new SimulateUsageError(`--rate must be a positive number, not ${values['rate']}`);
    if (!Number.isInteger(seed)) throw new SimulateUsageError(`--seed must be a whole number, not ${values['seed']}`);
  } catch (err) {
    process.stderr.write(`learnloop demo: ${(err as Error).message}\n`);
    return 2;
  }

  const connection = parseConfig(
    connectionSchema.pick({ KAFKA_BROKERS: true, SCHEMA_REGISTRY_URL: true }).extend(namespaceSchema.shape),
    env,
  );
  if (!connection.ok) throw connection.error;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const started = Date.now();
  const clock = () => `[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s]`;
  const token = await demoToken(env);
  if (!token) return 1;
  const api = apiClient({ ...env, LEARNLOOP_API_TOKEN: token });
  const agents = demoAgents(Date.now().toString(36));
  const pageUrl = (env['LEARNLOOP_PAGE_URL'] || env['LEARNLOOP_API_URL'] || 'http://127.0.0.1:7080').replace(/\/$/, '');

  out(`${clock()} learnloop demo: two agents, traffic from the simulator, the loop narrated as it happens`);
  for (const line of demoSettingsLines) out(`${clock()} ${line}`);
  const liveVersions = new Map<string, string>();
  for (const agent of agents) {
    await api.call('PUT', `api/agents/${agent.agentId}`, { name: agent.name });
    const version = await api.call<{ id: string }>('POST', `api/agents/${agent.agentId}/versions`, {
      config: agent.config,
      live: true,
      reason: 'demo',
    });
    await api.call('POST', `api/agents/${agent.agentId}/learning/policy`, { policy: agent.policy, reason: 'demo' });
    liveVersions.set(agent.agentId, version.id);
    out(`${clock()} registered ${agent.agentId} (live ${version.id.slice(0, 12)}): ${pageUrl}/agents/${agent.agentId}`);
  }

  const narrator = await startNarrator({
    brokers: connection.value.KAFKA_BROKERS,
    registryUrl: connection.value.SCHEMA_REGISTRY_URL,
    physicalName: physicalNameFor(connection.value.LEARNLOOP_TOPIC_PREFIX),
    agentIds: agents.map((a) => a.agentId),
    pageUrl,
    say: (agentId, line) => out(`${clock()} ${agentId}: ${line}`),
  });
  const waitedFor = until === 'forever' ? [] : agents.filter((a) => until === 'approved' || a.expect === 'auto');
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  for (const a of agents)
    if (a.drift)
      out(`${clock()} ${a.agentId} will degrade ${a.drift.startMs / 1000} s in (${a.drift.category} failures)`);
  const simulation = simulate({
    agents: agents.map((a) => ({
      agentId: a.agentId,
      liveVersionId: liveVersions.get(a.agentId)!,
      drift: a.drift,
      change: a.change,
    })),
    rate,
    durationMs: until === 'forever' ? Number.POSITIVE_INFINITY : timeoutMs,
    seed,
    client: clientOptions(env),
    progress: (line) => out(`${clock()} traffic: ${line}`),
    progressMs: 15_000,
    signal: stop.signal,
  });
  const missing = () =>
    waitedFor
      .map((a) => ({ agent: a, stage: missingStage(narrator.stories.get(a.agentId)!, a.expect) }))
      .find((m) => m.stage !== null);
  let done = false;
  void simulation.finally(() => (done = true));
  while (!done && (until === 'forever' || missing() !== undefined)) await new Promise((r) => setTimeout(r, 200));
  stop.abort();
  const figures = await simulation;
  await narrator.stop();

  out(`${clock()} summary after ${((Date.now() - started) / 1000).toFixed(0)} s:`);
  printFigures(figures, (line) => out(`  ${line}`));
  for (const a of agents) {
    const story = narrator.stories.get(a.agentId)!;
    const verdicts =
      Object.entries(story.verdicts)
        .map(([d, n]) => `${d} ${n}`)
        .join(', ') || 'none';
    out(
      `  ${a.agentId}: verdicts ${verdicts}; ${story.promoted ? `promoted (${story.promoted.mode})` : 'not promoted'}`,
    );
  }
  const failed = missing();
  if (failed) {
    out(`learnloop demo: ${failed.agent.agentId}: ${failed.stage} did not happen within ${timeoutMs / 1000} s`);
    return 1;
  }
  return 0;
}
