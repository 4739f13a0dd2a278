import { createKafka } from '../../lib/kafka/client.ts';
import { createSerde } from '../../lib/kafka/serde.ts';
import { createLogger } from '../../lib/logging.ts';
import { testConnection } from '../setup/connection.ts';

/** The integration tests' connection variables (to hand to a service process), and a Kafka client and serde on them. */
export function testClients(clientId: string) {
  const { source: _source, ...shared } = testConnection();
  const logger = createLogger({ level: 'error', write: () => {} });
  return {
    shared,
    kafka: createKafka({ brokers: shared.KAFKA_BROKERS.split(','), clientId, logger }),
    serde: createSerde({ registryUrl: shared.SCHEMA_REGISTRY_URL }),
  };
}
