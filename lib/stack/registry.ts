import { mkdirSync } from 'node:fs';
import { componentPaths, type Component } from './component.ts';
import type { Dist } from './dist.ts';
import { spawnDetached } from './process.ts';
import { postgresUser, registryDatabase, stackHost, type StackSettings } from './settings.ts';

/**
 * Apicurio Registry with its Confluent-compatible API. Its schemas live in the stack's Postgres, not in its default
 * in-memory store: a registry that forgot its ids on restart would make every record already in Kafka undecodable.
 */
export function registryComponent(settings: StackSettings, dist: () => Dist, java: () => string): Component {
  const paths = componentPaths(settings.LEARNLOOP_HOME, 'registry');
  const base = `http://${stackHost}:${settings.LEARNLOOP_REGISTRY_PORT}`;
  return {
    name: 'registry',
    ...paths,
    ports: [{ port: settings.LEARNLOOP_REGISTRY_PORT, variable: 'LEARNLOOP_REGISTRY_PORT' }],
    stopSignal: 'SIGTERM',
    env: { SCHEMA_REGISTRY_URL: `${base}/apis/ccompat/v7` },
    async start() {
      mkdirSync(paths.dir, { recursive: true });
      return spawnDetached({
        command: java(),
        args: [
          `-Xmx${settings.LEARNLOOP_REGISTRY_HEAP}`,
          '-XX:+UseSerialGC',
          '-XX:TieredStopAtLevel=1',
          // The marker that tells this process from another with a reused pid.
          `-Dlearnloop.home=${paths.dir}`,
          '-jar',
          dist().registryJar,
        ],
        logFile: paths.logFile,
        pidFile: paths.pidFile,
        cwd: paths.dir,
        env: {
          ...process.env,
          QUARKUS_HTTP_HOST: stackHost,
          QUARKUS_HTTP_PORT: String(settings.LEARNLOOP_REGISTRY_PORT),
          QUARKUS_LOG_CONSOLE_JSON: 'false',
          APICURIO_STORAGE_KIND: 'sql',
          APICURIO_STORAGE_SQL_KIND: 'postgresql',
          APICURIO_DATASOURCE_URL: `jdbc:postgresql://${stackHost}:${settings.LEARNLOOP_POSTGRES_PORT}/${registryDatabase}`,
          APICURIO_DATASOURCE_USERNAME: postgresUser,
          APICURIO_DATASOURCE_PASSWORD: '',
        },
      });
    },
    async healthy() {
      try {
        const res = await fetch(`${base}/apis/ccompat/v7/subjects`, { signal: AbortSignal.timeout(2000) });
        return res.ok;
      } catch {
        return false;
      }
    },
  };
}
