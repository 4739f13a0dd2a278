import { inject } from 'vitest';

/** How integration tests reach Kafka, the schema registry and Postgres: the three connection variables. */
export interface TestConnection {
  KAFKA_BROKERS: string;
  SCHEMA_REGISTRY_URL: string;
  DATABASE_URL: string;
  /** Where the connection came from: the environment, Docker (testcontainers) or the local stack. */
  source: 'environment' | 'docker' | 'local stack';
}

declare module 'vitest' {
  export interface ProvidedContext {
    connection: TestConnection;
  }
}

export function testConnection(): TestConnection {
  return inject('connection');
}
