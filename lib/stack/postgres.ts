import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import { componentPaths, type Component } from './component.ts';
import { StackError } from './errors.ts';
import { spawnDetached } from './process.ts';
import { postgresDatabase, postgresUser, registryDatabase, stackHost, type StackSettings } from './settings.ts';

/** LEARNLOOP_PG_BINDIR, else Debian's newest /usr/lib/postgresql/<n>/bin, else wherever initdb is on PATH. */
export function findPgBinDir(configured: string | undefined): string {
  const candidates: string[] = [];
  if (configured) candidates.push(configured);
  else {
    const debian = '/usr/lib/postgresql';
    if (existsSync(debian)) {
      const versions = readdirSync(debian)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a));
      candidates.push(...versions.map((v) => join(debian, v, 'bin')));
    }
    candidates.push(...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean));
  }
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres')));
  if (!found) {
    throw new StackError(
      configured
        ? `LEARNLOOP_PG_BINDIR=${configured} holds no initdb and postgres: point it at a Postgres server's bin directory`
        : 'no Postgres server found (initdb and postgres): install it (apt-get install postgresql) or set LEARNLOOP_PG_BINDIR',
    );
  }
  return found;
}

/** Postgres will not run as root; as root, it runs as `user` (uid and gid from /etc/passwd). */
function serverIdentity(user: string): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new StackError(
      `Postgres refuses to run as root and there is no user "${user}" to run it as: create one (useradd --system ${user}) or set LEARNLOOP_PG_USER`,
    );
  }
  return { uid: Number(uid), gid: Number(gid) };
}

function chownTree(dir: string, id: { uid: number; gid: number }): void {
  chownSync(dir, id.uid, id.gid);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) chownTree(path, id);
    else chownSync(path, id.uid, id.gid);
  }
}

export function postgresComponent(settings: StackSettings): Component {
  const paths = componentPaths(settings.LEARNLOOP_HOME, 'postgres');
  const dataDir = join(paths.dir, 'data');
  const port = settings.LEARNLOOP_POSTGRES_PORT;
  const url = (db: string) => `postgres://${postgresUser}@${stackHost}:${port}/${db}`;

  const query = async (text: string, db = 'postgres') => {
    const client = new pg.Client({ connectionString: url(db), connectionTimeoutMillis: 2000 });
    // A probe of a server that is going down: the query rejects with the same error, which the caller reports.
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await client.query(text);
    } finally {
      await client.end();
    }
  };

  return {
    name: 'postgres',
    ...paths,
    ports: [{ port, variable: 'LEARNLOOP_POSTGRES_PORT' }],
    // SIGINT is Postgres's fast shutdown; SIGTERM would wait for every client to disconnect.
    stopSignal: 'SIGINT',
    env: { DATABASE_URL: url(postgresDatabase) },
    async start() {
      const bin = findPgBinDir(settings.LEARNLOOP_PG_BINDIR);
      const id = serverIdentity(settings.LEARNLOOP_PG_USER);
      mkdirSync(paths.dir, { recursive: true });
      if (id) chownTree(paths.dir, id);
      if (!existsSync(join(dataDir, 'PG_VERSION'))) {
        const init = spawnSync(
          join(bin, 'initdb'),
          ['-D', dataDir, '-U', postgresUser, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
          { encoding: 'utf8', cwd: paths.dir, ...(id ?? {}) },
        );
        if (init.status !== 0) {
          const reach = id
            ? ` (as user ${settings.LEARNLOOP_PG_USER}, who must be able to reach ${paths.dir}: if not, set LEARNLOOP_HOME to a directory it can reach)`
            : '';
          throw new StackError(`initdb failed${reach}:\n${init.stdout}${init.stderr}`.trim());
        }
      }
      return spawnDetached({
        command: join(bin, 'postgres'),
        args: [
          '-D',
          dataDir,
          '-p',
          String(port),
          '-k',
          paths.dir,
          '-c',
          `listen_addresses=${stackHost}`,
          '-c',
          'max_connections=200',
        ],
        logFile: paths.logFile,
        pidFile: paths.pidFile,
        cwd: paths.dir,
        ...(id ?? {}),
      });
    },
    async healthy() {
      try {
        const result = await query('SELECT 1 AS ok');
        return result.rows[0]?.ok === 1;
      } catch {
        return false;
      }
    },
    async afterHealthy() {
      const existing = await query('SELECT datname FROM pg_database');
      const names = new Set(existing.rows.map((row: { datname: string }) => row.datname));
      for (const db of [postgresDatabase, registryDatabase]) {
        if (!names.has(db)) await query(`CREATE DATABASE ${db}`);
      }
    },
  };
}
