import { join } from 'node:path';

/** One process of the local stack, with what `stack up|down|status` needs to know about it. */
export interface Component {
  name: 'postgres' | 'kafka' | 'registry';
  /** Ports it listens on, named by the variable that sets each, so that a clash says what to change. */
  ports: ReadonlyArray<{ port: number; variable: string }>;
  /** Its state directory: also the marker that tells our process from another with a reused pid. */
  dir: string;
  pidFile: string;
  logFile: string;
  stopSignal: NodeJS.Signals;
  /** Spawns the process (formatting or initialising storage first when new) and returns its pid. */
  start(): Promise<number>;
  /** One probe, answered quickly: true when the part answers as a client would use it. */
  healthy(): Promise<boolean>;
  /** Runs once after it first turns healthy on this start (e.g. creating databases). */
  afterHealthy?(): Promise<void>;
  /** The connection variables it contributes, as `stack up` prints them. */
  env: Record<string, string>;
}

export function componentPaths(home: string, name: Component['name']) {
  const dir = join(home, name);
  return { dir, pidFile: join(home, 'run', `${name}.pid`), logFile: join(home, 'logs', `${name}.log`) };
}
