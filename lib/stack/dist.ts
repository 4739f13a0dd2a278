import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StackError } from './errors.ts';
import { packageRoot } from '../package-root.ts';

const pomPath = join(packageRoot, 'infra', 'local', 'pom.xml');

/** The versions live once, in the pom that resolves the jars. */
function pomProperty(name: string): string {
  const match = new RegExp(`<${name}>([^<]+)</${name}>`).exec(readFileSync(pomPath, 'utf8'));
  if (!match?.[1]) throw new Error(`${pomPath} has no <${name}> property`);
  return match[1];
}

export interface Dist {
  kafkaVersion: string;
  registryVersion: string;
  kafkaClasspath: string;
  registryJar: string;
}

export function distPaths(home: string): Dist {
  const kafkaVersion = pomProperty('kafka.version');
  const registryVersion = pomProperty('apicurio.version');
  const dir = join(home, 'dist');
  return {
    kafkaVersion,
    registryVersion,
    kafkaClasspath: join(dir, `kafka-${kafkaVersion}`, 'libs', '*'),
    registryJar: join(dir, `apicurio-${registryVersion}`, `apicurio-registry-app-${registryVersion}-runner.jar`),
  };
}

function distPresent(home: string, dist: Dist): boolean {
  return (
    existsSync(join(home, 'dist', `kafka-${dist.kafkaVersion}`, 'libs', `kafka_2.13-${dist.kafkaVersion}.jar`)) &&
    existsSync(dist.registryJar)
  );
}

/** Resolves the Kafka and registry jars from Maven Central once; later starts use the copies under `home/dist`. */
export function ensureDist(home: string, progress: (line: string) => void): Dist {
  const dist = distPaths(home);
  if (distPresent(home, dist)) return dist;
  const mvn = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (mvn.error || mvn.status !== 0) {
    throw new StackError(
      'Maven is needed once to fetch Kafka and the schema registry from Maven Central: install it (apt-get install maven) and run `learnloop stack up` again',
    );
  }
  progress(
    `fetching Kafka ${dist.kafkaVersion} and Apicurio Registry ${dist.registryVersion} from Maven Central (once)`,
  );
  const run = spawnSync('mvn', ['-B', '-q', '-f', pomPath, 'package', `-Dstack.dir=${join(home, 'dist')}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (run.status !== 0) {
    const tail = `${run.stdout}${run.stderr}`.trim().split('\n').slice(-15).join('\n');
    throw new StackError(`Maven could not fetch the stack's jars (mvn -f ${pomPath} package):\n${tail}`);
  }
  if (!distPresent(home, dist)) {
    throw new StackError(
      `Maven finished but ${join(home, 'dist')} lacks the Kafka or registry jars: delete that directory and run \`learnloop stack up\` again`,
    );
  }
  return dist;
}

/** The java binary (JAVA_HOME first), checked to be 17 or newer as Kafka 4 and the registry require. */
export function findJava(javaHome: string | undefined): string {
  const java = javaHome ? join(javaHome, 'bin', 'java') : 'java';
  const run = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (run.error || run.status !== 0) {
    throw new StackError(
      `Java 17 or newer is needed for Kafka and the schema registry, and ${java} did not run: install it (apt-get install openjdk-17-jre-headless) or set JAVA_HOME`,
    );
  }
  const version = /version "(\d+)(?:\.(\d+))?/.exec(run.stderr);
  const major = version ? (version[1] === '1' ? Number(version[2]) : Number(version[1])) : 0;
  if (major < 17) {
    throw new StackError(
      `Java 17 or newer is needed, ${java} is ${major || 'of unknown version'}: install a newer one or set JAVA_HOME`,
    );
  }
  return java;
}
