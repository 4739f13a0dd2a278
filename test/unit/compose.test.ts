import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { distPaths } from '../../lib/stack/dist.ts';
import { packageRoot } from '../../lib/package-root.ts';
import { parseStackSettings } from '../../lib/stack/settings.ts';

const composeFile = join(packageRoot, 'infra', 'docker-compose.yml');
const composeAvailable = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0;

interface ComposeConfig {
  services: Record<string, { image: string; ports?: Array<{ published: string; target: number; host_ip: string }> }>;
}

// CI builds the compose plugin (infra/local/ensure-compose.sh); a machine without it cannot validate the file.
describe.skipIf(!composeAvailable)('infra/docker-compose.yml', () => {
  const run = spawnSync('docker', ['compose', '-f', composeFile, 'config', '--format', 'json'], { encoding: 'utf8' });

  it('passes docker compose config', () => {
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it("runs the local stack's versions on the local stack's loopback ports, plus Prometheus and Grafana", () => {
    const config = JSON.parse(run.stdout) as ComposeConfig;
    const settings = parseStackSettings({});
    if (!settings.ok) throw settings.error;
    const { kafkaVersion, registryVersion } = distPaths(settings.value.LEARNLOOP_HOME);
    expect(Object.keys(config.services).sort()).toEqual(['grafana', 'kafka', 'postgres', 'prometheus', 'registry']);
    expect(config.services['kafka']?.image).toBe(`apache/kafka:${kafkaVersion}`);
    expect(config.services['registry']?.image).toBe(`apicurio/apicurio-registry:${registryVersion}`);
    const published = (name: string) => config.services[name]?.ports?.map((p) => `${p.host_ip}:${p.published}`);
    expect(published('kafka')).toEqual([`127.0.0.1:${settings.value.LEARNLOOP_KAFKA_PORT}`]);
    expect(published('registry')).toEqual([`127.0.0.1:${settings.value.LEARNLOOP_REGISTRY_PORT}`]);
    expect(published('postgres')).toEqual([`127.0.0.1:${settings.value.LEARNLOOP_POSTGRES_PORT}`]);
  });
});
