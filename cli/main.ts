import { ConfigError, connectionSchema, parseConfig } from '../lib/config.ts';
import { MigrationError } from '../lib/db/migrate.ts';
import { StackError } from '../lib/stack/errors.ts';
import { parseStackSettings } from '../lib/stack/settings.ts';
import { stackUp } from '../lib/stack/stack.ts';
import { services } from '../services/index.ts';
import { agentsCommand } from './agents.ts';
import { controlCommand, controlVerbs } from './control.ts';
import { controlPlaneCommand } from './control-plane.ts';
import { schemasCommand, topicsCommand } from './contracts.ts';
import { auditCommand, dbCommand } from './db.ts';
import { prepareInfrastructure } from './prepare.ts';
import { runServices } from './run.ts';
import { slackCommand } from './slack.ts';
import { simulateCommand } from './simulate.ts';
import { demoCommand } from './demo.ts';
import { stackCommand } from './stack.ts';
import { tokensCommand } from './tokens.ts';

const help = `learnloop: continuous, safe improvement of AI agents in production

Usage:
  learnloop stack up|down|status|logs   the local Kafka, schema registry and Postgres (learnloop stack --help)
  learnloop run <service>|all           run one service, or all of them in one process
  learnloop start                       bring the local stack up unless KAFKA_BROKERS is set, migrate the database,
                                        apply the topics, register the schemas, then run all services
  learnloop topics apply                create or update every topic of the catalog (schemas/topics.json)
  learnloop schemas register|codegen    register every schema with BACKWARD compatibility | regenerate the TS types
  learnloop db migrate [--down [N]]     apply (or undo) the Postgres migrations
  learnloop audit verify                check the audit log's hash chain; names the first broken row
  learnloop audit replay <id> [--json]  recompute a recorded decision from its inputs; says whether it matches
  learnloop agents register <file>      register an agent's configuration as a version (and make it live)
  learnloop tokens create|list|revoke   API tokens for the control plane (learnloop tokens --help)
  learnloop slack approvers add|remove|list   who may decide approvals in Slack (learnloop slack --help)
  learnloop control-plane rebuild       empty the control plane's read models and replay the topics into them
  learnloop simulate [--agents N ...]   synthetic agents sending traffic through learnloop/client (--help)
  learnloop demo [--until promoted|approved|forever]
                                        the whole loop on the running stack, narrated (docs/demo.md)

Through the control plane's API (LEARNLOOP_API_URL, LEARNLOOP_API_TOKEN; learnloop pause --help):
  learnloop policy get|set <agentId>    the agent's learning policy, versioned
  learnloop pause|resume <agentId>      stop or restart continuous learning (pause sends experiment traffic to baseline)
  learnloop sessions start <agentId>    start a learning session by hand
  learnloop status <agentId>            continuous mode, next scheduled run, thresholds, session, experiment
  learnloop experiments <agentId>       active and recent experiments
  learnloop approvals list              approval requests (pending by default)
  learnloop approve|reject <approvalId> decide a request
  learnloop help                        this text

Services: ${services.length === 0 ? '(none built yet)' : services.map((s) => `\n  ${s.name.padEnd(20)} ${s.summary}`).join('')}

Connection (required by run, set by start from the local stack): KAFKA_BROKERS, SCHEMA_REGISTRY_URL, DATABASE_URL.
Every other setting is a LEARNLOOP_* variable; see docs/operations.md.`;

async function run(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [name] = args;
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(
      `learnloop run <service>|all\n\nServices: ${services.map((s) => s.name).join(', ') || '(none built yet)'}\n`,
    );
    return name === undefined ? 2 : 0;
  }
  const selected = name === 'all' ? services : services.filter((s) => s.name === name);
  if (selected.length === 0 && name !== 'all') {
    process.stderr.write(
      `learnloop: no service "${name}" (services: ${services.map((s) => s.name).join(', ') || 'none built yet'}, or all)\n`,
    );
    return 2;
  }
  const connection = parseConfig(connectionSchema, env);
  if (!connection.ok) throw connection.error;
  await runServices(selected, env, { all: name === 'all' });
  return 0;
}

async function start(env: NodeJS.ProcessEnv): Promise<number> {
  const withStack = { ...env };
  if (!env['KAFKA_BROKERS']) {
    const settings = parseStackSettings(env);
    if (!settings.ok) throw settings.error;
    Object.assign(withStack, await stackUp(settings.value, (line) => process.stderr.write(`stack: ${line}\n`)));
  }
  await prepareInfrastructure(withStack, (line) => process.stderr.write(`start: ${line}\n`));
  return run(['all'], withStack);
}

/** Returns the exit code; long-running commands resolve once started and keep the process alive. */
export async function main(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case 'stack':
        return await stackCommand(rest, env);
      case 'run':
        return await run(rest, env);
      case 'start':
        return await start(env);
      case 'topics':
        return await topicsCommand(rest, env);
      case 'schemas':
        return await schemasCommand(rest, env);
      case 'db':
        return await dbCommand(rest, env);
      case 'audit':
        return await auditCommand(rest, env);
      case 'agents':
        return await agentsCommand(rest, env);
      case 'tokens':
        return await tokensCommand(rest, env);
      case 'slack':
        return await slackCommand(rest, env);
      case 'control-plane':
        return await controlPlaneCommand(rest, env);
      case 'simulate':
        return await simulateCommand(rest, env);
      case 'demo':
        return await demoCommand(rest, env);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${help}\n`);
        return command === undefined ? 2 : 0;
      default:
        if ((controlVerbs as readonly string[]).includes(command)) return await controlCommand(command, rest, env);
        process.stderr.write(`learnloop: unknown command "${command}"; see learnloop help\n`);
        return 2;
    }
  } catch (err) {
    if (err instanceof StackError || err instanceof ConfigError || err instanceof MigrationError) {
      process.stderr.write(`learnloop: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
