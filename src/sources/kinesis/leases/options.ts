import { InvalidOptionError } from '../../../errors/InvalidOptionError.js';
import { checkLeaseWorkerOptions } from './checkLeaseWorkerOptions.js';
import { checkDynamoDbTableOptions } from '../checkpointStores/checkDynamoDbTableOptions.js';
import type { DynamoDbCheckpointClient } from '../checkpointStores/dynamoDbCheckpointStore.js';

export const NAME = 'dynamoDbLeases';

/** The DynamoDB calls the leases make: a `DynamoDBClient` from `@aws-sdk/client-dynamodb` fits. */
export type DynamoDbLeaseClient = DynamoDbCheckpointClient;

export interface DynamoDbLeasesOptions {
  /** The caller's DynamoDB client. */
  readonly client: DynamoDbLeaseClient;
  /** The table: the one a {@link dynamoDbCheckpointStore} uses (its checkpoints carry over), one per application. */
  readonly tableName: string;
  /** Create the table (on-demand capacity) at first use when it is missing. Default `false`. */
  readonly createTable?: boolean | undefined;
  /**
   * Items are keyed `<namespace>/<stream name>` instead of `<stream name>`, so that several applications reading
   * one stream can share a table, each with its own leases and checkpoints. Default none.
   */
  readonly namespace?: string | undefined;
  /** This worker's name in the table (`leaseOwner`); unique per process. Default `<hostname>:<pid>:<random>`. */
  readonly workerId?: string | undefined;
  /** A lease whose counter did not move for this long belongs to a failed worker and may be taken. Default 10000 (the KCL's `failoverTimeMillis`); 1000–3600000. */
  readonly leaseDurationMs?: number | undefined;
  /** How often held leases are renewed. Default a third of `leaseDurationMs` minus 25 ms (the KCL's rule: 3308); 100 to a third of `leaseDurationMs`. */
  readonly renewalIntervalMs?: number | undefined;
  /** How often leases are counted and taken (expired ones, or one stolen from the most loaded worker). Default twice `leaseDurationMs` plus 50 ms (the KCL's lease taker: 20050); 100–3600000. */
  readonly balanceIntervalMs?: number | undefined;
  /** The most leases this worker holds. Default no limit (the KCL's `maxLeasesForWorker`); an integer ≥ 1. */
  readonly maxLeasesPerWorker?: number | undefined;
}

/** The options, checked, with their defaults. */
export interface LeaseConfig {
  readonly client: DynamoDbLeaseClient;
  readonly tableName: string;
  readonly createTable: boolean;
  readonly namespace: string | undefined;
  readonly workerId: string;
  readonly leaseDurationMs: number;
  readonly renewalIntervalMs: number;
  readonly balanceIntervalMs: number;
  readonly maxLeasesPerWorker: number;
}

/** Checks the options at construction; throws {@link InvalidOptionError} naming the option, the value and what is allowed. */
export function checkLeaseOptions(options: DynamoDbLeasesOptions): LeaseConfig {
  const { client, tableName, createTable } = checkDynamoDbTableOptions(NAME, options);
  const namespace = options.namespace;
  if (namespace !== undefined && (typeof namespace !== 'string' || namespace === '' || namespace.length > 512)) {
    throw new InvalidOptionError(NAME, 'namespace', namespace, 'a non-empty string of at most 512 characters');
  }
  const { workerId, leaseDurationMs, renewalIntervalMs, balanceIntervalMs, maxLeasesPerWorker } = checkLeaseWorkerOptions(options);
  return {
    client,
    tableName,
    createTable,
    namespace,
    workerId,
    leaseDurationMs,
    renewalIntervalMs,
    balanceIntervalMs,
    maxLeasesPerWorker,
  };
}
