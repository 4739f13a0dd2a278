import type { Migration } from 'kysely/migration';
import { core } from './0001_core.ts';
import { audit } from './0002_audit.ts';
import { kafka } from './0003_kafka.ts';
import { judge } from './0004_judge.ts';
import { aggregator } from './0005_aggregator.ts';
import { controlPlane } from './0006_control_plane.ts';
import { oversizedRecords } from './0010_oversized_records.ts';
import { slackBridge } from './0016_slack_bridge.ts';
import { readModels } from './0017_read_models.ts';

/**
 * Every migration, by name; names sort in the order they apply. Imported statically, so that migrating needs no
 * filesystem globbing and works wherever the code runs. Never edit one that has shipped: add the next.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001_core': core,
  '0002_audit': audit,
  '0003_kafka': kafka,
  '0004_judge': judge,
  '0005_aggregator': aggregator,
  '0006_control_plane': controlPlane,
  '0010_oversized_records': oversizedRecords,
  '0016_slack_bridge': slackBridge,
  '0017_read_models': readModels,
};
