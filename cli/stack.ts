import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stackComponents, stackDown, stackStatus, stackUp } from '../lib/stack/stack.ts';
import { parseStackSettings, type StackSettings } from '../lib/stack/settings.ts';
import { StackError } from '../lib/stack/errors.ts';

export const stackHelp = `learnloop stack <command>: the local Kafka, schema registry and Postgres, on loopback

Commands:
  up        start whatever is not running, wait until all answer, print the connection variables
            (eval "$(learnloop stack up)" sets them in your shell)
  down      stop the processes the stack started (by the pids it recorded)
  status    one line per part; exits 3 unless every part is running and answering
  logs      print the end of each part's log: logs [postgres|kafka|registry] [-n LINES] [-f]

State, data and logs live under $LEARNLOOP_HOME (default: .learnloop/ in the project).
Ports: LEARNLOOP_KAFKA_PORT (29092), LEARNLOOP_KAFKA_CONTROLLER_PORT (29093), LEARNLOOP_REGISTRY_PORT (28081),
LEARNLOOP_POSTGRES_PORT (25432). Needs Java 17+, Maven (once, to fetch the jars), and a Postgres server.`;

const progress = (line: string) => process.stderr.write(`stack: ${line}\n`);

function settingsOrExit(env: NodeJS.ProcessEnv): StackSettings {
  const parsed = parseStackSettings(env);
  if (!parsed.ok) throw new StackError(parsed.error.message);
  return parsed.value;
}

/** `export KEY=value` lines: `eval "$(learnloop stack up)"` then sets them for the commands the shell runs next. */
export function shellLines(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([key, value]) => `export ${key}=${value}`)
    .join('\n');
}

export async function stackCommand(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${stackHelp}\n`);
    return command === undefined ? 2 : 0;
  }
  const settings = settingsOrExit(env);
  switch (command) {
    case 'up': {
      const connection = await stackUp(settings, progress);
      process.stdout.write(`${shellLines(connection)}\n`);
      return 0;
    }
    case 'down':
      await stackDown(settings, progress);
      return 0;
    case 'status': {
      const rows = await stackStatus(settings);
      for (const row of rows) {
        process.stdout.write(
          `${row.name.padEnd(9)} ${row.state.padEnd(13)} ${row.pid === undefined ? '-' : String(row.pid).padEnd(7)} ${row.detail}\n`,
        );
      }
      return rows.every((row) => row.state === 'running') ? 0 : 3;
    }
    case 'logs': {
      const { values, positionals } = parseArgs({
        args: [...rest],
        allowPositionals: true,
        options: {
          lines: { type: 'string', short: 'n', default: '50' },
          follow: { type: 'boolean', short: 'f', default: false },
        },
      });
      const lines = Number(values.lines);
      if (!Number.isInteger(lines) || lines < 0)
        throw new StackError(`--lines must be a whole number, not "${values.lines}"`);
      const components = stackComponents(settings);
      const unknown = positionals.filter((name) => !components.some((c) => c.name === name));
      if (unknown.length > 0)
        throw new StackError(
          `no such part: ${unknown.join(', ')} (parts: ${components.map((c) => c.name).join(', ')})`,
        );
      const files = components
        .filter((c) => positionals.length === 0 || positionals.includes(c.name))
        .map((c) => c.logFile)
        .filter((file) => existsSync(file));
      if (files.length === 0) {
        progress('no logs yet: run `learnloop stack up` first');
        return 1;
      }
      const tail = spawn('tail', ['-n', String(lines), ...(values.follow ? ['-F'] : []), ...files], {
        stdio: 'inherit',
      });
      return new Promise((resolve) => tail.on('exit', (code) => resolve(code ?? 0)));
    }
    default:
      throw new StackError(`unknown stack command "${command}": use up, down, status or logs`);
  }
}
