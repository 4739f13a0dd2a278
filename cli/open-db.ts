import { z } from 'zod';
import { connectionSchema, parseConfig } from '../lib/config.ts';
import { createDb } from '../lib/db/index.ts';

const databaseSchema = z.object({ DATABASE_URL: connectionSchema.shape.DATABASE_URL });

/** A database handle from DATABASE_URL for a CLI command, or undefined after saying what is wrong with it. */
export function openDb(env: NodeJS.ProcessEnv) {
  const config = parseConfig(databaseSchema, env);
  if (!config.ok) {
    process.stderr.write(`learnloop: ${config.error.message}\n`);
    return undefined;
  }
  return createDb({ url: config.value.DATABASE_URL, max: 2 });
}
